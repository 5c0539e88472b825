/**
 * One backtest of one grid cell on one part (train or test) of one walk-forward window, over market
 * data loaded once: the data is sliced to the part (plus the warm-up the engine needs before it),
 * the engine runs in-process and the equity is resampled to the decision bar. Used by the worker
 * threads and by the main thread alike, so every path gives the same numbers.
 */
import type { BacktestConfig } from '../../domain/backtest.js';
import type { Interval } from '../../domain/split.js';
import type { PartMetrics } from '../../domain/optimize.js';
import { runEngine, type EngineResult } from '../../engine/engine.js';
import type { BarSeries, DecisionSeries, FundingSeries, MarketData, QuoteSeries, TradeSeries } from '../../engine/types.js';
import { calmarRatio, hitRate, maxDrawdown, sharpeRatio, sortinoRatio } from '../../stats/returns.js';
import { loadStrategy, type Strategy, type StrategyContext } from '../../strategies/index.js';

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;

/** First index i with a[i] > x (a sorted ascending). */
function upper(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! <= x) lo = m + 1;
    else hi = m;
  }
  return lo;
}
/** First index i with a[i] >= x. */
function lower(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (a[m]! < x) lo = m + 1;
    else hi = m;
  }
  return lo;
}

function sliceBars(b: BarSeries, from: number, to: number): BarSeries {
  // bars whose close is in (from, to], as the backtest reads them (event_time > from AND <= to)
  const i = upper(b.close_time, from);
  const j = upper(b.close_time, to);
  return {
    timeframe_us: b.timeframe_us,
    open_time: b.open_time.subarray(i, j),
    close_time: b.close_time.subarray(i, j),
    available_time: b.available_time.subarray(i, j),
    open: b.open.subarray(i, j),
    high: b.high.subarray(i, j),
    low: b.low.subarray(i, j),
    close: b.close.subarray(i, j),
    volume: b.volume.subarray(i, j),
  };
}

function sliceFunding(f: FundingSeries, from: number, to: number): FundingSeries {
  const i = lower(f.event_time, from);
  const j = lower(f.event_time, to);
  return { event_time: f.event_time.subarray(i, j), available_time: f.available_time.subarray(i, j), rate: f.rate.subarray(i, j), interval_hours: f.interval_hours.subarray(i, j), mark: f.mark.subarray(i, j) };
}

function sliceQuotes(q: QuoteSeries, from: number, to: number): QuoteSeries {
  const i = lower(q.event_time, from);
  const j = lower(q.event_time, to);
  return { event_time: q.event_time.subarray(i, j), available_time: q.available_time.subarray(i, j), bid: q.bid.subarray(i, j), ask: q.ask.subarray(i, j), bid_size: q.bid_size.subarray(i, j), ask_size: q.ask_size.subarray(i, j) };
}

function sliceTrades(t: TradeSeries, from: number, to: number): TradeSeries {
  const i = lower(t.event_time, from);
  const j = lower(t.event_time, to);
  return { event_time: t.event_time.subarray(i, j), available_time: t.available_time.subarray(i, j), price: t.price.subarray(i, j), size: t.size.subarray(i, j) };
}

function sliceDecisions(d: DecisionSeries, from: number, to: number): DecisionSeries {
  const i = lower(d.time, from);
  const j = lower(d.time, to);
  return { time: d.time.subarray(i, j), sym: d.sym.subarray(i, j), columns: d.columns, values: d.values.map((v) => v.subarray(i, j)) };
}

/** Bars needed before a part starts (rolling statistics of the slippage and sizing models). */
export function warmBars(config: BacktestConfig): number {
  return Math.max(config.slippage.sigma_ref_bars, config.sizing.vol_bars, config.slippage.sigma_bars) + 2;
}

/**
 * The market data of one part [start, end) with a strategy warm-up of `warmupUs` before it (the
 * decisions of the warm-up are shown to the strategy, which may not trade then: see quietUntil),
 * and bars from the engine's own warm-up before that.
 */
export function sliceMarketData(d: MarketData, part: Interval, config: BacktestConfig, warmupUs = 0): MarketData {
  const start = part[0] - warmupUs;
  const end = part[1];
  const warm = warmBars(config);
  return {
    symbols: d.symbols,
    instruments: d.instruments,
    bars: d.bars.map((b) => sliceBars(b, start - warm * b.timeframe_us - b.timeframe_us, end)),
    mark: d.mark.map((m) => (m ? sliceBars(m, start - 2 * DAY_US, end) : null)),
    quotes: (d.quotes ?? d.symbols.map(() => null)).map((q) => (q ? sliceQuotes(q, start, end) : null)),
    ...(d.trades ? { trades: d.trades.map((t) => (t ? sliceTrades(t, start, end) : null)) } : {}),
    funding: d.funding.map((f) => (f ? sliceFunding(f, start - DAY_US, end) : null)),
    decisions: sliceDecisions(d.decisions, start, end),
    start,
    end,
  };
}

