/**
 * The research grid's cells on worker threads: each group of features with the same missing rows
 * (all their horizons) is one job, handed to whichever worker is free, largest groups first. The
 * panel and the training columns are copied into shared memory once; each worker builds its own
 * grid index (research/grid-index.ts) from them and keeps its column and rank caches across its
 * jobs. Results come back per feature and are put in feature order, so the cells (and every
 * statistic in them) are the same whatever the number of workers: each job's numbers depend only
 * on the panel, never on which worker ran it or what it ran before (every cache is reused only
 * when bit-for-bit equal). With one worker the jobs run on the main thread.
 */
import { cpus, freemem } from 'node:os';
import type { RegimeDimension, ResearchConfig } from '../../domain/research.js';
import type { CellResult } from './cells.js';
import { regimeMasks } from './cells.js';
import { buildGridIndex, gridFeatureHorizon, releaseColumn, type GridIndex } from './grid.js';
import type { AssetSeries, Panel } from './panel.js';
import { inShared, runPool, workerScript } from '../worker-pool.js';

export interface HorizonJob {
  horizon: string;
  horizon_ms: number;
  lags: number;
}

export interface GridJobs {
  panel: Panel;
  train: Map<string, Map<string, Float64Array>>;
  dims: readonly RegimeDimension[];
  cfg: ResearchConfig;
  features: readonly string[];
  horizons: readonly HorizonJob[];
}

/** What a worker is started with (shared memory: nothing is copied per worker). */
export interface GridWorkerData {
  panel: Panel;
  train: Map<string, Map<string, Float64Array>>;
  dims: RegimeDimension[];
  cfg: ResearchConfig;
  horizons: HorizonJob[];
  features: string[];
  /** job k = the features of groups[k] (indices into features): features with the same missing rows */
  groups: number[][];
}

/**
 * Bytes a worker holds per panel row: its grid index, the sorted columns it caches and its scratch
 * (measured on W1: one more worker, +1.35 GB for 417,590 rows, about 3.2 KB a row).
 */
export const WORKER_BYTES_PER_ROW = 3_500;

/**
 * Workers for a panel of `rows` rows when none are asked for: every core up to 8, but no more than
 * half the free memory holds (at least 1).
 */
export function defaultResearchWorkers(rows: number, free = freemem(), cores = cpus().length): number {
  const byMemory = Math.floor((0.5 * free) / Math.max(1, rows * WORKER_BYTES_PER_ROW));
  return Math.max(1, Math.min(cores, 8, byMemory));
}

/** rows x features from which a run uses every core by default (below, starting workers costs more than it saves) */
const POOL_MIN_WORK = 2_000_000;

/** The workers a run uses: the ones asked for, else the default from POOL_MIN_WORK on; never more than features. */
export function researchWorkers(rows: number, features: number, asked?: number): number {
  return Math.max(1, Math.min(asked ?? (rows * features >= POOL_MIN_WORK ? defaultResearchWorkers(rows) : 1), features));
}

/** The cells of one (feature, horizon) on a grid index. */
const horizonCells = (ix: GridIndex, dims: readonly RegimeDimension[], cfg: ResearchConfig, feature: string, h: HorizonJob): CellResult[] =>
  gridFeatureHorizon(ix, { dims: [...dims], feature, horizon: h.horizon, horizon_ms: h.horizon_ms, lags: h.lags, cfg });

/** Every cell of one feature (all horizons) on a grid index; its sorted column is released after. */
export function featureCells(ix: GridIndex, dims: readonly RegimeDimension[], cfg: ResearchConfig, feature: string, horizons: readonly HorizonJob[]): CellResult[] {
  const out: CellResult[] = [];
  for (const h of horizons) out.push(...horizonCells(ix, dims, cfg, feature, h));
  releaseColumn(ix, feature);
  return out;
}

/**
 * The features in groups with the same missing rows over the panel (a hash of where each is not
 * finite), largest group first, each in feature order. A group's features use the same rows of
 * every label, so a worker that runs them one after the other ranks each label once for all of
 * them (research/grid-index.ts sideRanks; a hash collision costs only that reuse: the cache
 * compares the rows themselves).
 */
