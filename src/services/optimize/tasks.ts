/**
 * The unit of work of perpkit optimize. A task t = window * cells + cell is the cell's parameters
 * on one window (its training part and its test part: one TaskResult). A job is what one engine
 * pass computes:
 *   - continuous (default): job = cell; ONE engine run of the cell over the whole span (first
 *     training start to last test end, after the strategy warm-up) gives every window's training
 *     and test part as slices of it (the cell's nW tasks);
 *   - per-window: job = task; a fresh engine run on the training part and one on the test part.
 * Every job is independent, so jobs run on worker threads in any order, shard across machines by
 * index, and resume from a checkpoint of task results.
 */
import type { BacktestConfig } from '../../domain/backtest.js';
import { cellParams, type Grid, type PartMetrics, type WindowSpec } from '../../domain/optimize.js';
import type { MarketData } from '../../engine/types.js';
import { evaluatePartCounting, evaluateSpan } from './evaluate.js';
import { sharedCopy } from '../worker-pool.js';

export const RUN_MODES = ['continuous', 'per-window'] as const;
export type RunMode = (typeof RUN_MODES)[number];

export interface TaskSpec {
  /** one continuous engine run per cell, or fresh runs per (window, part) */
  runs: RunMode;
  strategy: string;
  /** strategy parameters held fixed; the grid's cell overrides them */
  fixed: Record<string, unknown>;
  grid: Grid;
  config: BacktestConfig;
  windows: WindowSpec[];
  /** decision bar, µs */
  step_us: number;
  /** strategy warm-up before each part, µs (decisions seen, no orders) */
  warmup_us: number;
}

export interface TaskResult {
  task: number;
  window: number;
  cell: number;
  train: PartMetrics;
  test: PartMetrics;
  /** the test part's decision-bar returns and their times (for the stitched curve and PBO) */
  test_times: number[];
  test_rets: number[];
  /** engine events of both runs (per-window); continuous: the cell's one run on window 0, 0 on the others */
  events: number;
}

/** What one job returns: the task results it computed and the engine events it took. */
export interface JobResult {
  job: number;
  results: TaskResult[];
  events: number;
}

/** The tasks job `job` computes. */
export function jobTasks(runs: RunMode, nWindows: number, nCells: number, job: number): number[] {
  return runs === 'per-window' ? [job] : Array.from({ length: nWindows }, (_, w) => w * nCells + job);
}

/**
 * The jobs of a run or of shard k of n (1-based): job j is in the shard when j % n == k - 1
 * (per-window: j is the task, so shards slice (window x cell); continuous: j is the cell).
 */
export function jobsOf(runs: RunMode, nWindows: number, nCells: number, shard: { k: number; n: number } | null): number[] {
  const n = runs === 'per-window' ? nWindows * nCells : nCells;
  const out: number[] = [];
  for (let j = 0; j < n; j++) if (!shard || j % shard.n === shard.k - 1) out.push(j);
  return out;
}

export async function runJob(data: MarketData, spec: TaskSpec, job: number): Promise<JobResult> {
  if (spec.runs === 'per-window') {
    const r = await runTask(data, spec, job);
    return { job, results: [r], events: r.events };
  }
  const nCells = Object.values(spec.grid).reduce((n, v) => n * v.length, 1);
  const cell = job;
  if (!(cell >= 0 && cell < nCells) || spec.windows.length === 0) throw new Error(`job ${job}: no cell ${cell}`);
  const params = { ...spec.fixed, ...cellParams(spec.grid, cell) };
  const span: [number, number] = [Math.min(...spec.windows.map((w) => w.train[0])), Math.max(...spec.windows.map((w) => w.test[1]))];
  const parts = spec.windows.flatMap((w) => [w.train, w.test]);
  const r = await evaluateSpan(data, spec.config, spec.strategy, params, span, parts, spec.step_us, spec.warmup_us);
  const results = spec.windows.map((w, i): TaskResult => {
    const tr = r.parts[2 * i]!;
    const te = r.parts[2 * i + 1]!;
    return { task: w.window * nCells + cell, window: w.window, cell, train: tr.metrics, test: te.metrics, test_times: te.times, test_rets: te.rets, events: i === 0 ? r.events : 0 };
  });
  return { job, results, events: r.events };
}

export async function runTask(data: MarketData, spec: TaskSpec, task: number): Promise<TaskResult> {
  const nCells = Object.values(spec.grid).reduce((n, v) => n * v.length, 1);
  const window = Math.floor(task / nCells);
  const cell = task % nCells;
  const w = spec.windows[window];
  if (!w) throw new Error(`task ${task}: no window ${window}`);
  const params = { ...spec.fixed, ...cellParams(spec.grid, cell) };
  const tr = await evaluatePartCounting(data, spec.config, spec.strategy, params, w.train, spec.step_us, spec.warmup_us);
  const te = await evaluatePartCounting(data, spec.config, spec.strategy, params, w.test, spec.step_us, spec.warmup_us);
  return { task, window, cell, train: tr.metrics, test: te.metrics, test_times: te.times, test_rets: te.rets, events: tr.events + te.events };
}

/** Copies every typed array of the data into shared memory, so worker threads read it without a copy each. */
export function toShared(d: MarketData): MarketData {
  const sh = sharedCopy;
  const bars = (b: MarketData['bars'][number]): MarketData['bars'][number] => ({
    timeframe_us: b.timeframe_us,
    open_time: sh(b.open_time),
    close_time: sh(b.close_time),
    available_time: sh(b.available_time),
    open: sh(b.open),
    high: sh(b.high),
    low: sh(b.low),
    close: sh(b.close),
    volume: sh(b.volume),
  });
  return {
    ...d,
    bars: d.bars.map(bars),
    mark: d.mark.map((m) => (m ? bars(m) : null)),
    quotes: (d.quotes ?? []).map((q) => (q ? { event_time: sh(q.event_time), available_time: sh(q.available_time), bid: sh(q.bid), ask: sh(q.ask), bid_size: sh(q.bid_size), ask_size: sh(q.ask_size) } : null)),
    ...(d.trades ? { trades: d.trades.map((t) => (t ? { event_time: sh(t.event_time), available_time: sh(t.available_time), price: sh(t.price), size: sh(t.size) } : null)) } : {}),
    funding: d.funding.map((f) => (f ? { event_time: sh(f.event_time), available_time: sh(f.available_time), rate: sh(f.rate), interval_hours: sh(f.interval_hours), mark: sh(f.mark) } : null)),
    decisions: { ...d.decisions, time: sh(d.decisions.time), sym: sh(d.decisions.sym), values: d.decisions.values.map(sh) },
  };
}
