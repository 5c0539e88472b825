import { describe, expect, it } from 'vitest';
import { Portfolio } from '../../src/engine/portfolio.js';

/**
 * The portfolio by hand: aggregates (unrealised, accrued, margin, gross, net, equity) from the definitions, every
 * kind of fill (open, add, partial reduce, close, cross through zero) with its margin, entry and realised P&L,
 * liquidation prices (flat mmr and brackets, long and short, accrued funding reducing the margin), brackets and a
 * liquidation whose loss is capped at the margin.
 */
function book(): Portfolio {
  // 3 symbols, 1000 cash, 10x (imr 0.1), mmr 0.01
  const p = new Portfolio(3, 1000, 0.1, 0.01);
  p.fill(0, 2, 100, 1, 10); // long 2 @ 100, fee 1
  p.fill(1, -3, 50, 0.5, 20); // short 3 @ 50, fee 0.5
  p.markPx[0] = 110;
  p.markPx[1] = 40;
  p.markPx[2] = 7; // flat symbol: a mark but no position
  p.accrued[0] = 2;
  p.accrued[2] = -1;
  return p;
}

describe('portfolio aggregates', () => {
  it('unrealised, accrued, margin, gross, equity, and revalue() computing them all in one pass', () => {
    const p = book();
    // unrealised: 2 x (110 - 100) + (-3) x (40 - 50) = 20 + 30
    expect(p.unrealised()).toBe(50);
    expect(p.accruedTotal()).toBe(1);
    expect(p.marginUsed()).toBeCloseTo(2 * 100 * 0.1 + 3 * 50 * 0.1, 12);
    expect(p.gross()).toBe(2 * 110 + 3 * 40);
    expect(p.cash).toBe(1000 - 1 - 0.5);
    expect(p.equity()).toBe(998.5 + 50 + 1);
    expect(p.revalue()).toBe(998.5 + 50 + 1);
    expect([p.aggUnrealised, p.aggAccrued, p.aggGross, p.aggNet, p.aggEquity]).toEqual([50, 1, 340, 220 - 120, 1049.5]);
    expect(p.aggMargin).toBeCloseTo(35, 12);
    expect([p.heldSince[0], p.heldSince[1], p.heldSince[2]]).toEqual([10, 20, Number.NaN]);
  });
});

describe('fills', () => {
  it('adding averages the entry and posts margin; the holding time stays that of the open', () => {
    const p = new Portfolio(1, 0, 0.5, 0.01);
    expect(p.fill(0, 1, 100, 0, 1)).toBe(0);
    expect(p.fill(0, 3, 120, 0, 2)).toBe(0);
    expect([p.qty[0], p.entry[0], p.margin[0], p.heldSince[0]]).toEqual([4, 115, 50 + 180, 1]);
  });

  it('a partial reduce realises against the entry and releases margin in proportion', () => {
    const p = new Portfolio(1, 0, 0.5, 0.01);
    p.fill(0, -4, 100, 0, 1);
    const r = p.fill(0, 1, 90, 2, 5); // buy back 1 of 4 short at 90: +10
    expect(r).toBe(10);
    expect(p.cash).toBe(10 - 2);
    expect([p.qty[0], p.entry[0], p.margin[0], p.heldSince[0]]).toEqual([-3, 100, 150, 1]);
  });

  it('a full close realises and leaves the symbol flat', () => {
    const p = new Portfolio(1, 0, 0.5, 0.01);
    p.fill(0, 2, 100, 0, 1);
    expect(p.fill(0, -2, 90, 0, 2)).toBe(-20);
    expect([p.qty[0], p.entry[0], p.margin[0], p.heldSince[0]]).toEqual([0, 0, 0, Number.NaN]);
  });

  it('crossing zero closes at the old entry and opens the rest at the fill price, a new holding time', () => {
    const p = new Portfolio(1, 0, 0.5, 0.01);
    p.fill(0, 2, 100, 0, 1);
    expect(p.fill(0, -5, 110, 0, 9)).toBe(20);
    expect([p.qty[0], p.entry[0], p.margin[0], p.heldSince[0]]).toEqual([-3, 110, 3 * 110 * 0.5, 9]);
  });
});

