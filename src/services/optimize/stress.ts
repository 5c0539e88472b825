/**
 * Cost stress, capacity, funding stress and stress scenarios of the configuration perpkit optimize
 * chose, run over the out-of-sample span of the walk-forward (in memory, on the data already
 * loaded; injected scenarios modify a copy).
 */
import type { BacktestConfig } from '../../domain/backtest.js';
import { FEE_SCHEDULES } from '../../domain/backtest.js';
import type { ServiceContext } from '../../domain/context.js';
import { CRISIS_WINDOWS } from '../../domain/optimize.js';
import { isoMicros } from '../../domain/split.js';
import type { BarSeries, FundingSeries, MarketData } from '../../engine/types.js';
import { evaluatePart, type PartResult } from './evaluate.js';

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;

export const SLIPPAGE_MULTIPLES = [0.5, 1, 2, 3] as const;
export const CAPACITY_MULTIPLES = [1, 10, 100] as const;

export interface CostStressRow {
  fee_tier: string;
  maker_fee: number;
  taker_fee: number;
  slippage_mult: number;
  net_sharpe: number | null;
  net_return: number;
  /** taker fee x 2 + measured slippage of the run x 2, bps */
  round_trip_bps: number;
}

export interface CostStressResult {
  rows: CostStressRow[];
  summary: {
    /** round-trip cost (bps of notional) at which the net return (funding included) is zero */
    break_even_bps: number | null;
    /** trading P&L before fees and slippage (funding excluded) per round trip, bps of notional */
    gross_edge_per_trade_bps: number | null;
    /** fees + slippage per round trip of the base run, bps */
    round_trip_cost_bps: number | null;
    base_fee_tier: string;
    span: [string, string];
  };
  capacity: Array<{ multiple: number; notional: number; net_return: number; net_sharpe: number | null }>;
  capacity_summary: {
    /** order notional at which the impact term eats half of the net edge per fill (the binding symbol); null without an edge or an impact term */
    half_edge_notional: number | null;
    by_symbol: Array<{ symbol: string; half_edge_notional: number | null; adv_quote_per_day: number; sigma_per_bar: number }>;
    net_edge_per_fill_bps: number | null;
    note: string;
  };
  funding: { pnl_with_funding: number; pnl_without_funding: number; funding_share: number | null };
}

function withFees(d: MarketData, maker: number, taker: number): MarketData {
  return { ...d, instruments: d.instruments.map((i) => ({ ...i, maker_fee: maker, taker_fee: taker })) };
}

function slippageTimes(c: BacktestConfig, m: number): BacktestConfig {
  return { ...c, slippage: { ...c.slippage, fixed_bps: c.slippage.fixed_bps * m, half_spread_bps: c.slippage.half_spread_bps * m, base_bps: c.slippage.base_bps * m, impact_k: c.slippage.impact_k * m } };
}

function scaled(c: BacktestConfig, m: number): BacktestConfig {
  return {
    ...c,
    initial_cash: c.initial_cash * m,
    sizing: { ...c.sizing, notional: c.sizing.notional * m },
  };
}

const bpsOf = (x: number, notional: number): number | null => (notional > 0 ? (x / notional) * 1e4 : null);