export function decisionStep(d: DecisionSeries): number {
  let best = Infinity;
  for (let i = 1; i < d.time.length && i < 10_000; i++) {
    const x = d.time[i]! - d.time[i - 1]!;
    if (x > 0 && x < best) best = x;
  }
  return Number.isFinite(best) ? best : HOUR_US;
}

export interface PartResult {
  metrics: PartMetrics;
  /** end time of each decision-bar period (the last equity row in it), µs, inside [start, end) */
  times: number[];
  rets: number[];
}

/**
 * The decision-bar returns and metrics of one part [start, end) of an engine run: the equity rows
 * inside the part resampled to the decision bar, starting from the last equity row before the part
 * (the initial cash when there is none). With a run that starts at the part (per-window mode) the
 * base is the initial cash; with one continuous run over many parts (continuous mode) it is the
 * equity the run carried into the part, so each part's returns, P&L and costs are its own slice.
 * Fills, funding, liquidations and controller events count when booked inside the part; the kill
 * switch counts when it fired before the part's end (it stops the run for good).
 */
export function partResult(r: EngineResult, initialCash: number, stepUs: number, part: Interval): PartResult {
  const e = r.equity;
  const first = lower(e.time, part[0]);
  const baseEq = first > 0 ? e.equity[first - 1]! : initialCash;
  const eqs: number[] = [baseEq];
  const times: number[] = [];
  let lastBucket = Number.NaN;
  for (let i = first; i < e.time.length; i++) {
    const t = e.time[i]!;
    if (t >= part[1]) break;
    const b = Math.floor(t / stepUs);
    if (b === lastBucket) {
      eqs[eqs.length - 1] = e.equity[i]!;
      times[times.length - 1] = t;
    } else {
      eqs.push(e.equity[i]!);
      times.push(t);
      lastBucket = b;
    }
  }
  const rets: number[] = [];
  for (let i = 1; i < eqs.length; i++) rets.push(eqs[i - 1]! > 0 ? eqs[i]! / eqs[i - 1]! - 1 : 0);
  const ra = Float64Array.from(rets);
  const ppy = (365 * DAY_US) / stepUs;
  const inPart = (t: number): boolean => t >= part[0] && t < part[1];
  let fees = 0;
  let slip = 0;
  let notional = 0;
  let trades = 0;
  let liquidations = 0;
  for (let i = 0; i < r.fills.qty.length; i++) {
    if (!inPart(r.fills.booked[i]!)) continue;
    fees += r.fills.fee[i]!;
    slip += r.fills.slippage_cost[i]!;
    notional += Math.abs(r.fills.qty[i]! * r.fills.price[i]!);
    if (r.fills.liquidation[i]) liquidations++;
    else trades++;
  }
  let funding = 0;
  for (let i = 0; i < r.funding.amount.length; i++) {
    if (!inPart(r.funding.time[i]!)) continue;
    // accrual venues book each accrual then the settlement (rate NaN): count the accruals only
    if (r.funding.kind[i] === 0 && Number.isNaN(r.funding.rate[i]!)) continue;
    funding += r.funding.amount[i]!;
  }
  const finalEq = eqs[eqs.length - 1]!;
  const metrics: PartMetrics = {
    sharpe: ra.length >= 2 ? sharpeRatio(ra, ppy) : null,
    sortino: ra.length >= 2 ? sortinoRatio(ra, ppy) : null,
    calmar: ra.length >= 2 ? calmarRatio(ra, ppy) : null,
    net_return: baseEq > 0 ? finalEq / baseEq - 1 : 0,
    max_drawdown: ra.length ? -maxDrawdown(ra) : 0,
    trades,
    hit_rate: hitRate(ra),
    observations: ra.length,
    traded_notional: notional,
    fees,
    slippage: slip,
    funding,
    pnl: finalEq - baseEq,
    liquidations,
    controller_events: r.events.filter((x) => x.kind === 'drawdown_state' && inPart(x.time)).length,
    kill_switch: r.events.some((x) => x.kind === 'kill_switch' && x.time < part[1]),
  };
  return { metrics, times, rets };
}

/**
 * The strategy, silenced before `live`: it sees every decision of the warm-up (its indicators fill
 * up, as a live system's would from history) but its orders are dropped, so a part starts flat and
 * warmed up. Everything it reads delegates to the engine's context.
 */
