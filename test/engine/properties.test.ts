/**
 * Property tests on seeded random markets: the accounting identity at every equity row, no fill
 * outside its bar's range, and no event used before its available_time (perturbing everything
 * available after T leaves every output up to T bit-identical).
 */
import { describe, expect, it } from 'vitest';
import { runEngine, type EngineResult } from '../../src/engine/engine.js';
import { at } from './fixture.js';
import { busyStrategy, cfg, randomMarket, S5 } from './random-market.js';

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
