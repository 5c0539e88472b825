import { REGIME_CELLS, type RegimeDimension, type ResearchConfig } from '../../domain/research.js';
import { makeGroupSet, rankedColumn, rankSide, sameMask, sideRanksFor, type GroupSet, type GroupingSpec, type RankedColumn, type SideRanks } from '../../stats/research-fused.js';
import { sortColumn, type SortedColumn } from '../../stats/research-kernels.js';
import type { WalkForwardResiduals } from '../../stats/incremental.js';
import { heapArray, KernelHeap, type HeapArray } from '../../stats/wasm/heap.js';
import type { WalkForwardLabelSide } from '../../stats/research-incremental.js';
import type { RegimeMasks } from './cells.js';
import { foldPeriodKey, periodKeyOfDay } from './cells.js';
import type { Panel } from './panel.js';
import type { CrossX, CrossY } from './grid-cross.js';
import { quantileOf } from './pooled.js';

/**
 * The research grid's index (research/grid.ts computes the cells on it): the panel's rows laid out
 * once in typed arrays (assets in panel order, each in time order), the regime cells, assets and
 * periods as groupings, and the sorted columns, cached across horizons and features.
 */

interface Dim {
  dim: string;
  cells: readonly string[];
  /** groupings of the set: asset x cell (pooled), cell, asset x period x cell */
  asset: number;
  panel: number;
  period: number;
}

export interface GridIndex {
  panel: Panel;
  train: Map<string, Map<string, Float64Array>>;
  cfg: ResearchConfig;
  N: number;
  A: number;
  symbols: string[];
  /** first row of each asset (A + 1 entries) */
  offsets: Int32Array;
  assetOf: Int32Array;
  /** global time index of each row */
  tIdx: Int32Array;
  times: Float64Array;
  /** periods: index of each row's period key (key - keyMin), P periods */
  P: number;
  keyMin: number;
  dims: Dim[];
  /** every grouping of every dimension, and the stress check (calm rows by asset: grouping `calm`) */
  set: GroupSet;
  calm: number;
  /** rows by asset (the partial IC's one grouping) */
  bare: GroupSet;
  cols: Map<string, GridColumn>;
  /**
   * Ranks within the groups of `set`, by side: `x` the feature's (one feature at a time: all its
   * horizons use the same rows when the labels are there), `y:<horizon>` a label's (the same for
   * every feature with the same usable rows). Reused only when the rows used are equal, bit for bit.
   */
  ranks: Map<string, { column: string; ranks: SideRanks }>;
  turnover: Map<string, number | null>;
  /** the feature side of the cross-sectional IC (research/grid-cross.ts), for one feature and its usable rows */
  cross: CrossX | null;
  /** per horizon: the label side of the cross-sectional IC for the last usable rows (the same for features with the same rows) */
  crossY: Map<string, CrossY>;
  /** per feature: the bucket of each row (research/grid.ts featureBuckets), dropped with the feature's columns */
  buckets: Map<string, Int8Array>;
  /** per horizon: the last label-residual column, its sort and its ranks (equal for features with the same usable rows) */
  residuals: Map<string, { values: Float64Array; sorted: SortedColumn[]; into: SortedColumn; ranks: SideRanks }>;
  /** per asset and horizon (`<asset index>:<horizon>`): the label side of the walk-forward regressions (stats/research-incremental) */
  walkForward: Map<string, { side: WalkForwardLabelSide | null }>;
  /**
   * Working arrays of the grid, overwritten by each (feature, horizon): a fresh array per cell costs
   * its page faults every time (research-kernels sortColumn). rows, sign: the usable rows and the
   * hit-rate signs of the (feature, horizon) (grid.ts gridFeatureHorizon); FR, LR, valid, frSorted,
   * frRanks: the partial IC's residuals, their rows, sort and ranks; spread: the buckets' spread
   * terms; ics: the cross-sectional IC per decision time; wf: per asset, the last walk-forward
   * result (its arrays reused); series: a pooled cell's mean contribution per decision time;
   * crossFill: where the cross-section places the next row of each time; turnover: each row's place
   * in its asset's training distribution (featureTurnover).
   */
  /** the WebAssembly heap of the rank passes and the walk-forward loops (stats/wasm/heap.ts), or null: the TypeScript loops */
  heap: KernelHeap | null;
  /** per key, each asset's view of the heap's copy of a panel column (heapColumn), and the copy */
  heapCols: Map<string, { views: Array<Float64Array | undefined>; block: Float64Array | null }>;
  scratch: { rows: Uint8Array; sign: Int8Array; series: Float64Array; crossFill: Int32Array; turnover: Float64Array; FR: Float64Array; LR: Float64Array; valid: Uint8Array; frSorted: SortedColumn; frRanks: SideRanks; spread: Float64Array; ics: Float64Array; wf: Array<WalkForwardResiduals | undefined> };
}