export async function costStress(data: MarketData, config: BacktestConfig, strategy: string, params: Record<string, unknown>, span: [number, number], stepUs: number, warmupUs: number, ctx: ServiceContext): Promise<CostStressResult> {
  const run = (d: MarketData, c: BacktestConfig): Promise<PartResult> => evaluatePart(d, c, strategy, params, span, stepUs, warmupUs);
  const base = await run(data, config);
  const tiers: Array<{ name: string; maker: number; taker: number }> = [
    ...FEE_SCHEDULES['coinbase']!.map((t) => ({ name: `coinbase-${t.name}`, maker: t.maker, taker: t.taker })),
    { name: 'binance-VIP0', maker: FEE_SCHEDULES['binance-usdm']![0]!.maker, taker: FEE_SCHEDULES['binance-usdm']![0]!.taker },
  ];
  const rows: CostStressRow[] = [];
  let i = 0;
  for (const t of tiers) {
    for (const m of SLIPPAGE_MULTIPLES) {
      ctx.log.progress(`optimize: cost stress ${++i}/${tiers.length * SLIPPAGE_MULTIPLES.length}`);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const r = await run(withFees(data, t.maker, t.taker), slippageTimes(config, m));
      const slipBps = bpsOf(r.metrics.slippage, r.metrics.traded_notional) ?? 0;
      rows.push({ fee_tier: t.name, maker_fee: t.maker, taker_fee: t.taker, slippage_mult: m, net_sharpe: r.metrics.sharpe, net_return: r.metrics.net_return, round_trip_bps: 2 * (t.taker * 1e4 + slipBps) });
    }
  }
  ctx.log.progressDone();
  const b = base.metrics;
  const costs = b.fees + b.slippage;
  const gross = b.pnl - b.funding + costs;
  const breakEven = bpsOf(b.pnl + costs, b.traded_notional);
  // capacity: larger accounts trade larger orders; the formula's impact term grows with sqrt(q / ADV)
  const capacity: CostStressResult['capacity'] = [];
  for (const m of CAPACITY_MULTIPLES) {
    const r = m === 1 ? base : await run(data, scaled(config, m));
    capacity.push({ multiple: m, notional: r.metrics.trades > 0 ? r.metrics.traded_notional / r.metrics.trades : 0, net_return: r.metrics.net_return, net_sharpe: r.metrics.sharpe });
  }
  const netEdge = bpsOf(b.pnl, b.traded_notional);
  const k = config.slippage.mode === 'formula' ? config.slippage.impact_k : 0;
  const bySymbol = data.symbols.map((symbol, s) => {
    const bars = data.bars[s]!;
    let n = 0;
    let sum = 0;
    let sumsq = 0;
    let quote = 0;
    let nb = 0;
    for (let j = 1; j < bars.close.length; j++) {
      if (bars.close_time[j]! <= span[0] || bars.close_time[j]! > span[1]) continue;
      const lr = Math.log(bars.close[j]! / bars.close[j - 1]!);
      if (Number.isFinite(lr)) {
        n++;
        sum += lr;
        sumsq += lr * lr;
      }
      const v = bars.volume[j]! * bars.close[j]!;
      if (Number.isFinite(v)) {
        quote += v;
        nb++;
      }
    }
    const sigma = n > 1 ? Math.sqrt(Math.max(0, (sumsq - (sum * sum) / n) / (n - 1))) : 0;
    const adv = nb > 0 ? (quote / nb) * (DAY_US / bars.timeframe_us) : 0;
    // k sigma sqrt(q / ADV) 1e4 = netEdge / 2  ->  q = ADV (netEdge / (2 k sigma 1e4))^2
    const q = netEdge !== null && netEdge > 0 && k > 0 && sigma > 0 && adv > 0 ? adv * (netEdge / (2 * k * sigma * 1e4)) ** 2 : null;
    return { symbol, half_edge_notional: q, adv_quote_per_day: adv, sigma_per_bar: sigma };
  });
  const qs = bySymbol.map((x) => x.half_edge_notional).filter((x): x is number => x !== null);
  const note =
    netEdge === null || netEdge <= 0
      ? 'no positive net edge per fill: capacity is zero at any size'
      : k === 0
        ? 'the slippage model has no impact term (slippage.mode formula with impact_k > 0 needed)'
        : 'q = ADV x (net edge / (2 k sigma 1e4))^2 per symbol, from the formula slippage model; the smallest binds';
  const noFunding: MarketData = { ...data, funding: data.funding.map(() => null) };
  const nf = await run(noFunding, { ...config, funding: { ...config.funding, missing: 'zero' } });
  return {
    rows,
    summary: {
      break_even_bps: breakEven === null ? null : breakEven * 2,
      gross_edge_per_trade_bps: (() => {
        const g = bpsOf(gross, b.traded_notional);
        return g === null ? null : g * 2;
      })(),
      round_trip_cost_bps: (() => {
        const c = bpsOf(costs, b.traded_notional);
        return c === null ? null : c * 2;
      })(),
      base_fee_tier: config.fees.tier,
      span: [isoMicros(span[0]), isoMicros(Math.min(span[1], 9e15))],
    },
    capacity,
    capacity_summary: { half_edge_notional: qs.length ? Math.min(...qs) : null, by_symbol: bySymbol, net_edge_per_fill_bps: netEdge, note },
    funding: { pnl_with_funding: b.pnl, pnl_without_funding: nf.metrics.pnl, funding_share: b.pnl !== 0 ? (b.pnl - nf.metrics.pnl) / b.pnl : null },
  };
}