describe('liquidation prices and brackets', () => {
  it('flat mmr: long (qE - m) / (q (1 - mmr)), short (m + |q| E) / (|q| (1 + mmr)), accrued funding in m; NaN flat', () => {
    const p = new Portfolio(3, 0, 0.1, 0.01);
    p.fill(0, 2, 100, 0, 0); // margin 20
    p.fill(1, -2, 100, 0, 0);
    p.accrued[0] = -5;
    expect(p.liquidationPrice(0)).toBeCloseTo((200 - 15) / (2 * 0.99), 12);
    expect(p.liquidationPrice(1)).toBeCloseTo((20 + 200) / (2 * 1.01), 12);
    expect(p.liquidationPrice(2)).toBeNaN();
  });

  const tiers = [
    { max_notional: 1000, max_leverage: 50, mmr: 0.01, cum: 0 },
    { max_notional: 5000, max_leverage: 20, mmr: 0.025, cum: 15 },
  ];
  it('brackets: the bracket of a notional (its mmr, cum and max leverage), 0 beyond the last; flat mmr without tiers', () => {
    const p = new Portfolio(2, 0, 0.1, 0.005, [tiers, null]);
    const out = new Float64Array(2);
    expect(p.bracket(0, 1000, out)).toBe(50);
    expect([...out]).toEqual([0.01, 0]);
    expect(p.bracket(0, 1000.01, out)).toBe(20);
    expect([...out]).toEqual([0.025, 15]);
    expect(p.bracket(0, 9999, out)).toBe(0);
    expect([...out]).toEqual([0.025, 15]);
    expect(p.bracket(1, 9999, out)).toBe(Infinity);
    expect([...out]).toEqual([0.005, 0]);
  });

  it('bracketed liquidation price: solved in the bracket its notional falls in, long and short', () => {
    const p = new Portfolio(2, 0, 0.1, 0.005, [tiers, tiers]);
    p.fill(0, 30, 100, 0, 0); // notional 3000, margin 300: solved in bracket 2
    const long2 = (30 * 100 - 300 - 15) / (30 * (1 - 0.025));
    expect(30 * long2).toBeGreaterThan(1000);
    expect(p.liquidationPrice(0)).toBeCloseTo(long2, 12);
    p.fill(1, -5, 100, 0, 0); // notional 500, margin 50: bracket 1
    const short1 = (50 + 500) / (5 * 1.01);
    expect(5 * short1).toBeLessThanOrEqual(1000);
    expect(p.liquidationPrice(1)).toBeCloseTo(short1, 12);
  });
});

describe('liquidate', () => {
  it('charges P&L, accrued funding and the fee, capped at the margin, and leaves the symbol flat', () => {
    const p = new Portfolio(1, 1000, 0.1, 0.01);
    p.fill(0, 2, 100, 0, 0); // margin 20
    p.accrued[0] = -3;
    const out = new Float64Array(3);
    p.liquidate(0, 95, 0.001, out); // pnl -10, fee 0.19, accrued -3: -13.19 above the -20 floor
    expect(out[0]).toBeCloseTo(-13.19, 12);
    expect(out[1]).toBeCloseTo(0.19, 12);
    expect(out[2]).toBeCloseTo(0, 12);
    expect(p.cash).toBeCloseTo(1000 - 13.19, 12);
    expect([p.qty[0], p.accrued[0]]).toEqual([0, 0]);
    p.fill(0, 2, 100, 0, 0);
    p.liquidate(0, 80, 0, out); // pnl -40, capped at -20: 20 absorbed
    expect([out[0], out[1], out[2]]).toEqual([-20, 0, 20]);
  });
});
