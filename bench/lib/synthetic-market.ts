/**
 * The W1-shaped in-memory market of the engine benches (bench/backtest.bench.ts,
 * bench/optimize.bench.ts): `symbols` perps x `bars` one-minute bars from a seeded random walk
 * (±0.1 % per bar, small wicks), mark bars off, 8 h funding prints and hourly decision rows at
 * 5 s after each hour with one column ret_1h (the last hour's close-to-close return; NaN for the
 * first hour). No store I/O: what the benches measure is the engine.
 */
import type { BarSeries, FundingSeries, MarketData } from '../../src/engine/types.js';
import { mulberry32 } from '../../src/stats/random.js';

export const MIN_US = 60_000_000;
export const HOUR_US = 60 * MIN_US;
export const DAY_US = 24 * HOUR_US;
/** 2025-01-01T00:00Z, µs */
export const T0 = Date.UTC(2025, 0, 1) * 1000;

export function syntheticMarket(o: { bars: number; symbols?: number; seed?: number }): MarketData {
  const BARS = o.bars;
  const SYMBOLS = o.symbols ?? 5;
  const rnd = mulberry32(o.seed ?? 42);
  const symbols = Array.from({ length: SYMBOLS }, (_, s) => `SYM${s}-PERP`);
  const bars: BarSeries[] = [];
  const funding: FundingSeries[] = [];
  const hours = Math.floor(BARS / 60);
  const dTime = new Float64Array(hours * SYMBOLS);
  const dSym = new Uint16Array(hours * SYMBOLS);
  const dRet = new Float64Array(hours * SYMBOLS).fill(Number.NaN);
  for (let s = 0; s < SYMBOLS; s++) {
    const f = (): Float64Array => new Float64Array(BARS);
    const b: BarSeries = { timeframe_us: MIN_US, open_time: f(), close_time: f(), available_time: f(), open: f(), high: f(), low: f(), close: f(), volume: f() };
    let p = 100 * (s + 1);
    for (let k = 0; k < BARS; k++) {
      const op = p;
      const c = op * (1 + (rnd() - 0.5) * 0.002);
      b.open_time[k] = T0 + k * MIN_US;
      b.close_time[k] = T0 + (k + 1) * MIN_US;
      b.available_time[k] = T0 + (k + 1) * MIN_US + 2_000_000;
      b.open[k] = op;
      b.close[k] = c;
      b.high[k] = Math.max(op, c) * (1 + rnd() * 0.0005);
      b.low[k] = Math.min(op, c) * (1 - rnd() * 0.0005);
      b.volume[k] = 5_000 + rnd() * 10_000;
      p = c;
    }
    bars.push(b);
    const n = Math.floor(BARS / 480);
    const g = (): Float64Array => new Float64Array(n);
    const fu: FundingSeries = { event_time: g(), available_time: g(), rate: g(), interval_hours: g(), mark: g() };
    for (let i = 0; i < n; i++) {
      fu.event_time[i] = T0 + (i + 1) * 8 * HOUR_US;
      fu.available_time[i] = fu.event_time[i]! + 5_000_000;
      fu.rate[i] = (rnd() - 0.4) * 0.0005;
      fu.interval_hours[i] = 8;
      fu.mark[i] = Number.NaN;
    }
    funding.push(fu);
  }
  for (let h = 1; h <= hours; h++) {
    for (let s = 0; s < SYMBOLS; s++) {
      const j = (h - 1) * SYMBOLS + s;
      dTime[j] = T0 + h * HOUR_US + 5_000_000;
      dSym[j] = s;
      const c = bars[s]!.close;
      if (h >= 2) dRet[j] = c[h * 60 - 1]! / c[(h - 1) * 60 - 1]! - 1;
    }
  }
  return {
    symbols,
    instruments: symbols.map((symbol) => ({
      symbol,
      venue: 'synthetic',
      tick_size: 0.01,
      lot_base: 0.001,
      maker_fee: 0.0002,
      taker_fee: 0.0005,
      funding_interval_hours: 8,
      funding_accrual_hours: 8,
      valid_from: -Infinity,
      valid_to: Infinity,
    })),
    bars,
    mark: symbols.map(() => null),
    funding,
    decisions: { time: dTime, sym: dSym, columns: ['ret_1h'], values: [dRet] },
    start: T0,
    end: Infinity,
  };
}