// ---- scenarios -----------------------------------------------------------------------------------

export interface StressRow {
  scenario: string;
  kind: 'baseline' | 'crisis' | 'injected';
  start: string;
  end: string;
  pnl: number;
  baseline_pnl: number;
  max_drawdown: number;
  liquidations: number;
  controller_events: number;
  kill_switch: boolean;
  note: string;
}

function copyBars(b: BarSeries): BarSeries {
  return { timeframe_us: b.timeframe_us, open_time: b.open_time.slice(), close_time: b.close_time.slice(), available_time: b.available_time.slice(), open: b.open.slice(), high: b.high.slice(), low: b.low.slice(), close: b.close.slice(), volume: b.volume.slice() };
}
function copyFunding(f: FundingSeries): FundingSeries {
  return { event_time: f.event_time.slice(), available_time: f.available_time.slice(), rate: f.rate.slice(), interval_hours: f.interval_hours.slice(), mark: f.mark.slice() };
}

/** Multiplies prices of bars opening in [t0, t1) by f(open_time); the low by wick(open_time) when given. */
function scalePrices(b: BarSeries, t0: number, t1: number, f: (t: number) => number, wick?: (t: number) => number, volMult = 1): void {
  for (let i = 0; i < b.open_time.length; i++) {
    const t = b.open_time[i]!;
    if (t < t0 || t >= t1) continue;
    const k = f(t);
    b.open[i] = b.open[i]! * k;
    b.high[i] = b.high[i]! * k;
    b.close[i] = b.close[i]! * k;
    b.low[i] = b.low[i]! * (wick ? Math.min(k, wick(t)) : k);
    if (volMult !== 1) b.volume[i] = b.volume[i]! * volMult;
  }
}

function dropBars(b: BarSeries, t0: number, t1: number): BarSeries {
  const keep: number[] = [];
  for (let i = 0; i < b.open_time.length; i++) if (b.open_time[i]! < t0 || b.open_time[i]! >= t1) keep.push(i);
  const pick = (a: Float64Array): Float64Array => Float64Array.from(keep, (i) => a[i]!);
  return { timeframe_us: b.timeframe_us, open_time: pick(b.open_time), close_time: pick(b.close_time), available_time: pick(b.available_time), open: pick(b.open), high: pick(b.high), low: pick(b.low), close: pick(b.close), volume: pick(b.volume) };
}

/** A copy of the data with the scenario injected at t0. */
export function injectScenario(d: MarketData, scenario: string, t0: number): { data: MarketData; end: number; note: string } {
  const bars = d.bars.map(copyBars);
  let mark = d.mark.map((m) => (m ? copyBars(m) : null));
  let funding = d.funding.map((f) => (f ? copyFunding(f) : null));
  let decisions = d.decisions;
  let end = t0 + DAY_US;
  let note = '';
  const crashUs = 15 * 60_000_000;
  if (scenario === 'flash_crash') {
    // -25 % over 15 minutes (wick to -30 %), 10x volume, then the price stays 20 % lower
    const f = (t: number): number => (t < t0 + crashUs ? 1 - 0.25 * Math.min(1, (t - t0 + 60_000_000) / crashUs) : 0.8);
    const wick = (t: number): number => (t < t0 + crashUs ? 0.7 : 0.8);
    for (const b of bars) {
      scalePrices(b, t0, t0 + crashUs, f, wick, 10);
      scalePrices(b, t0 + crashUs, Infinity, () => 0.8);
    }
    for (const m of mark) if (m) {
      scalePrices(m, t0, t0 + crashUs, f, wick);
      scalePrices(m, t0 + crashUs, Infinity, () => 0.8);
    }
    end = t0 + DAY_US;
    note = '-25% in 15 min, wick to -30%, 10x volume, then 20% lower';
  } else if (scenario === 'depeg') {
    // the quote (USDT/USDC) loses 5 % for a day: prices quoted in it are 1/0.95 higher
    for (const b of bars) scalePrices(b, t0, t0 + DAY_US, () => 1 / 0.95);
    for (const m of mark) if (m) scalePrices(m, t0, t0 + DAY_US, () => 1 / 0.95);
    note = 'quote currency -5% for 24 h (prices in it +5.3%)';
  } else if (scenario === 'outage') {
    // 6 hours with no data and no fills, then the market reopens 5 % lower
    const t1 = t0 + 6 * HOUR_US;
    for (let s = 0; s < bars.length; s++) {
      bars[s] = dropBars(bars[s]!, t0, t1);
      scalePrices(bars[s]!, t1, Infinity, () => 0.95);
    }
    mark = mark.map((m) => {
      if (!m) return null;
      const x = dropBars(m, t0, t1);
      scalePrices(x, t1, Infinity, () => 0.95);
      return x;
    });
    const keep: number[] = [];
    for (let i = 0; i < d.decisions.time.length; i++) if (d.decisions.time[i]! < t0 || d.decisions.time[i]! >= t1) keep.push(i);
    decisions = {
      time: Float64Array.from(keep, (i) => d.decisions.time[i]!),
      sym: Uint16Array.from(keep, (i) => d.decisions.sym[i]!),
      columns: d.decisions.columns,
      values: d.decisions.values.map((v) => Float64Array.from(keep, (i) => v[i]!)),
    };
    note = '6 h without data, decisions or fills, then a -5% gap';
  } else if (scenario === 'funding_spike') {
    // extreme rates for a day: 0.5 % per print, longs pay
    let n = 0;
    funding = funding.map((f) => {
      if (!f) return null;
      for (let i = 0; i < f.event_time.length; i++) {
        if (f.event_time[i]! >= t0 && f.event_time[i]! < t0 + DAY_US) {
          f.rate[i] = 0.005;
          n++;
        }
      }
      return f;
    });
    note = n > 0 ? `${n} funding print(s) set to +0.5% for 24 h` : 'no funding prints in the day: nothing to spike';
  }
  return { data: { ...d, bars, mark, funding, decisions, quotes: d.quotes?.map(() => null) ?? [] }, end, note };
}

