/**
 * Walk-forward optimisation (seed §8.3, §10.3, §12.2): the pure parts. Grids and their cells,
 * walk-forward windows inside a span (reusing the split module's walkForwardFolds and its purge),
 * choosing a cell by an objective, stitching the out-of-sample pieces, parameter stability, the
 * overfitting warning signs and the realistic-expectation table. No I/O here.
 */
import { parse as parseYaml } from 'yaml';
import { usageError } from './errors.js';
import { walkForwardFolds, type Interval, type LabelledRow } from './split.js';

export const OBJECTIVES = ['sharpe', 'sortino', 'calmar', 'net_return'] as const;
export type Objective = (typeof OBJECTIVES)[number];

export const WINDOW_KINDS = ['rolling', 'expanding'] as const;
export type WindowKind = (typeof WINDOW_KINDS)[number];

/** Grid axes: parameter name -> the values tried, in order (the order defines "neighbour" and "boundary"). */
export type Grid = Record<string, Array<number | string | boolean>>;

/** Default grids of the built-in strategies: a few values of their main thresholds (3 x 3 x 2 = 18 cells for regime). */
export const DEFAULT_GRIDS: Record<string, Grid> = {
  regime: {
    sma_fast: [10, 20, 30],
    sma_slow: [50, 100, 150],
    high_vol_ratio: [1.25, 1.75],
  },
  signal: {
    entry_long: [0, 0.5, 1],
    hold_bars: [0, 24],
  },
};

/** Most cells a grid may have (each cell is a backtest per window). */
export const MAX_GRID_CELLS = 10_000;

/**
 * Reads a grid document: a mapping of parameter -> list of values (or `grid:` holding that
 * mapping, beside an optional `strategy:` of fixed parameters). Exit 2 naming the bad axis.
 */