export function sameRowGroups(panel: Panel, features: readonly string[]): number[][] {
  const byKey = new Map<string, number[]>();
  features.forEach((f, k) => {
    let h1 = 0x811c9dc5;
    let h2 = 0x12345678;
    let missing = 0;
    let i = 0;
    for (const a of panel.assets) {
      const x = a.features.get(f);
      const n = a.time.length;
      for (let r = 0; r < n; r++, i++) {
        if (x && Number.isFinite(x[r]!)) continue;
        missing++;
        h1 = Math.imul(h1 ^ i, 0x01000193) >>> 0;
        h2 = (Math.imul(h2, 31) + i) >>> 0;
      }
    }
    const key = `${h1}:${h2}:${missing}`;
    const g = byKey.get(key);
    if (g) g.push(k);
    else byKey.set(key, [k]);
  });
  return [...byKey.values()].sort((a, b) => b.length - a.length || a[0]! - b[0]!);
}

/**
 * Groups split in halves, largest first, until there are as many as `workers` or all are single
 * features: a run whose features all have the same missing rows still uses every worker.
 */
export function splitForWorkers(groups: readonly number[][], workers: number): number[][] {
  const out = groups.map((g) => [...g]);
  while (out.length < workers) {
    out.sort((a, b) => b.length - a.length || a[0]! - b[0]!);
    const big = out[0]!;
    if (big.length < 2) break;
    const half = Math.ceil(big.length / 2);
    out.splice(0, 1, big.slice(0, half), big.slice(half));
  }
  return out.sort((a, b) => b.length - a.length || a[0]! - b[0]!);
}

/** The grid index of a panel (regime masks included), as the main thread and every worker build it. */
export function gridOf(d: Pick<GridWorkerData, 'panel' | 'train' | 'dims' | 'cfg'>): GridIndex {
  return buildGridIndex(d.panel, d.train, regimeMasks(d.panel, d.train, d.dims, d.cfg), d.dims, d.cfg);
}

const sharedMap = (m: Map<string, Float64Array>): Map<string, Float64Array> => new Map([...m].map(([k, v]) => [k, inShared(v)]));

/** The panel and training columns in shared memory (research/panel.ts reads them there already; the workers read them in place, nothing in the grid writes to them). */
function toShared(j: GridJobs): Pick<GridWorkerData, 'panel' | 'train'> {
  const assets: AssetSeries[] = j.panel.assets.map((a) => ({ symbol: a.symbol, time: inShared(a.time), features: sharedMap(a.features), labels: sharedMap(a.labels) }));
  const train = new Map([...j.train].map(([s, m]) => [s, sharedMap(m)]));
  return { panel: { ...j.panel, assets }, train };
}

/**
 * The cells of every (feature, horizon), in feature order then horizon order. onFeature is called as
 * each feature finishes (progress; completion order). workers = 1 computes on this thread.
 */
export async function gridCells(j: GridJobs, o: { workers: number; signal?: AbortSignal; onFeature?: (feature: string, done: number) => void }): Promise<CellResult[]> {
  const n = j.features.length;
  const results: CellResult[][] = new Array<CellResult[]>(n);
  if (n === 0) return [];
  // Features with the same missing rows run one after the other on one worker: their label ranks
  // are shared. Never fewer jobs than workers while a group can be split (each worker costs its own index).
  const groups = splitForWorkers(sameRowGroups(j.panel, j.features), Math.max(1, Math.min(o.workers, n)));
  const workers = Math.max(1, Math.min(o.workers, groups.length));
  let done = 0;
  if (workers === 1) {
    const ix = gridOf({ panel: j.panel, train: j.train, dims: [...j.dims], cfg: j.cfg });
    for (const g of groups) {
      for (const k of g) {
        const f = j.features[k]!;
        const cells: CellResult[] = [];
        for (const h of j.horizons) {
          // one turn of the event loop per (feature, horizon): Ctrl-C is seen while the cells run
          await new Promise((res) => setImmediate(res));
          if (o.signal?.aborted) throw o.signal.reason;
          cells.push(...horizonCells(ix, j.dims, j.cfg, f, h));
        }
        releaseColumn(ix, f);
        results[k] = cells;
        o.onFeature?.(f, ++done);
      }
    }
    return results.flat();
  }
  const data: GridWorkerData = { ...toShared(j), dims: [...j.dims], cfg: j.cfg, horizons: [...j.horizons], features: [...j.features], groups };
  await runPool<CellResult[][]>({
    script: workerScript(import.meta.url, 'grid-worker'),
    workerData: data,
    workers,
    jobs: groups.map((_, k) => k),
    label: 'research feature group',
    name: 'research',
    ...(o.signal ? { signal: o.signal } : {}),
    onResult: (job, cells) => {
      groups[job]!.forEach((k, m) => {
        results[k] = cells[m]!;
        o.onFeature?.(j.features[k]!, ++done);
      });
    },
  });
  return results.flat();
}