/**
 * A column of every asset, in panel order: when the assets' arrays are consecutive parts of one
 * array (research/panel.ts reads each column as one), a view of it; else a copy (NaN for an asset
 * without the column). Read only.
 */
function concatColumn(ix: Pick<GridIndex, 'panel' | 'N'>, get: (a: Panel['assets'][number]) => Float64Array | undefined): Float64Array {
  const parts = ix.panel.assets.map((a) => get(a));
  const first = parts[0];
  if (first) {
    let end = first.byteOffset;
    const contiguous = ix.panel.assets.every((a, k) => {
      const v = parts[k];
      const ok = v !== undefined && v.buffer === first.buffer && v.byteOffset === end && v.length === a.time.length;
      if (v) end = v.byteOffset + v.byteLength;
      return ok;
    });
    if (contiguous) return new Float64Array(first.buffer, first.byteOffset, ix.N);
  }
  const out = new Float64Array(ix.N).fill(Number.NaN);
  let o = 0;
  ix.panel.assets.forEach((a, k) => {
    if (parts[k]) out.set(parts[k], o);
    o += a.time.length;
  });
  return out;
}

/**
 * The heap's size for a panel of N rows, K groupings and H horizons: the set's table, the feature's
 * ranks, each label's ranks and ordered table, and two spares (N x K int32 each: the tables are
 * uint16 when the groups allow, so this errs on the large side), the sorted columns
 * and the partial IC's arrays (under 96 bytes a row), the walk-forward's columns (times, labels,
 * baseline and feature: float64), results and kept label sides (12 bytes a row per horizon), and the
 * per-group sums. Pages never written cost nothing, so it errs on the large side; an allocation
 * beyond it falls back to a plain array (the TypeScript loops for that pass).
 */
const heapBytes = (N: number, K: number, H: number): number => (2 * H + 4) * N * K * 4 + 96 * N + (H + 16) * 8 * N + 12 * H * N + (1 << 25);

export interface GridIndexOptions {
  /** run the rank passes as WebAssembly kernels (default true; false: the TypeScript loops, for tests) */
  wasm?: boolean;
}