export function parseGrid(text: string, where = 'grid'): { grid: Grid; fixed: Record<string, unknown> } {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw usageError(`${where} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw usageError(`${where} must be a mapping of parameter -> list of values`, { hint: 'e.g. "sma_fast: [10, 20, 30]"' });
  const d = doc as Record<string, unknown>;
  const axes = d['grid'] !== undefined ? d['grid'] : d;
  const fixedRaw = d['grid'] !== undefined ? d['strategy'] : undefined;
  if (axes === null || typeof axes !== 'object' || Array.isArray(axes)) throw usageError(`${where}: grid must be a mapping of parameter -> list of values`);
  const grid: Grid = {};
  for (const [k, v] of Object.entries(axes as Record<string, unknown>)) {
    const vals = Array.isArray(v) ? v : [v];
    if (vals.length === 0) throw usageError(`${where}: ${k} has no values`, { hint: 'give at least one value' });
    for (const x of vals) {
      if (!(typeof x === 'number' && Number.isFinite(x)) && typeof x !== 'string' && typeof x !== 'boolean') {
        throw usageError(`${where}: ${k} must be a list of numbers, strings or booleans, got ${JSON.stringify(x)}`);
      }
    }
    if (new Set(vals.map((x) => JSON.stringify(x))).size !== vals.length) throw usageError(`${where}: ${k} lists a value twice`);
    grid[k] = vals as Grid[string];
  }
  if (Object.keys(grid).length === 0) throw usageError(`${where} has no parameters`);
  const fixed = fixedRaw && typeof fixedRaw === 'object' && !Array.isArray(fixedRaw) ? (fixedRaw as Record<string, unknown>) : {};
  if (gridSize(grid) > MAX_GRID_CELLS) throw usageError(`${where} has ${gridSize(grid)} cells; the limit is ${MAX_GRID_CELLS}`, { hint: 'use fewer values per parameter' });
  return { grid, fixed };
}

export const gridSize = (g: Grid): number => Object.values(g).reduce((n, v) => n * v.length, 1);

/** Cell index -> index along each axis (the last axis varies fastest). */
export function cellCoords(g: Grid, cell: number): number[] {
  const lens = Object.values(g).map((v) => v.length);
  const out = new Array<number>(lens.length);
  let c = cell;
  for (let i = lens.length - 1; i >= 0; i--) {
    out[i] = c % lens[i]!;
    c = Math.floor(c / lens[i]!);
  }
  return out;
}

export function coordsCell(g: Grid, coords: number[]): number {
  const lens = Object.values(g).map((v) => v.length);
  let c = 0;
  for (let i = 0; i < lens.length; i++) c = c * lens[i]! + coords[i]!;
  return c;
}

export function cellParams(g: Grid, cell: number): Record<string, number | string | boolean> {
  const keys = Object.keys(g);
  const co = cellCoords(g, cell);
  return Object.fromEntries(keys.map((k, i) => [k, g[k]![co[i]!]!]));
}

/** Cells differing by one step along one axis. */
export function neighbours(g: Grid, cell: number): number[] {
  const lens = Object.values(g).map((v) => v.length);
  const co = cellCoords(g, cell);
  const out: number[] = [];
  for (let i = 0; i < lens.length; i++) {
    for (const d of [-1, 1]) {
      const x = co[i]! + d;
      if (x < 0 || x >= lens[i]!) continue;
      const n = [...co];
      n[i] = x;
      out.push(coordsCell(g, n));
    }
  }
  return out;
}

/** On the boundary: at the first or last value of an axis that has at least 3 values (an axis of 1-2 values has no interior). */
export function onBoundary(g: Grid, cell: number): boolean {
  const lens = Object.values(g).map((v) => v.length);
  const co = cellCoords(g, cell);
  return lens.some((n, i) => n >= 3 && (co[i] === 0 || co[i] === n - 1));
}

// ---- windows -------------------------------------------------------------------------------------

export interface WindowSpec {
  window: number;
  /** decision times of the training part (after the purge): [start, end) */
  train: Interval;
  /** removed between training and test: [start, end), empty when start = end */
  purge: Interval;
  test: Interval;
}

/**
 * Walk-forward windows over decision times [from, to): training `trainUs` (rolling) or everything
 * since `from` (expanding), test `testUs`, stepping by `stepUs`; the training part loses the rows
 * whose label (decision + purgeUs) reaches the test start. Built by the split module's
 * walkForwardFolds on one labelled row per distinct decision time.
 */
export function buildWindows(decisionTimes: Float64Array, from: number, to: number, p: { trainUs: number; testUs: number; stepUs: number; window: WindowKind; purgeUs: number }): WindowSpec[] {
  const times = [...new Set(decisionTimes)].filter((t) => t >= from && t < to).sort((a, b) => a - b);
  const rows: LabelledRow[] = times.map((d) => ({ symbol: 'all', d, end: d + p.purgeUs }));
  const out: WindowSpec[] = [];
  for (const f of walkForwardFolds(rows, from, to, { train_us: p.trainUs, test_us: p.testUs, step_us: p.stepUs, window: p.window, buffer_us: 0 })) {
    const tr = f.train.intervals;
    const te = f.test.intervals[0]!;
    if (tr.length === 0) continue;
    const train: Interval = [tr[0]![0], tr[tr.length - 1]![1]];
    const hasTrain = times.some((t) => t >= train[0] && t < train[1]);
    if (!hasTrain) continue;
    out.push({ window: out.length, train, purge: [train[1], te[0]], test: [te[0], te[1]] });
  }
  return out;
}

// ---- tasks and shards --------------------------------------------------------------------------

/** Task t = window * cells + cell; shard k of n (1-based) holds the tasks with t % n == k - 1. */
export function shardTasks(nWindows: number, nCells: number, shard: { k: number; n: number } | null): number[] {
  const out: number[] = [];
  for (let t = 0; t < nWindows * nCells; t++) if (!shard || t % shard.n === shard.k - 1) out.push(t);
  return out;
}

export function parseShard(text: string): { k: number; n: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const k = m ? Number(m[1]) : Number.NaN;
  const n = m ? Number(m[2]) : Number.NaN;
  if (!m || !(n >= 1) || !(k >= 1) || k > n || n > 10_000) throw usageError(`--shard must be k/n with 1 <= k <= n (e.g. 2/4), got ${JSON.stringify(text)}`);
  return { k, n };
}

// ---- metrics of one part -------------------------------------------------------------------------

export interface PartMetrics {
  sharpe: number | null;
  sortino: number | null;
  calmar: number | null;
  net_return: number;
  max_drawdown: number;
  trades: number;
  hit_rate: number | null;
  observations: number;
  /** traded notional, fees, slippage, funding, P&L (quote currency) */
  traded_notional: number;
  fees: number;
  slippage: number;
  funding: number;
  pnl: number;
  liquidations: number;
  controller_events: number;
  kill_switch: boolean;
}

export function objectiveOf(m: PartMetrics, o: Objective): number {
  const v = o === 'net_return' ? m.net_return : m[o];
  return v === null || !Number.isFinite(v) ? Number.NEGATIVE_INFINITY : v;
}

/** Best cell by the objective; ties go to the lowest cell index. */
export function chooseCell(objectives: number[]): number {
  let best = 0;
  for (let c = 1; c < objectives.length; c++) if (objectives[c]! > objectives[best]!) best = c;
  return best;
}

/**
 * The stitched out-of-sample curve: the chosen cell's test-part returns of each window in order,
 * keeping only bars inside the window's test interval (and never a time already used).
 */
export function stitch(pieces: Array<{ window: number; test: Interval; times: number[]; rets: number[] }>): { times: number[]; window: number[]; rets: number[]; equity: number[] } {
  const out = { times: [] as number[], window: [] as number[], rets: [] as number[], equity: [] as number[] };
  let eq = 1;
  let last = Number.NEGATIVE_INFINITY;
  for (const p of [...pieces].sort((a, b) => a.window - b.window)) {
    for (let i = 0; i < p.times.length; i++) {
      const t = p.times[i]!;
      if (t < p.test[0] || t >= p.test[1] || t <= last) continue;
      const r = p.rets[i]!;
      eq *= 1 + r;
      out.times.push(t);
      out.window.push(p.window);
      out.rets.push(r);
      out.equity.push(eq);
      last = t;
    }
  }
  return out;
}

// ---- stability ----------------------------------------------------------------------------------

export interface Stability {
  params: Record<string, { values_by_window: Array<number | string | boolean>; distinct: number; relative_range: number | null }>;
  boundary_share: number;
  sharp_peak_windows: number[];
}

/** A window's optimum is a sharp peak when its objective exceeds its neighbours' mean by this factor (or they are <= 0 and it is > 0). */
export const SHARP_PEAK_RATIO = 2;

/** best / mean of its neighbours (null without neighbours or when undefined). */
export function neighbourRatio(g: Grid, objectives: number[], cell: number): number | null {
  const ns = neighbours(g, cell).map((c) => objectives[c]!).filter((v) => Number.isFinite(v));
  if (ns.length === 0) return null;
  const mean = ns.reduce((a, b) => a + b, 0) / ns.length;
  const best = objectives[cell]!;
  if (!Number.isFinite(best) || mean === 0) return null;
  return best / mean;
}

export function isSharpPeak(ratio: number | null, best: number, neighbourMean: number): boolean {
  if (!(best > 0)) return false;
  if (neighbourMean <= 0) return true;
  return ratio !== null && ratio > SHARP_PEAK_RATIO;
}

export function stability(g: Grid, chosen: number[], boundaries: boolean[], sharp: boolean[]): Stability {
  const keys = Object.keys(g);
  const params: Stability['params'] = {};
  for (const k of keys) {
    const vals = chosen.map((c) => cellParams(g, c)[k]!);
    const nums = vals.filter((v): v is number => typeof v === 'number');
    let rel: number | null = null;
    if (nums.length === vals.length && nums.length > 0) {
      const mean = nums.reduce((a, b) => a + b, 0) / nums.length;
      rel = mean !== 0 ? (Math.max(...nums) - Math.min(...nums)) / Math.abs(mean) : null;
    }
    params[k] = { values_by_window: vals, distinct: new Set(vals.map((v) => JSON.stringify(v))).size, relative_range: rel };
  }
  return {
    params,
    boundary_share: chosen.length ? boundaries.filter(Boolean).length / chosen.length : 0,
    sharp_peak_windows: sharp.flatMap((s, i) => (s ? [i] : [])),
  };
}

// ---- §10.3 warning signs and §12.2 expectations ---------------------------------------------------

export interface Warning {
  sign: string;
  fired: boolean;
  /** the measured value, null when it does not apply or cannot be computed */
  value: number | null;
  detail: string;
}

export interface WarningInputs {
  oos_sharpe: number | null;
  oos_max_drawdown: number;
  oos_years: number;
  oos_hit_rate: number | null;
  /** trend following (the regime strategy's trend legs, or declared) */
  trend_following: boolean;
  /** mean in-sample objective / mean out-of-sample objective across windows */
  is_objectives: number[];
  oos_objectives: number[];
  boundary_share: number;
  /** per axis with >= 2 values: share of windows whose choice differs from the previous window's */
  param_change_share: number | null;
  grid_params: number;
  /** OOS P&L by window */
  pnl_by_window: number[];
  /** largest share of the OOS P&L from a single day */
  top_day_share: number | null;
  pbo: number | null;
  dsr: number | null;
}

export const WARNING_THRESHOLDS = {
  sharpe: 2.5,
  max_drawdown: 0.05,
  drawdown_min_years: 2,
  hit_rate: 0.6,
  /** OOS objective below this share of the IS objective */
  degradation: 0.5,
  boundary_share: 0.5,
  param_change_share: 0.5,
  many_params: 5,
  /** the best 20 % of windows make more than this share of the OOS P&L */
  concentration: 0.8,
  single_event: 0.5,
  pbo: 0.5,
  dsr: 0.95,
} as const;

const mean = (a: number[]): number | null => {
  const f = a.filter((x) => Number.isFinite(x));
  return f.length ? f.reduce((x, y) => x + y, 0) / f.length : null;
};

/** Every §10.3 sign, fired or not (value null where it does not apply), plus the PBO and DSR verdicts. */
export function warningSigns(w: WarningInputs): Warning[] {
  const T = WARNING_THRESHOLDS;
  const out: Warning[] = [];
  out.push({ sign: 'sharpe_above_2_5', fired: w.oos_sharpe !== null && w.oos_sharpe > T.sharpe, value: w.oos_sharpe, detail: `out-of-sample Sharpe ${fmt(w.oos_sharpe)} (flag above ${T.sharpe}: exceptionally rare in crypto)` });
  const ddApplies = w.oos_years >= T.drawdown_min_years;
  out.push({
    sign: 'max_drawdown_below_5pct',
    fired: ddApplies && w.oos_max_drawdown < T.max_drawdown,
    value: w.oos_max_drawdown,
    detail: ddApplies ? `max drawdown ${(w.oos_max_drawdown * 100).toFixed(2)}% over ${w.oos_years.toFixed(1)} years (flag below 5%)` : `applies over multi-year backtests; the out-of-sample span is ${w.oos_years.toFixed(2)} years`,
  });
  out.push({
    sign: 'hit_rate_above_60pct_trend',
    fired: w.trend_following && w.oos_hit_rate !== null && w.oos_hit_rate > T.hit_rate,
    value: w.oos_hit_rate,
    detail: w.trend_following ? `hit rate ${fmtPct(w.oos_hit_rate)} of a trend-following strategy (flag above 60%)` : 'applies to trend-following strategies only',
  });
  const isM = mean(w.is_objectives);
  const oosM = mean(w.oos_objectives);
  const ratio = isM !== null && oosM !== null && isM > 0 ? oosM / isM : null;
  out.push({
    sign: 'oos_degradation',
    fired: isM !== null && oosM !== null && isM > 0 && oosM < T.degradation * isM,
    value: ratio,
    detail: `mean objective in sample ${fmt(isM)}, out of sample ${fmt(oosM)} (flag when OOS < ${T.degradation} x IS)`,
  });
  out.push({ sign: 'boundary_optima', fired: w.boundary_share >= T.boundary_share, value: w.boundary_share, detail: `${(w.boundary_share * 100).toFixed(0)}% of the windows chose a cell on the grid's boundary (flag at ${T.boundary_share * 100}%)` });
  out.push({
    sign: 'unstable_parameters',
    fired: w.param_change_share !== null && w.param_change_share > T.param_change_share,
    value: w.param_change_share,
    detail: w.param_change_share === null ? 'needs at least 2 windows' : `the chosen cell changed in ${(w.param_change_share * 100).toFixed(0)}% of window steps (flag above ${T.param_change_share * 100}%)`,
  });
  out.push({ sign: 'many_parameters', fired: w.grid_params > T.many_params, value: w.grid_params, detail: `${w.grid_params} optimised parameter(s) (flag above ${T.many_params})` });
  const pos = w.pnl_by_window.filter((x) => x > 0).sort((a, b) => b - a);
  const total = w.pnl_by_window.reduce((a, b) => a + b, 0);
  const topN = Math.max(1, Math.ceil(w.pnl_by_window.length * 0.2));
  const conc = total > 0 && w.pnl_by_window.length >= 3 ? pos.slice(0, topN).reduce((a, b) => a + b, 0) / total : null;
  out.push({
    sign: 'concentrated_periods',
    fired: conc !== null && conc > T.concentration,
    value: conc,
    detail: conc === null ? 'needs >= 3 windows and a positive out-of-sample P&L' : `the best ${topN} window(s) made ${(conc * 100).toFixed(0)}% of the out-of-sample P&L (flag above ${T.concentration * 100}%)`,
  });
  out.push({
    sign: 'single_event_dependence',
    fired: w.top_day_share !== null && w.top_day_share > T.single_event,
    value: w.top_day_share,
    detail: w.top_day_share === null ? 'needs a positive out-of-sample P&L' : `the best single day made ${(w.top_day_share * 100).toFixed(0)}% of the out-of-sample P&L (flag above ${T.single_event * 100}%)`,
  });
  out.push({ sign: 'pbo_above_0_5', fired: w.pbo !== null && w.pbo > T.pbo, value: w.pbo, detail: w.pbo === null ? 'PBO needs >= 2 cells and enough out-of-sample bars' : `probability of backtest overfitting ${w.pbo.toFixed(2)} (flag above ${T.pbo})` });
  out.push({ sign: 'dsr_not_significant', fired: w.dsr === null || w.dsr < T.dsr, value: w.dsr, detail: `deflated Sharpe ${fmt(w.dsr)} (passes at ${T.dsr})` });
  return out;
}

export type ExpectationClass = 'unrealistic' | 'suspicious' | 'reasonable' | 'below reasonable' | 'n/a';

/**
 * The §12.2 table. Values between the seed's bands (e.g. drawdown 10-15 %) are "reasonable"
 * leaning conservative; below the reasonable band (Sharpe < 0.5, annual return < 15 %) is
 * "below reasonable" (not suspicious, just weak).
 */
export function expectations(v: { sharpe: number | null; max_drawdown: number; hit_rate: number | null; annual_return: number | null; trades_per_day: number | null }): Array<{ metric: string; value: number | null; class: ExpectationClass }> {
  const cls = (x: number | null, f: (x: number) => ExpectationClass): ExpectationClass => (x === null || !Number.isFinite(x) ? 'n/a' : f(x));
  return [
    { metric: 'sharpe', value: v.sharpe, class: cls(v.sharpe, (x) => (x > 3 ? 'unrealistic' : x >= 2 ? 'suspicious' : x >= 0.5 ? 'reasonable' : 'below reasonable')) },
    { metric: 'max_drawdown', value: v.max_drawdown, class: cls(v.max_drawdown, (x) => (x < 0.05 ? 'unrealistic' : x < 0.1 ? 'suspicious' : 'reasonable')) },
    { metric: 'hit_rate', value: v.hit_rate, class: cls(v.hit_rate, (x) => (x > 0.65 ? 'unrealistic' : x > 0.55 ? 'suspicious' : x >= 0.45 ? 'reasonable' : 'below reasonable')) },
    { metric: 'annual_return', value: v.annual_return, class: cls(v.annual_return, (x) => (x > 1 ? 'unrealistic' : x > 0.5 ? 'suspicious' : x >= 0.15 ? 'reasonable' : 'below reasonable')) },
    { metric: 'trade_frequency_per_day', value: v.trades_per_day, class: cls(v.trades_per_day, (x) => (x > 100 ? 'unrealistic' : x > 20 ? 'suspicious' : 'reasonable')) },
  ];
}

function fmt(x: number | null): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : x.toFixed(3);
}
function fmtPct(x: number | null): string {
  return x === null || !Number.isFinite(x) ? 'n/a' : `${(x * 100).toFixed(1)}%`;
}

// ---- stress ---------------------------------------------------------------------------------------

/** Named crisis windows (UTC days); extend with --crisis NAME=YYYY-MM-DD[:YYYY-MM-DD]. */
export const CRISIS_WINDOWS: Array<{ name: string; start: string; end: string }> = [
  { name: 'covid-crash', start: '2020-03-12', end: '2020-03-14' },
  { name: 'may-2021-crash', start: '2021-05-19', end: '2021-05-20' },
  { name: 'luna-depeg', start: '2022-05-09', end: '2022-05-13' },
  { name: 'ftx-collapse', start: '2022-11-08', end: '2022-11-11' },
  { name: 'usdc-depeg', start: '2023-03-10', end: '2023-03-13' },
  { name: 'yen-carry-unwind', start: '2024-08-05', end: '2024-08-06' },
  { name: 'oct-2025-liquidations', start: '2025-10-10', end: '2025-10-12' },
];

export const STRESS_SCENARIOS = ['flash_crash', 'depeg', 'outage', 'funding_spike'] as const;