export async function stressScenarios(
  data: MarketData,
  config: BacktestConfig,
  strategy: string,
  params: Record<string, unknown>,
  span: [number, number],
  stepUs: number,
  warmupUs: number,
  extraCrises: Array<{ name: string; start: string; end: string }>,
  ctx: ServiceContext,
): Promise<StressRow[]> {
  const run = (d: MarketData, part: [number, number]): Promise<PartResult> => evaluatePart(d, config, strategy, params, part, stepUs, warmupUs);
  const row = (scenario: string, kind: StressRow['kind'], part: [number, number], r: PartResult, baseline: number, note: string): StressRow => ({
    scenario,
    kind,
    start: isoMicros(part[0]),
    end: isoMicros(Math.min(part[1], 9e15)),
    pnl: r.metrics.pnl,
    baseline_pnl: baseline,
    max_drawdown: r.metrics.max_drawdown,
    liquidations: r.metrics.liquidations,
    controller_events: r.metrics.controller_events,
    kill_switch: r.metrics.kill_switch,
    note,
  });
  const out: StressRow[] = [];
  const base = await run(data, span);
  out.push(row('unstressed', 'baseline', span, base, base.metrics.pnl, 'the chosen configuration over the out-of-sample span'));
  // (a) named crisis windows inside the decision rows loaded
  const d0 = data.decisions.time[0] ?? Infinity;
  const d1 = data.decisions.time[data.decisions.time.length - 1] ?? -Infinity;
  for (const c of [...CRISIS_WINDOWS, ...extraCrises]) {
    const a = Date.parse(`${c.start}T00:00:00Z`) * 1000;
    const b = Date.parse(`${c.end}T00:00:00Z`) * 1000 + DAY_US;
    if (b <= d0 || a > d1) continue;
    const part: [number, number] = [Math.max(a, d0), Math.min(b, d1 + 1)];
    const r = await run(data, part);
    out.push(row(c.name, 'crisis', part, r, r.metrics.pnl, 'real data'));
  }
  // (b) injected into a copy, at the first decision after the middle of the span (all symbols)
  const mid = span[0] + Math.floor((Math.min(span[1], d1) - span[0]) / 2);
  const t0 = Math.floor(mid / HOUR_US) * HOUR_US;
  for (const s of ['flash_crash', 'depeg', 'outage', 'funding_spike']) {
    ctx.log.progress(`optimize: stress ${s}`);
    const inj = injectScenario(data, s, t0);
    const r = await run(inj.data, span);
    out.push(row(s, 'injected', span, r, base.metrics.pnl, `${inj.note}; injected at ${isoMicros(t0)}`));
  }
  ctx.log.progressDone();
  return out;
}