export function quietUntil(inner: Strategy, live: number): Strategy {
  let q: StrategyContext | null = null;
  let real: StrategyContext | null = null;
  const quiet = (ctx: StrategyContext): StrategyContext => {
    if (real !== ctx || !q) {
      real = ctx;
      q = {
        get time() {
          return ctx.time;
        },
        get symbol() {
          return ctx.symbol;
        },
        get symbols() {
          return ctx.symbols;
        },
        feature: (c) => ctx.feature(c),
        close: (s) => ctx.close(s),
        position: (s) => ctx.position(s),
        pending: (s) => ctx.pending(s),
        equity: () => ctx.equity(),
        target: () => undefined,
        market: () => -1,
        limit: () => -1,
        stop: () => -1,
        cancel: () => undefined,
        random: () => ctx.random(),
      };
    }
    return q;
  };
  return {
    name: inner.name,
    ...(inner.kind ? { kind: inner.kind } : {}),
    ...(inner.columns ? { columns: inner.columns } : {}),
    ...(inner.init ? { init: (info: Parameters<NonNullable<Strategy['init']>>[0]) => inner.init!(info) } : {}),
    onDecision(ctx) {
      if (ctx.time < live) inner.onDecision(quiet(ctx));
      else inner.onDecision(ctx);
    },
  };
}

/** Runs one cell's params on one part of the data (after a silent strategy warm-up of warmupUs). */
export async function evaluatePart(data: MarketData, config: BacktestConfig, strategySpec: string, params: Record<string, unknown>, part: Interval, stepUs: number, warmupUs = 0): Promise<PartResult> {
  const r = await evaluatePartCounting(data, config, strategySpec, params, part, stepUs, warmupUs);
  return { metrics: r.metrics, times: r.times, rets: r.rets };
}

/** As evaluatePart, with the engine's event count (for the throughput report). */
export async function evaluatePartCounting(data: MarketData, config: BacktestConfig, strategySpec: string, params: Record<string, unknown>, part: Interval, stepUs: number, warmupUs = 0): Promise<PartResult & { events: number }> {
  const { strategy } = await loadStrategy(strategySpec, params);
  const r = runEngine(sliceMarketData(data, part, config, warmupUs), config, warmupUs > 0 ? quietUntil(strategy, part[0]) : strategy);
  return { ...partResult(r, config.initial_cash, stepUs, part), events: r.counters.events };
}

const slices = new WeakMap<MarketData, Map<string, MarketData>>();
/**
 * sliceMarketData, memoised per data object and span: every cell of a continuous run gets the
 * SAME sliced MarketData object (and column views), so work the engine keys on its input (its
 * clock of events, per-series derived columns) can be done once per worker instead of per cell.
 */
function sliceOnce(data: MarketData, span: Interval, config: BacktestConfig, warmupUs: number): MarketData {
  let m = slices.get(data);
  if (!m) slices.set(data, (m = new Map()));
  const key = `${span[0]}:${span[1]}:${warmupUs}:${warmBars(config)}`;
  let d = m.get(key);
  if (!d) m.set(key, (d = sliceMarketData(data, span, config, warmupUs)));
  return d;
}

/**
 * Continuous mode: ONE engine run of one cell's params over `span` (after a silent strategy
 * warm-up of warmupUs before it), then each of `parts` (inside the span) is a slice of that run
 * (partResult). Positions, equity, the drawdown controller and the strategy's state carry across
 * the parts' boundaries, unlike evaluatePart's fresh run per part.
 *
 * The kill switch is the exception: it stops an account for good, so every later part of the
 * cell would be flat. When it fires, the parts that started before it keep their slices of the
 * run (the kill is inside them, as a per-window run would have it), and a fresh run (flat,
 * initial cash, new risk state, after the warm-up) starts at the first part that starts after it;
 * repeated until no part is left.
 */
export async function evaluateSpan(data: MarketData, config: BacktestConfig, strategySpec: string, params: Record<string, unknown>, span: Interval, parts: Interval[], stepUs: number, warmupUs = 0): Promise<{ parts: PartResult[]; events: number; restarts: number }> {
  const out: Array<PartResult | null> = parts.map(() => null);
  let events = 0;
  let restarts = -1;
  let from = span[0];
  for (;;) {
    restarts++;
    const { strategy } = await loadStrategy(strategySpec, params);
    // the whole span's slice is shared by every cell (sliceOnce); a restart's is its own
    const sliced = from === span[0] ? sliceOnce(data, span, config, warmupUs) : sliceMarketData(data, [from, span[1]], config, warmupUs);
    const r = runEngine(sliced, config, warmupUs > 0 ? quietUntil(strategy, from) : strategy);
    events += r.counters.events;
    const kill = r.events.find((x) => x.kind === 'kill_switch')?.time ?? Infinity;
    let next = Infinity;
    parts.forEach((p, i) => {
      if (out[i] !== null || p[0] < from) return;
      if (p[0] <= kill) out[i] = partResult(r, config.initial_cash, stepUs, p);
      else next = Math.min(next, p[0]);
    });
    if (!Number.isFinite(next)) break;
    from = next;
  }
  return { parts: out.map((x) => x!), events, restarts };
}
