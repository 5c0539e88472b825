import { describe, expect, it } from 'vitest';
import { FEE_SCHEDULES, type FeeTier } from '../../src/domain/backtest.js';
import { isPerpkitError } from '../../src/domain/errors.js';
import { feeSchedule, resolveFeeTier, slippageBps, SLIPPAGE_FIXED, SLIPPAGE_FORMULA, SLIPPAGE_NONE, type SlippageParams } from '../../src/engine/costs.js';
import { settlementTimes } from '../../src/engine/funding.js';

const H = 3_600_000_000;
const coinbase = FEE_SCHEDULES['coinbase'] as FeeTier[];
const cfg = (schedule?: FeeTier[]): Parameters<typeof feeSchedule>[1] => ({ fees: { ...(schedule ? { schedule } : {}) } }) as unknown as Parameters<typeof feeSchedule>[1];

/** The usage error a call throws (exit 2), with its message and hint. */
function usage(f: () => unknown): { message: string; hint: string } {
  try {
    f();
  } catch (err) {
    expect(isPerpkitError(err) && err.exitCode).toBe(2);
    const e = err as { message: string; hint?: string };
    return { message: e.message, hint: e.hint ?? '' };
  }
  throw new Error('no error thrown');
}

describe('fee tiers and schedules', () => {
  it('a tier by name or by index; anything else is exit 2 naming the tier, the venue and the choices', () => {
    expect(resolveFeeTier(coinbase, '3', 'coinbase')).toEqual({ name: '3', min_volume_30d: 100_000, maker: 0.001, taker: 0.002 });
    const binance = FEE_SCHEDULES['binance-usdm'] as FeeTier[];
    expect(resolveFeeTier(binance, 'VIP2', 'binance-usdm').taker).toBe(0.00035);
    expect(resolveFeeTier(binance, '2', 'binance-usdm').name).toBe('VIP2'); // an index
    expect(resolveFeeTier(binance, '0', 'binance-usdm').name).toBe('VIP0');
    for (const bad of ['10', '2x', 'x2', 'VIP10', '-1', '1.0']) {
      const e = usage(() => resolveFeeTier(binance, bad, 'binance-usdm'));
      expect(e.message).toBe(`fee tier ${JSON.stringify(bad)} does not exist for binance-usdm`);
      expect(e.hint).toBe(`use one of ${binance.map((t) => t.name).join(', ')} (or an index 0-9)`);
    }
  });

  it('the config schedule first, then the instruments\' own (when not empty), then the venue family built-in', () => {
    const own: FeeTier[] = [{ name: 'own', min_volume_30d: 0, maker: 0.001, taker: 0.001 }];
    const over: FeeTier[] = [{ name: 'cfg', min_volume_30d: 0, maker: 0, taker: 0 }];
    expect(feeSchedule('coinbase', cfg(over), own)).toBe(over);
    expect(feeSchedule('coinbase', cfg(), own)).toBe(own);
    expect(feeSchedule('coinbase', cfg(), [])).toBe(coinbase);
    expect(feeSchedule('coinbase-intx', cfg(), null)).toBe(coinbase);
    expect(feeSchedule('binance-spot', cfg(), null)).toBe(FEE_SCHEDULES['binance-usdm']);
    // a prefix, not a suffix or any substring
    const e = usage(() => feeSchedule('intx-coinbase', cfg(), null));
    expect(e.message).toBe('no fee schedule for venue intx-coinbase');
    expect(e.hint).toBe('give fees.schedule in the --config file');
    expect(() => feeSchedule('my-binance', cfg(), null)).toThrow('no fee schedule for venue my-binance');
    expect(() => feeSchedule('kraken', cfg(), null)).toThrow('no fee schedule for venue kraken');
  });
});

