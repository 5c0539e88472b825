import { createRequire } from 'node:module';
import type { Design, FitOptions, Model, ModelDescription, Objective, SerialisedModel } from './model.js';

/**
 * Gradient-boosted trees through ml-xgboost (XGBoost 0.7x compiled to WebAssembly by emscripten).
 *
 * Loading: the package's main entry (lib/index.js, CommonJS) exports a Promise of the XGBoost
 * class that resolves once emscripten's runtime has instantiated lib/../dist/wasm/xgboost.wasm.
 * It works in Node 20 from `require` or `import()` (about 0.1 s). Two quirks handled here:
 *  - Node 20 has a global fetch and WebAssembly.instantiateStreaming, so emscripten first tries to
 *    stream-compile the wasm from a file *path* via fetch, fails ("Failed to parse URL"), prints
 *    that on stderr and falls back to reading the file. We hide instantiateStreaming for the
 *    synchronous require so it reads the file directly and prints nothing.
 *  - the wasm instance is a process-wide singleton (one heap), so the module promise is loaded
 *    once and shared: loadXGBoost() memoises it. Models live on the wasm heap and must be freed
 *    (dispose()).
 * The package has no per-row weights and no importance API; class balance uses scale_pos_weight,
 * and gain importance is read from the saved binary model (parseGain below).
 */

export interface XGBoostParams {
  trees: number;
  max_depth: number;
  eta: number;
  min_child_weight: number;
  /** 1 = no row subsampling (deterministic without depending on the RNG) */
  subsample: number;
  colsample_bytree: number;
  seed: number;
  /** binary: weight of the positive class (class balance) */
  scale_pos_weight: number;
  /** threads inside the wasm build (single-threaded build: kept at 1) */
  nthread: number;
  /** split finding: exact (greedy over sorted values), approx, or hist (binned, about 2x faster) */
  tree_method: 'exact' | 'approx' | 'hist';
  /** hist: bins per feature (64 fits about 2x faster than XGBoost's 256 on 60 features) */
  max_bin: number;
}

const DEFAULTS: XGBoostParams = { trees: 200, max_depth: 4, eta: 0.1, min_child_weight: 1, subsample: 1, colsample_bytree: 1, seed: 0, scale_pos_weight: 1, nthread: 1, tree_method: 'hist', max_bin: 64 };

interface XGBoostInstance {
  train(X: unknown, y: number[] | Float64Array): void;
  predict(X: unknown): Array<number | number[]>;
  toJSON(): { name: string; model: number[]; options: Record<string, unknown> };
  free(): void;
}
interface XGBoostClass {
  new (options: Record<string, unknown>): XGBoostInstance;
  load(model: { name: string; model: number[]; options: Record<string, unknown> }): XGBoostInstance;
}

// Process-wide by necessity: the emscripten module is a singleton (see above).
let loading: Promise<XGBoostClass> | null = null;

/** Loads ml-xgboost once per process (about 0.1 s) and returns its XGBoost class. */
export function loadXGBoost(): Promise<XGBoostClass> {
  if (!loading) {
    const require = createRequire(import.meta.url);
    const wa = (globalThis as unknown as { WebAssembly: { instantiateStreaming?: unknown } }).WebAssembly;
    const streaming = wa.instantiateStreaming;
    let p: Promise<XGBoostClass>;
    try {
      wa.instantiateStreaming = undefined;
      p = require('ml-xgboost') as Promise<XGBoostClass>;
    } finally {
      wa.instantiateStreaming = streaming;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('ml-xgboost: the WebAssembly runtime did not initialise within 60 s')), 60_000);
      timer.unref();
    });
    loading = Promise.race([p, timeout]).finally(() => clearTimeout(timer));
    // XGBoost logs its informational lines ("Tree method is selected to be 'hist'...") through
    // emscripten's printErr (stderr); keep stderr for perpkit's own progress and warnings.
    try {
      const mod = require('ml-xgboost/dist/wasm/xgboost.js') as { printErr?: (x: string) => void };
      const printErr = mod.printErr;
      mod.printErr = (x: string): void => {
        if (!/Tree method is selected/.test(x)) (printErr ?? console.warn)(x);
      };
    } catch {
      // a different package layout: leave its logging as is
    }
  }
  return loading;
}

function rowsOf(X: Design): number[][] {
  const out: number[][] = new Array(X.rows);
  for (let i = 0; i < X.rows; i++) out[i] = Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols));
  return out;
}

/**
 * Total gain per feature from a saved XGBoost 0.7x binary model: LearnerModelParam (136 bytes),
 * objective and booster names (uint64 length + bytes each), GBTreeModelParam (160 bytes), then per
 * tree a TreeParam (148 bytes), its nodes (20 bytes: parent, left, right, split index, value) and
 * their stats (16 bytes: loss change, hessian sum, base weight, leaf child count). The gain of a
 * split is its loss change; a feature's importance is the sum over its splits ("total_gain").
 */
