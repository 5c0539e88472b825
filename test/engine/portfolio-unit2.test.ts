import { describe, expect, it } from 'vitest';
import { Portfolio } from '../../src/engine/portfolio.js';

/**
 * The portfolio cases the engine-support mutation run found untested (docs/mutation.md): a flat
 * symbol with no price yet, the liquidation price of a flat symbol with accrued funding, a short
 * solved in a bracket with cum > 0, and the bracket edges. Brackets here use dyadic rates so that
 * the edges are exact in binary floating point; cum follows the continuity rule
 * cum_k = cum_{k-1} + max_{k-1} x (mmr_k - mmr_{k-1}).
 */
const DYADIC = [
  { max_notional: 1000, max_leverage: 4, mmr: 0.25, cum: 0 },
  { max_notional: 4000, max_leverage: 2, mmr: 0.5, cum: 250 },
  { max_notional: Infinity, max_leverage: 1, mmr: 0.75, cum: 1250 },
];
const BINANCE_LIKE = [
  { max_notional: 1000, max_leverage: 20, mmr: 0.01, cum: 0 },
  { max_notional: 10000, max_leverage: 10, mmr: 0.025, cum: 15 },
  { max_notional: Infinity, max_leverage: 5, mmr: 0.05, cum: 265 },
];

describe('a flat symbol before its first price', () => {
  it('adds nothing to unrealised P&L, gross exposure or the one-pass aggregates (its mark is NaN)', () => {
    const p = new Portfolio(2, 1000, 0.1, 0.01);
    p.fill(0, 2, 100, 0, 1);
    p.markPx[0] = 105;
    expect(Number.isNaN(p.markPx[1] as number)).toBe(true);
    expect(p.unrealised()).toBe(10);
    // a NaN gross would make every gross-leverage check against it false (no limit at all)
    expect(p.gross()).toBe(210);
    expect(p.revalue()).toBe(1000 + 10);
    expect([p.aggUnrealised, p.aggGross, p.aggNet]).toEqual([10, 210, 210]);
  });
});

describe('liquidation prices', () => {
  it('is NaN for a flat symbol, also with funding accrued on it', () => {
    const p = new Portfolio(1, 1000, 0.1, 0.01, [BINANCE_LIKE]);
    p.accrued[0] = -3;
    expect(Number.isNaN(p.liquidationPrice(0))).toBe(true);
    const flat = new Portfolio(1, 1000, 0.1, 0.01);
    flat.accrued[0] = 2;
    expect(Number.isNaN(flat.liquidationPrice(0))).toBe(true);
  });

  it('solves a short in its bracket with cum > 0: maintenance equals the position equity there', () => {
    const p = new Portfolio(1, 10_000, 0.1, 0.01, [BINANCE_LIKE]);
    p.fill(0, -100, 50, 0, 1); // notional 5000: bracket 2; margin 500
    expect(p.margin[0]).toBeCloseTo(500, 12);
    const liq = p.liquidationPrice(0);
    expect(liq).toBeCloseTo((500 + 100 * 50 + 15) / (100 * 1.025), 12);
    const notional = 100 * liq;
    expect(notional).toBeGreaterThan(1000);
    expect(notional).toBeLessThanOrEqual(10_000);
    // at that price: posted margin + P&L = notional x mmr_2 - cum_2
    expect(500 + 100 * (50 - liq)).toBeCloseTo(notional * 0.025 - 15, 9);
  });

  it("takes a bracket's upper edge as inside it (notional exactly at max_notional)", () => {
    const p = new Portfolio(1, 10_000, 0.25, 0.01, [DYADIC]);
    p.fill(0, 10, 100, 0, 1); // margin 0.25 x 1000 = 250
    expect(p.margin[0]).toBe(250);
    // bracket 1: (1000 - 250) / (10 x 0.75) = 100 exactly, notional 1000 = its max
    expect(p.liquidationPrice(0)).toBe(100);
  });

  it('returns the first bracket solution at or below zero notional (over-collateralised: never liquidated)', () => {
    const p = new Portfolio(1, 10_000, 0.25, 0.01, [DYADIC]);
    p.fill(0, 10, 100, 0, 1);
    p.margin[0] = 1200;
    // bracket 1: (1000 - 1200) / 7.5, not the flat-rate formula (1000 - 1200) / 9.9
    expect(p.liquidationPrice(0)).toBeCloseTo(-200 / 7.5, 12);
  });

  it('solves in the bracket whose range holds the notional, long side, for each bracket', () => {
    const p = new Portfolio(1, 1e6, 0.25, 0.01, [DYADIC]);
    p.fill(0, 10, 100, 0, 1);
    // margin 100: bracket 1 gives (1000 - 100) / 7.5 = 120 -> 1200 > 1000; bracket 2: (1000 - 100 - 250) / 5 = 130 -> 1300
    p.margin[0] = 100;
    expect(p.liquidationPrice(0)).toBe(130);
    // margin -2000 (a deep loss of posted margin): bracket 3: (1000 + 2000 - 1250) / 2.5 = 700 -> 7000 > 4000
    p.margin[0] = -2000;
    expect(p.liquidationPrice(0)).toBe(700);
  });
});
