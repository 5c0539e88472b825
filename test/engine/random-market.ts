/** Seeded random markets and a strategy using every order type, shared by the property and fast-path tests. */
import type { MarketData } from '../../src/engine/types.js';
import { mulberry32 } from '../../src/stats/random.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import { at, bars, decisions, funding, instrument, market, plainConfig, type Ohlc } from './fixture.js';

export const S2 = 2_000_000;
export const S5 = 5_000_000;

/** Two symbols, `n` hourly bars (random walk with wicks), mark bars near the trades, 8 h funding. */
export function randomMarket(seed: number, n = 400, perturbAfter = Infinity): MarketData {
  const rnd = mulberry32(seed);
  const pert = mulberry32(seed + 1000);
  const tradeBars = [];
  const markBars = [];
  const fund = [];
  const dTimes: number[] = [];
  const dSym: number[] = [];
  const ret: number[] = [];
  const closes: number[][] = [];
  for (let s = 0; s < 2; s++) {
    let p = 100 * (s + 1);
    const rows: Ohlc[] = [];
    const mrows: Ohlc[] = [];
    for (let k = 0; k < n; k++) {
      // available at close + 2 s: perturb what becomes available after T
      const later = at(k + 1) + S2 > perturbAfter;
      const shock = later ? 1 + (pert() - 0.5) * 0.2 : 1;
      const o = p;
      const c = o * Math.exp((rnd() - 0.5) * 0.04) * shock;
      const h = Math.max(o, c) * (1 + rnd() * 0.02);
      const l = Math.min(o, c) * (1 - rnd() * (rnd() < 0.05 ? 0.3 : 0.02));
      rows.push([o, h, l, c, 1000 + rnd() * 1000]);
      mrows.push([o, h * (1 - rnd() * 0.001), l * (1 + rnd() * 0.001), c]);
      p = c;
    }
    closes.push(rows.map((r) => r[3]));
    tradeBars.push(bars(rows, S2));
    markBars.push(bars(mrows, S2));
    const prints = [];
    for (let h = 8; h <= n; h += 8) {
      const later = at(h) + S5 > perturbAfter;
      const base = (rnd() - 0.4) * 0.001; // drawn either way, so the generator stays in step
      prints.push({ t: at(h), rate: later ? (pert() - 0.5) * 0.01 : base, interval: 8, delayUs: S5 });
    }
    fund.push(funding(prints));
  }
  for (let k = 1; k < n; k++) {
    for (let s = 0; s < 2; s++) {
      dTimes.push(at(k) + S5);
      dSym.push(s);
      const c = closes[s]!;
      ret.push(k >= 2 ? c[k - 1]! / c[k - 2]! - 1 : Number.NaN);
    }
  }
  return market({
    bars: tradeBars,
    mark: markBars,
    funding: fund,
    instruments: [instrument('A', { maker_fee: 0.0002, taker_fee: 0.0005 }), instrument('B', { maker_fee: 0.0002, taker_fee: 0.0005 })],
    decisions: decisions(dTimes, dSym, { ret }),
  });
}

/** Trades every order type off the `ret` column, with seeded coin flips. */
export function busyStrategy(): Strategy {
  return {
    name: 'busy',
    onDecision(ctx) {
      const x = ctx.feature(0);
      if (Number.isNaN(x)) return;
      const s = ctx.symbol;
      const u = ctx.random();
      const c = ctx.close(s);
      if (u < 0.4) ctx.target(s, x > 0 ? 1 : -1);
      else if (u < 0.55) ctx.limit(s, x > 0 ? 5 : -5, c * (x > 0 ? 0.99 : 1.01));
      else if (u < 0.65) ctx.stop(s, x > 0 ? 5 : -5, c * (x > 0 ? 1.01 : 0.99));
      else if (u < 0.7) ctx.target(s, 0);
    },
  };
}

export const cfg = plainConfig({
  slippage: { mode: 'formula' },
  margin: { leverage: 5 },
  sizing: { mode: 'vol_target', vol_bars: 24, target_vol: 0.5, max_position_pct: 0.5, max_gross_leverage: 3, min_order_notional: 10 },
  drawdown: { enabled: true },
  regime_filter: { enabled: true },
  funding: { missing: 'error' },
});

