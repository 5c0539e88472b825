/**
 * The research grid's cells on worker threads: each (feature, all its horizons) is one job, handed
 * to whichever worker is free. The panel and the training columns are copied into shared memory
 * once; each worker builds its own grid index (research/grid-index.ts) from them and keeps its
 * column caches across its jobs. Results come back per feature and are put in job order, so the
 * cells (and every statistic in them) are the same whatever the number of workers: each job's
 * numbers depend only on the panel, never on which worker ran it or what it ran before (the
 * label-residual cache is reused only when bit-for-bit equal). One worker runs on the main thread.
 */
import { cpus, freemem } from 'node:os';
import type { RegimeDimension, ResearchConfig } from '../../domain/research.js';
import type { CellResult } from './cells.js';
import { regimeMasks } from './cells.js';
import { buildGridIndex, gridFeatureHorizon, releaseColumn, type GridIndex } from './grid.js';
import type { AssetSeries, Panel } from './panel.js';
import { runPool, sharedCopy, workerScript } from '../worker-pool.js';

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
  /** job k = features[k] */
  features: string[];
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

/** The grid index of a panel (regime masks included), as the main thread and every worker build it. */
export function gridOf(d: Pick<GridWorkerData, 'panel' | 'train' | 'dims' | 'cfg'>): GridIndex {
  return buildGridIndex(d.panel, d.train, regimeMasks(d.panel, d.train, d.dims, d.cfg), d.dims, d.cfg);
}

const sharedMap = (m: Map<string, Float64Array>): Map<string, Float64Array> => new Map([...m].map(([k, v]) => [k, sharedCopy(v)]));

/** The panel and training columns in shared memory (the workers read them in place). */
function toShared(j: GridJobs): Pick<GridWorkerData, 'panel' | 'train'> {
  const assets: AssetSeries[] = j.panel.assets.map((a) => ({ symbol: a.symbol, time: sharedCopy(a.time), features: sharedMap(a.features), labels: sharedMap(a.labels) }));
  const train = new Map([...j.train].map(([s, m]) => [s, sharedMap(m)]));
  return { panel: { ...j.panel, assets }, train };
}

/**
 * The cells of every (feature, horizon), in feature order then horizon order. onFeature is called as
 * each feature finishes (progress; completion order). workers = 1 computes on this thread.
 */
export async function gridCells(j: GridJobs, o: { workers: number; signal?: AbortSignal; onFeature?: (feature: string, done: number) => void }): Promise<CellResult[]> {
  const n = j.features.length;
  const workers = Math.max(1, Math.min(o.workers, n));
  const results: CellResult[][] = new Array<CellResult[]>(n);
  if (n === 0) return [];
  if (workers === 1) {
    const ix = gridOf({ panel: j.panel, train: j.train, dims: [...j.dims], cfg: j.cfg });
    for (let k = 0; k < n; k++) {
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
      o.onFeature?.(f, k + 1);
    }
    return results.flat();
  }
  const data: GridWorkerData = { ...toShared(j), dims: [...j.dims], cfg: j.cfg, horizons: [...j.horizons], features: [...j.features] };
  let done = 0;
  await runPool<CellResult[]>({
    script: workerScript(import.meta.url, 'grid-worker'),
    workerData: data,
    workers,
    jobs: j.features.map((_, k) => k),
    label: 'research feature',
    name: 'research',
    ...(o.signal ? { signal: o.signal } : {}),
    onResult: (job, cells) => {
      results[job] = cells;
      o.onFeature?.(j.features[job]!, ++done);
    },
  });
  return results.flat();
}