export function parseGain(bytes: Uint8Array, nFeatures: number): Float64Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let off = 0;
  if (bytes.length >= 4 && String.fromCharCode(bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!) === 'binf') off = 4;
  off += 136;
  for (let s = 0; s < 2; s++) {
    const len = Number(dv.getBigUint64(off, true));
    off += 8 + len;
  }
  const numTrees = dv.getInt32(off, true);
  off += 160;
  const gain = new Float64Array(nFeatures);
  for (let t = 0; t < numTrees; t++) {
    const numNodes = dv.getInt32(off + 4, true);
    const leafVec = dv.getInt32(off + 20, true);
    off += 148;
    const nodes = off;
    off += 20 * numNodes;
    const stats = off;
    off += 16 * numNodes;
    if (leafVec !== 0) throw new Error('xgboost model with leaf vectors is not supported');
    for (let n = 0; n < numNodes; n++) {
      const left = dv.getInt32(nodes + 20 * n + 4, true);
      if (left === -1) continue;
      const f = dv.getUint32(nodes + 20 * n + 12, true) & 0x7fffffff;
      const lossChg = dv.getFloat32(stats + 16 * n, true);
      if (f < nFeatures) gain[f] = gain[f]! + lossChg;
    }
  }
  return gain;
}

interface XGBoostState {
  /** the saved model, bytes */
  model: number[];
  options: Record<string, unknown>;
}

export class XGBoostModel implements Model {
  readonly kind = 'xgboost' as const;
  private booster: XGBoostInstance | null = null;
  private saved: XGBoostState | null = null;
  private readonly params: XGBoostParams;

  /** Use createXGBoost(): the class needs the loaded wasm module. */
  constructor(
    private readonly lib: XGBoostClass,
    readonly objective: Objective,
    params: Partial<XGBoostParams> = {},
  ) {
    this.params = { ...DEFAULTS, ...params };
  }

  private options(): Record<string, unknown> {
    const p = this.params;
    const objective = this.objective === 'binary' ? 'binary:logistic' : this.objective === 'regression' ? 'reg:linear' : 'multi:softprob';
    return {
      booster: 'gbtree',
      objective,
      max_depth: p.max_depth,
      eta: p.eta,
      min_child_weight: p.min_child_weight,
      subsample: p.subsample,
      colsample_bytree: p.colsample_bytree,
      seed: p.seed,
      nthread: p.nthread,
      tree_method: p.tree_method,
      ...(p.tree_method === 'hist' ? { max_bin: p.max_bin } : {}),
      silent: 1,
      iterations: p.trees,
      ...(this.objective === 'binary' && p.scale_pos_weight !== 1 ? { scale_pos_weight: p.scale_pos_weight } : {}),
      ...(this.objective === 'three-class' ? { num_class: 3 } : {}),
    };
  }

  fit(X: Design, y: Float64Array, o: FitOptions = {}): void {
    void o; // per-row weights are not supported by ml-xgboost; class balance via scale_pos_weight
    this.dispose();
    const b = new this.lib(this.options());
    b.train(rowsOf(X), Array.from(y));
    this.booster = b;
    this.saved = null;
  }

  predict(X: Design): Float64Array {
    if (!this.booster) {
      if (!this.saved) throw new Error('xgboost: predict before fit');
      this.booster = this.lib.load({ name: 'ml-xgboost', model: this.saved.model, options: this.saved.options });
    }
    const out = new Float64Array(X.rows);
    if (X.rows === 0) return out;
    const raw = this.booster.predict(rowsOf(X));
    for (let i = 0; i < X.rows; i++) {
      const v = raw[i]!;
      // three-class: softprob [P(short), P(flat), P(long)]
      out[i] = Array.isArray(v) ? v[2]! - v[0]! : v;
    }
    return out;
  }

  private state(): XGBoostState {
    if (this.saved) return this.saved;
    if (!this.booster) throw new Error('xgboost: serialise before fit');
    const j = this.booster.toJSON();
    this.saved = { model: j.model, options: j.options };
    return this.saved;
  }

  serialise(): SerialisedModel {
    return { kind: 'xgboost', objective: this.objective, params: { ...this.params }, state: this.state() };
  }

  static load(lib: XGBoostClass, s: SerialisedModel): XGBoostModel {
    const m = new XGBoostModel(lib, s.objective, s.params as Partial<XGBoostParams>);
    m.saved = s.state as XGBoostState;
    return m;
  }

  describe(features: readonly string[]): ModelDescription {
    let gain: Float64Array | null = null;
    try {
      gain = parseGain(Uint8Array.from(this.state().model, (b) => b & 0xff), features.length);
    } catch {
      gain = null;
    }
    return {
      kind: 'xgboost',
      objective: this.objective,
      importance_kind: 'gain',
      importance: features.map((name, j) => ({ feature: name, value: gain ? gain[j]! : NaN, se: null })),
      params: { ...this.params },
    };
  }

  dispose(): void {
    if (this.booster) {
      if (!this.saved) this.state();
      this.booster.free();
      this.booster = null;
    }
  }
}

export async function createXGBoost(objective: Objective, params: Partial<XGBoostParams> = {}): Promise<XGBoostModel> {
  return new XGBoostModel(await loadXGBoost(), objective, params);
}
