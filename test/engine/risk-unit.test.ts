import { describe, expect, it } from 'vitest';
import { baseNotional, DD_COOLDOWN, DD_HALTED, DD_NORMAL, DD_REDUCED, DrawdownController, periodsPerYear, Rolling, roundToLot } from '../../src/engine/risk.js';

const H = 3_600_000_000;
const dd = (o: Partial<{ enabled: boolean; warning: number; max: number; reduced_size: number; cooldown_hours: number }> = {}): DrawdownController =>
  new DrawdownController({ enabled: true, warning: 0.1, max: 0.15, reduced_size: 0.5, cooldown_hours: 24, ...o } as ConstructorParameters<typeof DrawdownController>[0]);

describe('risk helpers', () => {
  it('rolling std: NaN until the window is full (and for fewer than 2), then the sample std (ddof 1) of the last window', () => {
    const r = new Rolling(2, 3);
    r.push(0, 1);
    r.push(0, 2);
    expect(r.full(0)).toBe(false);
    expect(r.std(0)).toBeNaN();
    r.push(0, 4);
    expect(r.full(0)).toBe(true);
    expect(r.sum(0)).toBe(7);
    expect(r.std(0)).toBeCloseTo(Math.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 2), 12);
    r.push(0, 4); // window now 2, 4, 4
    expect(r.sum(0)).toBe(10);
    expect(r.std(0)).toBeCloseTo(Math.sqrt(((2 - 10 / 3) ** 2 + 2 * (4 - 10 / 3) ** 2) / 2), 12);
    for (const x of [5, 5, 5]) r.push(0, x);
    expect(r.std(0)).toBe(0); // a flat window: 0, never NaN from rounding
    expect(r.std(1)).toBeNaN(); // the other symbol has nothing
    const one = new Rolling(1, 1);
    one.push(0, 3);
    expect(one.std(0)).toBeNaN();
  });

  it('periods per year on the 365 x 24 h calendar; vol-target, fixed-fraction and fixed notional sizing', () => {
    expect(periodsPerYear(H)).toBe(8760);
    expect(periodsPerYear(60_000_000)).toBe(525_600);
    const sizing = { mode: 'vol_target', notional: 5000, fraction: 0.2, target_vol: 0.2 } as Parameters<typeof baseNotional>[0];
    // 0.2 x 10,000 / (0.01 x sqrt(8760))
    expect(baseNotional(sizing, 10_000, 0.01, H)).toBeCloseTo(2000 / (0.01 * Math.sqrt(8760)), 9);
    expect(baseNotional(sizing, 10_000, 0, H)).toBeNaN();
    expect(baseNotional(sizing, 10_000, Number.NaN, H)).toBeNaN();
    expect(baseNotional({ ...sizing, mode: 'fixed_fraction' }, 10_000, Number.NaN, H)).toBe(2000);
    expect(baseNotional({ ...sizing, mode: 'fixed_notional' }, 10_000, Number.NaN, H)).toBe(5000);
  });

  it('lot rounding goes towards zero, tolerates float error at a whole lot, and lot 0 leaves the size', () => {
    expect(roundToLot(0.123456, 0.001)).toBeCloseTo(0.123, 12);
    expect(roundToLot(-0.123456, 0.001)).toBeCloseTo(-0.123, 12);
    expect(roundToLot(0.3, 0.1)).toBeCloseTo(0.3, 12); // 0.3 / 0.1 = 2.9999999999999996
    expect(roundToLot(-0.3, 0.1)).toBeCloseTo(-0.3, 12);
    expect(roundToLot(0.0999, 0.1)).toBe(0);
    expect(roundToLot(1.2345, 0)).toBe(1.2345);
    expect(roundToLot(1.2345, Number.NaN)).toBe(1.2345);
  });
});

describe('drawdown controller (seed §9.2)', () => {
  it('normal, reduced from the warning, halted at the max (boundaries inclusive), cooldown, then normal with the peak reset', () => {
    const c = dd({ warning: 0.25, max: 0.5 }); // drawdowns exact in binary: 1 - 75/100, 1 - 50/100
    expect(c.update(100, 0)).toBe(false);
    expect([c.state, c.multiplier()]).toEqual([DD_NORMAL, 1]);
    expect(c.update(75.0001, H)).toBe(false); // just under 25 %
    expect(c.update(75, 2 * H)).toBe(true); // exactly 25 %
    expect([c.state, c.multiplier()]).toEqual([DD_REDUCED, 0.5]);
    expect(c.update(95, 3 * H)).toBe(true);
    expect(c.state).toBe(DD_NORMAL);
    expect(c.update(50, 4 * H)).toBe(true); // exactly 50 %
    expect([c.state, c.multiplier(), c.breachTime]).toEqual([DD_HALTED, 0, 4 * H]);
    expect(c.update(100, 5 * H)).toBe(true); // recovered, but cooling down
    expect([c.state, c.multiplier()]).toEqual([DD_COOLDOWN, 0]);
    expect(c.update(80, 4 * H + 24 * H - 1)).toBe(false); // 1 µs before the end of the cooldown
    expect(c.update(80, 4 * H + 24 * H)).toBe(true); // cooldown over: normal, peak = equity now
    expect([c.state, c.peak, c.drawdown, c.multiplier()]).toEqual([DD_NORMAL, 80, 0, 1]);
    expect(c.breachTime).toBeNaN();
    expect(c.update(60, 29 * H)).toBe(true); // 25 % below the new peak
    expect(c.state).toBe(DD_REDUCED);
  });

  it('disabled: tracks the drawdown, never changes state', () => {
    const c = dd({ enabled: false });
    c.update(100, 0);
    expect(c.update(50, H)).toBe(false);
    expect([c.state, c.drawdown, c.multiplier()]).toEqual([DD_NORMAL, 0.5, 1]);
  });
});
