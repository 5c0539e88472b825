/**
 * In-memory synthetic market for the optimize tests: one perp with 1h bars from a seeded random
 * walk, hourly decision rows with columns sig0..sig{n-1}. Column `planted` (when >= 0) predicts
 * the sign of the bar its order is held over with probability `accuracy` (a decision after bar k
 * closes arrives after bar k + 1 opened, fills at the open of bar k + 2 and holds through it);
 * every other column is a
 * fair coin (no effect). No fees, no slippage, no funding: the planted edge is all there is.
 */
import { parseBacktestConfig, type BacktestConfig } from '../../src/domain/backtest.js';
import type { MarketData } from '../../src/engine/types.js';
import { mulberry32 } from '../../src/stats/random.js';

export const HOUR_US = 3_600_000_000;
export const DAY_US = 24 * HOUR_US;
export const T0 = Date.UTC(2025, 0, 1) * 1000;

export function plantedMarket(o: { days: number; cols: number; planted: number; accuracy: number; seed: number }): MarketData {
  const rnd = mulberry32(o.seed);
  const n = o.days * 24;
  const f = (): Float64Array => new Float64Array(n);
  const b = { timeframe_us: HOUR_US, open_time: f(), close_time: f(), available_time: f(), open: f(), high: f(), low: f(), close: f(), volume: f() };
  let p = 100;
  for (let k = 0; k < n; k++) {
    const o2 = p;
    const c = o2 * (1 + (rnd() - 0.5) * 0.02);
    b.open_time[k] = T0 + k * HOUR_US;
    b.close_time[k] = T0 + (k + 1) * HOUR_US;
    b.available_time[k] = T0 + (k + 1) * HOUR_US + 2_000_000;
    b.open[k] = o2;
    b.close[k] = c;
    b.high[k] = Math.max(o2, c) * 1.001;
    b.low[k] = Math.min(o2, c) * 0.999;
    b.volume[k] = 1e6;
    p = c;
  }
  const m = n - 2;
  const time = new Float64Array(m);
  const values = Array.from({ length: o.cols }, () => new Float64Array(m));
  for (let k = 0; k < m; k++) {
    time[k] = b.close_time[k]! + 5_000_000;
    const next = Math.sign(b.close[k + 2]! - b.open[k + 2]!) || 1;
    for (let c = 0; c < o.cols; c++) {
      const coin = rnd() < 0.5 ? 1 : -1;
      values[c]![k] = c === o.planted ? (rnd() < o.accuracy ? next : -next) : coin;
    }
  }
  return {
    symbols: ['SYN-PERP'],
    instruments: [{ symbol: 'SYN-PERP', venue: 'synthetic', tick_size: 0.0001, lot_base: 0, maker_fee: 0, taker_fee: 0, funding_interval_hours: 8, funding_accrual_hours: 8, valid_from: -Infinity, valid_to: Infinity }],
    bars: [b],
    mark: [null],
    funding: [null],
    decisions: { time, sym: new Uint16Array(m), columns: Array.from({ length: o.cols }, (_, c) => `sig${c}`), values },
    start: T0,
    end: T0 + o.days * DAY_US,
  };
}

export function quietConfig(): BacktestConfig {
  return parseBacktestConfig({
    slippage: { mode: 'none' },
    funding: { missing: 'zero' },
    sizing: { mode: 'fixed_fraction', fraction: 0.5 },
    drawdown: { enabled: false },
    regime_filter: { enabled: false },
    kill_switch: { enabled: false },
  });
}
