/**
 * The unit of work of perpkit optimize: task t = window * cells + cell runs the cell's parameters
 * on the window's training part and on its test part. Every task is independent, so tasks run on
 * worker threads in any order, shard across machines by index, and resume from a checkpoint.
 */
import type { BacktestConfig } from '../../domain/backtest.js';
import { cellParams, type Grid, type PartMetrics, type WindowSpec } from '../../domain/optimize.js';
import type { MarketData } from '../../engine/types.js';
import { evaluatePartCounting } from './evaluate.js';

export interface TaskSpec {
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
  /** engine events of both runs */
  events: number;
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
  const sh = <T extends Float64Array | Uint16Array>(a: T): T => {
    const ctor = a.constructor as { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
    const out = new ctor(new SharedArrayBuffer(a.length * ctor.BYTES_PER_ELEMENT));
    out.set(a);
    return out;
  };
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
    funding: d.funding.map((f) => (f ? { event_time: sh(f.event_time), available_time: sh(f.available_time), rate: sh(f.rate), interval_hours: sh(f.interval_hours), mark: sh(f.mark) } : null)),
    decisions: { ...d.decisions, time: sh(d.decisions.time), sym: sh(d.decisions.sym), values: d.decisions.values.map(sh) },
  };
}