describe('slippage (bps of the reference price)', () => {
  const p = (o: Partial<SlippageParams>): SlippageParams => ({ mode: SLIPPAGE_FORMULA, fixed_bps: 3, half_spread_bps: 1, base_bps: 2, impact_k: 0.5, noise: 0, ...o });

  it('none is 0 and fixed is fixed_bps, whatever the market', () => {
    expect(slippageBps(p({ mode: SLIPPAGE_NONE }), 0.01, 0.005, 1e6, 1e7, 3)).toBe(0);
    expect(slippageBps(p({ mode: SLIPPAGE_FIXED }), 0.01, 0.005, 1e6, 1e7, 0)).toBe(3);
  });

  it('formula: half-spread + base x sigma_t/sigma_ref + k x sigma_t x sqrt(q/ADV) x 1e4, by hand', () => {
    // 1 + 2 x (0.01 / 0.005) + 0.5 x 0.01 x sqrt(1e6 / 1e8) x 1e4 = 1 + 4 + 5 = 10
    expect(slippageBps(p({}), 0.01, 0.005, 1e6, 1e8, 0)).toBeCloseTo(10, 12);
    // sigma_t unknown: ratio 1, impact on sigma_ref: 1 + 2 + 0.5 x 0.005 x 0.1 x 1e4 = 5.5
    expect(slippageBps(p({}), Number.NaN, 0.005, 1e6, 1e8, 0)).toBeCloseTo(5.5, 12);
    // both unknown: ratio 1, no impact
    expect(slippageBps(p({}), Number.NaN, Number.NaN, 1e6, 1e8, 0)).toBe(3);
    // sigma_ref unknown: ratio 1, impact on sigma_t: 1 + 2 + 5
    expect(slippageBps(p({}), 0.01, 0, 1e6, 1e8, 0)).toBeCloseTo(8, 12);
    // ADV unknown or no notional: no impact term
    expect(slippageBps(p({}), 0.01, 0.005, 1e6, 0, 0)).toBe(5);
    expect(slippageBps(p({}), 0.01, 0.005, 1e6, Number.NaN, 0)).toBe(5);
    expect(slippageBps(p({}), 0.01, 0.005, 0, 1e8, 0)).toBe(5);
  });

  it('noise multiplies by max(0, 1 + noise x gauss), and only when noise > 0', () => {
    expect(slippageBps(p({ noise: 0.5 }), 0.01, 0.005, 1e6, 1e8, 1)).toBeCloseTo(15, 12);
    expect(slippageBps(p({ noise: 0.5 }), 0.01, 0.005, 1e6, 1e8, -1)).toBeCloseTo(5, 12);
    expect(slippageBps(p({ noise: 0.5 }), 0.01, 0.005, 1e6, 1e8, -4)).toBe(0); // never negative
    expect(slippageBps(p({ noise: 0 }), 0.01, 0.005, 1e6, 1e8, 5)).toBeCloseTo(10, 12);
    expect(slippageBps(p({ mode: SLIPPAGE_FIXED, noise: 0.5 }), 0, 0, 0, 0, 1)).toBeCloseTo(4.5, 12);
  });
});

describe('funding settlement times', () => {
  it('multiples of the interval since 00:00 UTC in (from, to]', () => {
    const day = Date.UTC(2026, 0, 1) * 1000;
    expect(Array.from(settlementTimes(day, day + 24 * H, 8))).toEqual([day + 8 * H, day + 16 * H, day + 24 * H]); // from excluded, to included
    expect(Array.from(settlementTimes(day + 1, day + 8 * H - 1, 8))).toEqual([]);
    expect(Array.from(settlementTimes(day + 8 * H - 1, day + 8 * H, 8))).toEqual([day + 8 * H]);
    expect(Array.from(settlementTimes(day + 5 * H, day + 17 * H, 12))).toEqual([day + 12 * H]);
    expect(Array.from(settlementTimes(day, day + 3 * H, 1))).toEqual([day + H, day + 2 * H, day + 3 * H]);
    expect(settlementTimes(day, day, 8).length).toBe(0);
    expect(settlementTimes(day + H, day, 8).length).toBe(0);
    expect(settlementTimes(day, day + 24 * H, 0).length).toBe(0);
    expect(settlementTimes(day, day + 24 * H, Number.NaN).length).toBe(0);
  });
});
