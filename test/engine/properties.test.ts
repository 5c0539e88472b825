/**
 * Property tests on seeded random markets: the accounting identity at every equity row, no fill
 * outside its bar's range, and no event used before its available_time (perturbing everything
 * available after T leaves every output up to T bit-identical).
 */
import { describe, expect, it } from 'vitest';
import { runEngine, type EngineResult } from '../../src/engine/engine.js';
import type { MarketData } from '../../src/engine/types.js';
import { mulberry32 } from '../../src/stats/random.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import { at, bars, decisions, funding, instrument, market, plainConfig, type Ohlc } from './fixture.js';

const S2 = 2_000_000;
const S5 = 5_000_000;

/** Two symbols, `n` hourly bars (random walk with wicks), mark bars near the trades, 8 h funding. */
function randomMarket(seed: number, n = 400, perturbAfter = Infinity): MarketData {
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
function busyStrategy(): Strategy {
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

const cfg = plainConfig({
  slippage: { mode: 'formula' },
  margin: { leverage: 5 },
  sizing: { mode: 'vol_target', vol_bars: 24, target_vol: 0.5, max_position_pct: 0.5, max_gross_leverage: 3, min_order_notional: 10 },
  drawdown: { enabled: true },
  regime_filter: { enabled: true },
  funding: { missing: 'error' },
});

describe('engine properties on random markets', () => {
  for (const seed of [1, 2, 3]) {
    const r = runEngine(randomMarket(seed), cfg, busyStrategy());

    it(`seed ${seed}: the run trades (sanity of the scenario)`, () => {
      expect(r.fills.qty.length).toBeGreaterThan(20);
      expect(r.funding.amount.length).toBeGreaterThan(5);
    });

    it(`seed ${seed}: equity = cash + unrealised + accrued funding at every row`, () => {
      for (let i = 0; i < r.equity.time.length; i++) {
        const sum = r.equity.cash[i]! + r.equity.unrealised[i]! + r.equity.accrued_funding[i]!;
        expect(Math.abs(r.equity.equity[i]! - sum)).toBeLessThan(1e-9 * Math.abs(r.equity.equity[i]!));
      }
    });

    it(`seed ${seed}: no fill at a price outside its bar's range`, () => {
      const m = randomMarket(seed);
      for (let i = 0; i < r.fills.price.length; i++) {
        const px = r.fills.price[i]!;
        expect(px).toBeGreaterThanOrEqual(r.fills.bar_low[i]!);
        expect(px).toBeLessThanOrEqual(r.fills.bar_high[i]!);
        if (r.fills.liquidation[i] === 0) {
          // and the recorded range is the traded bar that opened at the fill time
          const b = m.bars[r.fills.sym[i]!]!;
          const k = Array.from(b.open_time).indexOf(r.fills.time[i]!);
          expect(px).toBeGreaterThanOrEqual(b.low[k]!);
          expect(px).toBeLessThanOrEqual(b.high[k]!);
        }
      }
    });
  }

  it('perturbing every input available after T leaves all outputs up to T bit-identical (and changes later ones)', () => {
    const T = at(200) + 3_000_000;
    const a = runEngine(randomMarket(7), cfg, busyStrategy());
    const b = runEngine(randomMarket(7, 400, T), cfg, busyStrategy());
    const upTo = (r: EngineResult) => {
      const eq = Array.from(r.equity.time).filter((t) => t <= T).length;
      const fills = Array.from(r.fills.booked).filter((t) => t <= T).length;
      const orders = Array.from(r.orders.created).filter((t) => t <= T).length;
      return {
        equity: Array.from(r.equity.equity.slice(0, eq)),
        cash: Array.from(r.equity.cash.slice(0, eq)),
        fills: Array.from(r.fills.price.slice(0, fills)),
        fillQty: Array.from(r.fills.qty.slice(0, fills)),
        orders: Array.from(r.orders.qty.slice(0, orders)),
        // funding rows carry the print time; the print is available 5 s later
        funding: Array.from(r.funding.amount).filter((_, i) => r.funding.time[i]! + S5 <= T),
      };
    };
    const ua = upTo(a);
    expect(ua.equity.length).toBeGreaterThan(150);
    expect(ua.fills.length).toBeGreaterThan(10);
    expect(upTo(b)).toEqual(ua);
    expect(Array.from(b.equity.equity)).not.toEqual(Array.from(a.equity.equity));
  });

  it('is deterministic: the same inputs give bit-identical outputs', () => {
    const a = runEngine(randomMarket(11), { ...cfg, slippage: { ...cfg.slippage, noise: 0.5 } }, busyStrategy());
    const b = runEngine(randomMarket(11), { ...cfg, slippage: { ...cfg.slippage, noise: 0.5 } }, busyStrategy());
    expect(Array.from(b.fills.price)).toEqual(Array.from(a.fills.price));
    expect(Array.from(b.equity.equity)).toEqual(Array.from(a.equity.equity));
  });
});