export function buildGridIndex(panel: Panel, train: Map<string, Map<string, Float64Array>>, masks: RegimeMasks, dims: readonly RegimeDimension[], cfg: ResearchConfig, opts: GridIndexOptions = {}): GridIndex {
  const A = panel.assets.length;
  const offsets = new Int32Array(A + 1);
  panel.assets.forEach((a, k) => (offsets[k + 1] = offsets[k]! + a.time.length));
  const N = offsets[A]!;
  // groupings: 'all' and each dimension (asset x cell, cell, asset x period x cell), and the stress check
  const H = Math.max(0, ...panel.assets.map((a) => a.labels.size));
  // a panel too large for the whole estimate gets the largest heap: what does not fit runs in TypeScript
  const heap = opts.wasm === false ? null : KernelHeap.create(Math.min(heapBytes(N, 3 * (dims.length + 1) + 1, H), KernelHeap.MAX_BYTES));
  const assetOf = new Int32Array(N);
  const allTimes = new Float64Array(N);
  for (let k = 0; k < A; k++) {
    assetOf.fill(k, offsets[k]!, offsets[k + 1]!);
    allTimes.set(panel.assets[k]!.time, offsets[k]!);
  }
  const sortedT = Float64Array.from(allTimes).sort();
  const uniq: number[] = [];
  for (let i = 0; i < N; i++) if (i === 0 || sortedT[i] !== sortedT[i - 1]) uniq.push(sortedT[i]!);
  const times = Float64Array.from(uniq);
  const tIdx = heapArray(heap, Int32Array, N);
  const keys = new Float64Array(N);
  let lastDay = Number.NaN;
  let lastKey = Number.NaN;
  const period = cfg.ic_period;
  // ic_period fold: every row of a folds-test asset is in its fold's period
  const foldKeys = period === 'fold' ? panel.assets.map((a) => foldPeriodKey(a.symbol)) : null;
  for (let i = 0; i < N; i++) {
    const t = allTimes[i]!;
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (times[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    tIdx[i] = lo;
    if (foldKeys) {
      keys[i] = foldKeys[assetOf[i]!]!;
      continue;
    }
    const day = Math.floor(t / 86_400_000);
    if (day !== lastDay) {
      lastDay = day;
      lastKey = periodKeyOfDay(day, period as Exclude<typeof period, 'fold'>);
    }
    keys[i] = lastKey;
  }
  let keyMin = Infinity;
  let keyMax = -Infinity;
  for (let i = 0; i < N; i++) {
    keyMin = Math.min(keyMin, keys[i]!);
    keyMax = Math.max(keyMax, keys[i]!);
  }
  const P = N ? keyMax - keyMin + 1 : 0;
  // groupings: every dimension's asset x cell, then the stress check (pooled), then cells, then asset x period x cell
  const pooledG: GroupingSpec[] = [];
  const panelG: GroupingSpec[] = [];
  const periodG: GroupingSpec[] = [];
  const dimList: Dim[] = [];
  /** cellOf: each row's cell (-1: in none) */
  const mkDim = (dim: string, cells: readonly string[], cellOf: Int32Array): void => {
    const C = cells.length;
    const ga = new Int32Array(N);
    const gp = new Int32Array(N);
    const gq = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      const c = cellOf[i]!;
      const a = assetOf[i]!;
      gp[i] = c;
      ga[i] = c < 0 ? -1 : a * C + c;
      gq[i] = c < 0 ? -1 : (a * P + (keys[i]! - keyMin)) * C + c;
    }
    pooledG.push({ group: ga, size: A * C, cells: C });
    panelG.push({ group: gp, size: C });
    periodG.push({ group: gq, size: A * P * C });
    dimList.push({ dim, cells, asset: 0, panel: 0, period: 0 });
  };
  mkDim('all', ['all'], new Int32Array(N));
  for (const d of dims) {
    const cells = REGIME_CELLS[d];
    // a row's cell: the first whose mask has it (the cells are written last to first, so the first wins)
    const cellOf = new Int32Array(N).fill(-1);
    panel.assets.forEach((a, k) => {
      for (let c = cells.length - 1; c >= 0; c--) {
        const m = masks.get(a.symbol)?.get(`${d}=${cells[c]}`);
        if (!m) continue;
        const o0 = offsets[k]!;
        for (let r = 0; r < a.time.length; r++) if (m[r] === 1) cellOf[o0 + r] = c;
      }
    });
    mkDim(d, cells, cellOf);
  }
  // Rare-stress check: rows whose stress measure is at or below its training quantile (or missing).
  const calm = new Int32Array(N).fill(-1);
  panel.assets.forEach((a, k) => {
    const thr = quantileOf(train.get(a.symbol)?.get(cfg.stress_feature), 1 - cfg.stress_drop_share, heap);
    const v = a.features.get(cfg.stress_feature);
    for (let r = 0; r < a.time.length; r++) {
      const x = v?.[r];
      if (x === undefined || !Number.isFinite(x) || !Number.isFinite(thr) || x <= thr) calm[offsets[k]! + r] = k;
    }
  });
  const D = dimList.length;
  dimList.forEach((d, di) => Object.assign(d, { asset: di, panel: D + 1 + di, period: 2 * D + 1 + di }));
  const set = makeGroupSet(N, [...pooledG, { group: calm, size: A, cells: 1 }, ...panelG, ...periodG], D + 1, times.length, heap);
  const bare = makeGroupSet(N, [{ group: assetOf, size: A, cells: 1 }], 1, times.length, heap);
  return {
    panel,
    train,
    cfg,
    N,
    A,
    symbols: panel.assets.map((a) => a.symbol),
    offsets,
    assetOf,
    tIdx,
    times,
    P,
    keyMin,
    dims: dimList,
    set,
    calm: D,
    bare,
    cols: new Map(),
    ranks: new Map(),
    turnover: new Map(),
    buckets: new Map(),
    cross: null,
    crossY: new Map(),
    residuals: new Map(),
    walkForward: new Map(),
    heap,
    heapCols: new Map(),
    scratch: {
      rows: new Uint8Array(N),
      sign: heapArray(heap, Int8Array, N),
      series: heapArray(heap, Float64Array, times.length),
      crossFill: new Int32Array(times.length),
      turnover: new Float64Array(N),
      FR: new Float64Array(N),
      LR: new Float64Array(N),
      valid: new Uint8Array(N),
      frSorted: sortBuffers({ heap, N }),
      frRanks: sideRanksFor(bare),
      spread: heapArray(heap, Float64Array, N),
      ics: new Float64Array(times.length),
      wf: [],
    },
  };
}

/** A panel column with its sort (and, for labels, the grid's table in its order: read once per distinct set of usable rows). */
export interface GridColumn {
  values: Float64Array;
  sorted?: SortedColumn;
  ranked?: RankedColumn;
  /** the heap arrays the sort was written into (released with the column) */
  heapArrays?: HeapArray[];
}

/** Arrays a panel column is sorted into (sortColumn's `into`): in the heap when there is one. */
export function sortBuffers(ix: Pick<GridIndex, 'heap' | 'N'>): SortedColumn {
  return { order: heapArray(ix.heap, Int32Array, ix.N), blockStart: heapArray(ix.heap, Uint8Array, ix.N) };
}

/** A panel column, sorted once (cached: features across horizons, labels across features); `ordered` adds the ordered table. */
export function column(ix: GridIndex, key: string, get: (a: Panel['assets'][number]) => Float64Array | undefined, ordered: boolean): GridColumn & { sorted: SortedColumn } {
  let c = ix.cols.get(key);
  if (!c) {
    c = { values: concatColumn(ix, get) };
    ix.cols.set(key, c);
  }
  if (!c.sorted) {
    // sorted into the heap (the rank kernels read it there); the result is the finite values' part
    const into = sortBuffers(ix);
    c.sorted = sortColumn(c.values, into, ix.heap);
    c.heapArrays = [into.order, into.blockStart];
  }
  if (ordered) c.ranked ??= rankedColumn(ix.set, c.sorted);
  return c as GridColumn & { sorted: SortedColumn };
}

/**
 * The ranks of a column within the groups of the grid's set for the rows of `valid`, from the
 * side's cache when it holds the same column over the same rows (bit for bit); else computed into
 * the side's buffers.
 */
export function sideRanks(ix: GridIndex, side: string, key: string, col: GridColumn & { sorted: SortedColumn }, valid: Uint8Array): SideRanks {
  const hit = ix.ranks.get(side);
  if (hit && hit.column === key && sameMask(hit.ranks.valid, valid)) return hit.ranks;
  const ranks = rankSide(ix.set, col.ranked ?? col.sorted, valid, hit?.ranks ?? sideRanksFor(ix.set));
  ix.ranks.set(side, { column: key, ranks });
  return ranks;
}

/**
 * Each asset's part of a panel column (undefined where the asset lacks it) as views of one copy in
 * the heap, made once per key (the walk-forward kernels read their columns there; the views keep
 * their identity, which the kept label sides compare). Without a heap, or when it is full, the
 * panel's own arrays.
 */
export function heapColumn(ix: GridIndex, key: string, get: (a: Panel['assets'][number]) => Float64Array | undefined): Array<Float64Array | undefined> {
  const hit = ix.heapCols.get(key);
  if (hit) return hit.views;
  const parts = ix.panel.assets.map((a) => get(a));
  const block = ix.heap?.alloc(Float64Array, ix.N) ?? null;
  const views = block
    ? parts.map((v, k) => {
        if (!v || v.length !== ix.offsets[k + 1]! - ix.offsets[k]!) return v;
        const view = block.subarray(ix.offsets[k]!, ix.offsets[k + 1]!);
        view.set(v);
        return view;
      })
    : parts;
  ix.heapCols.set(key, { views, block });
  return views;
}

/** Drops the cached sort of a column (memory: a feature's columns are not needed after its horizons). */
export function releaseColumn(ix: GridIndex, feature: string): void {
  const c = ix.cols.get(`f:${feature}`);
  if (c && ix.heap) for (const a of [...(c.heapArrays ?? []), c.ranked?.table]) if (a) ix.heap.release(a);
  ix.cols.delete(`f:${feature}`);
  const hc = ix.heapCols.get(`f:${feature}`);
  if (hc?.block) ix.heap?.release(hc.block);
  ix.heapCols.delete(`f:${feature}`);
  ix.buckets.delete(feature);
  // the cross-section's arrays stay for the next feature (they are reused), its feature side does not
  if (ix.cross?.feature === feature) ix.cross.feature = null;
}
