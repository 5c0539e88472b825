/**
 * Small hand-written markets for the engine tests: hourly bars from 2024-01-01T00:00Z, one
 * instrument per symbol, decisions at chosen times, and a scripted strategy.
 */
import { parseBacktestConfig, type BacktestConfig } from '../../src/domain/backtest.js';
import type { BarSeries, DecisionSeries, FundingSeries, InstrumentInfo, MarketData } from '../../src/engine/types.js';
import type { Strategy, StrategyContext } from '../../src/strategies/strategy.js';

export const H = 3_600_000_000;
export const T0 = Date.UTC(2024, 0, 1) * 1000;
export const at = (hours: number): number => T0 + hours * H;

/** [open, high, low, close] or [open, high, low, close, volume] */
export type Ohlc = [number, number, number, number] | [number, number, number, number, number];

/** Bars k = 0..n-1 over [k h, (k+1) h), available `delayUs` after their close. */
export function bars(rows: Ohlc[], delayUs = 0, tfUs = H, startUs = T0): BarSeries {
  const n = rows.length;
  const col = (): Float64Array => new Float64Array(n);
  const b: BarSeries = {
    timeframe_us: tfUs,
    open_time: col(),
    close_time: col(),
    available_time: col(),
    open: col(),
    high: col(),
    low: col(),
    close: col(),
    volume: col(),
  };
  rows.forEach((r, k) => {
    b.open_time[k] = startUs + k * tfUs;
    b.close_time[k] = startUs + (k + 1) * tfUs;
    b.available_time[k] = startUs + (k + 1) * tfUs + delayUs;
    b.open[k] = r[0];
    b.high[k] = r[1];
    b.low[k] = r[2];
    b.close[k] = r[3];
    b.volume[k] = r[4] ?? 1e9;
  });
  return b;
}

/** n flat bars at price p */
export const flat = (n: number, p = 100): Ohlc[] => Array.from({ length: n }, () => [p, p, p, p] as Ohlc);

export function funding(rows: Array<{ t: number; rate: number; interval?: number; mark?: number; delayUs?: number }>): FundingSeries {
  const n = rows.length;
  const f: FundingSeries = {
    event_time: new Float64Array(n),
    available_time: new Float64Array(n),
    rate: new Float64Array(n),
    interval_hours: new Float64Array(n),
    mark: new Float64Array(n),
  };
  rows.forEach((r, i) => {
    f.event_time[i] = r.t;
    f.available_time[i] = r.t + (r.delayUs ?? 0);
    f.rate[i] = r.rate;
    f.interval_hours[i] = r.interval ?? Number.NaN;
    f.mark[i] = r.mark ?? Number.NaN;
  });
  return f;
}

export function instrument(symbol: string, o: Partial<InstrumentInfo> = {}): InstrumentInfo {
  return {
    symbol,
    venue: 'test',
    tick_size: 0.01,
    lot_base: 0,
    maker_fee: 0,
    taker_fee: 0,
    funding_interval_hours: 8,
    funding_accrual_hours: 8,
    valid_from: -Infinity,
    valid_to: Infinity,
    ...o,
  };
}

export function decisions(times: number[], sym: number[] = [], columns: Record<string, number[]> = {}): DecisionSeries {
  return {
    time: Float64Array.from(times),
    sym: Uint16Array.from(times.map((_, i) => sym[i] ?? 0)),
    columns: Object.keys(columns),
    values: Object.values(columns).map((v) => Float64Array.from(v)),
  };
}

export interface MarketSpec {
  symbols?: string[];
  bars: BarSeries[];
  mark?: Array<BarSeries | null>;
  funding?: Array<FundingSeries | null>;
  instruments?: InstrumentInfo[];
  decisions: DecisionSeries;
  start?: number;
  end?: number;
}

export function market(m: MarketSpec): MarketData {
  const symbols = m.symbols ?? m.bars.map((_, i) => `S${i}`);
  return {
    symbols,
    instruments: m.instruments ?? symbols.map((s) => instrument(s)),
    bars: m.bars,
    mark: m.mark ?? symbols.map(() => null),
    funding: m.funding ?? symbols.map(() => null),
    decisions: m.decisions,
    start: m.start ?? T0,
    end: m.end ?? Infinity,
  };
}

/** A config with every risk control and cost off, so a scenario tests one thing. */
export function plainConfig(over: Record<string, unknown> = {}): BacktestConfig {
  const base = {
    slippage: { mode: 'none' },
    fees: { schedule: [{ name: '0', min_volume_30d: 0, maker: 0, taker: 0 }] },
    funding: { missing: 'zero' },
    margin: { leverage: 3 },
    drawdown: { enabled: false },
    regime_filter: { enabled: false },
    kill_switch: { enabled: false },
    sizing: { mode: 'fixed_notional', max_position_pct: 100, max_gross_leverage: 100, min_order_notional: 0, rebalance_threshold: 0 },
  };
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = (base as Record<string, unknown>)[k];
    merged[k] = b && typeof b === 'object' && v && typeof v === 'object' && !Array.isArray(v) ? { ...b, ...v } : v;
  }
  return parseBacktestConfig(merged);
}

/** Calls `script(ctx, i)` at the i-th decision. */
export function scripted(script: (ctx: StrategyContext, i: number) => void): Strategy & { calls: number } {
  const s = {
    name: 'scripted',
    calls: 0,
    onDecision(ctx: StrategyContext) {
      script(ctx, s.calls++);
    },
  };
  return s;
}
