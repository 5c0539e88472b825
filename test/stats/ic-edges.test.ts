import { describe, expect, it } from 'vitest';
import { crossSectionalIC, icByGroup, icSummary, longRunVariance, neweyWestStdError, rollingIC, rollingMean, timeSeriesIC } from '../../src/stats/ic.js';
import { pearson, spearman } from '../../src/stats/descriptive.js';

/**
 * Guards and boundaries of the IC functions (found by the StrykerJS run of the stats-ic area), each value
 * against a hand computation or the descriptive primitives on the filtered input.
 */
const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

describe('time-series IC', () => {
  it('three finite pairs are enough, two are not; non-finite pairs are skipped; lengths must match', () => {
    expect(timeSeriesIC([1, 2, 3], [1, 3, 2])).toBeCloseTo(0.5, 14);
    expect(timeSeriesIC([1, 2, Number.NaN, 3], [1, 3, 5, Number.POSITIVE_INFINITY])).toBeNull();
    const x = [0.3, Number.NaN, 1.1, -0.4, 2.0, 0.9];
    const y = [0.1, 0.5, Number.NaN, -0.2, 0.7, 0.2];
    expect(timeSeriesIC(x, y, 'pearson')).toBeCloseTo(pearson(f64([0.3, -0.4, 2.0, 0.9]), f64([0.1, -0.2, 0.7, 0.2])), 14);
    expect(timeSeriesIC(x, y)).toBeCloseTo(spearman(f64([0.3, -0.4, 2.0, 0.9]), f64([0.1, -0.2, 0.7, 0.2])), 14);
    expect(() => timeSeriesIC([1, 2, 3], [1, 2])).toThrow('factor (3) and forward returns (2) differ in length');
  });
});

describe('cross-sectional IC', () => {
  it('refuses columns of different lengths', () => {
    expect(() => crossSectionalIC({ time: [1, 1], factor: [1], forward: [1, 2] })).toThrow('time (2), factor (1) and forward (2) differ in length');
    expect(() => crossSectionalIC({ time: [1], factor: [1], forward: [1, 2] })).toThrow(RangeError);
  });

  it('exactly minAssets valid pairs give an IC, one fewer is skipped; times sorted as numbers; pearson on request', () => {
    const panel = {
      // t = 10: 3 valid pairs (a 4th has a NaN factor); t = 9: 2 valid pairs; t = 100: 4 pairs
      time: [10, 10, 10, 10, 9, 9, 9, 100, 100, 100, 100],
      factor: [1, 2, 3, Number.NaN, 1, 2, 3, 1, 2, 3, 4],
      forward: [0.1, 0.3, 0.2, 0.5, 0.1, 0.2, Number.NaN, 1, 2, 3, 5],
    };
    const s = crossSectionalIC(panel, 'spearman', 3);
    expect(Array.from(s.time)).toEqual([10, 100]);
    expect(Array.from(s.assets)).toEqual([3, 4]);
    expect(s.ic[0]).toBeCloseTo(0.5, 14);
    expect(s.ic[1]).toBeCloseTo(1, 14);
    expect(s.skipped).toBe(1);
    const two = crossSectionalIC(panel, 'spearman', 2);
    expect(Array.from(two.time)).toEqual([9, 10, 100]);
    expect(two.skipped).toBe(0);
    const p = crossSectionalIC(panel, 'pearson', 3);
    expect(p.ic[1]).toBeCloseTo(pearson(f64([1, 2, 3, 4]), f64([1, 2, 3, 5])), 14);
  });
});

describe('Newey-West pieces', () => {
  it('empty series: NaN; lags clamped to n - 1 and floored', () => {
    expect(Number.isNaN(neweyWestStdError(f64([]), 2))).toBe(true);
    const e = longRunVariance(f64([]), 1);
    expect([Number.isNaN(e.gamma0), Number.isNaN(e.lrv)]).toEqual([true, true]);
    const x = f64([1, 3, 2, 5]);
    // mean 2.75, deviations -1.75, 0.25, -0.75, 2.25: gamma0 = 8.75 / 4
    expect(longRunVariance(x, 0).gamma0).toBeCloseTo(8.75 / 4, 14);
    expect(longRunVariance(x, 10).lrv).toBeCloseTo(longRunVariance(x, 3).lrv, 14);
    expect(longRunVariance(x, 1.9).lrv).toBeCloseTo(longRunVariance(x, 1).lrv, 14);
    expect(longRunVariance(x, -2).lrv).toBeCloseTo(8.75 / 4, 14);
    // one lag: gamma1 = (0.25 * -1.75 + -0.75 * 0.25 + 2.25 * -0.75) / 4 = -2.3125 / 4; lrv = gamma0 + gamma1
    expect(longRunVariance(x, 1).lrv).toBeCloseTo((8.75 - 2.3125) / 4, 14);
    expect(neweyWestStdError(x, 0)).toBeCloseTo(Math.sqrt(8.75 / 4 / 4), 14);
  });
});

describe('IC summary', () => {
  it('no ICs, one IC, and a hand case', () => {
    expect(icSummary(f64([]))).toEqual({ n: 0, ic_mean: null, ic_std: null, ic_ir: null, t_stat: null, newey_west_t_stat: null, newey_west_lags: 0, positive_share: null });
    expect(icSummary(f64([0.02]))).toEqual({ n: 1, ic_mean: 0.02, ic_std: null, ic_ir: null, t_stat: null, newey_west_t_stat: null, newey_west_lags: 0, positive_share: 1 });
    const s = icSummary(f64([0.1, 0, -0.05, 0.15]), 2.7);
    // mean 0.05, sample std sqrt(0.025 / 3); a zero IC is not positive
    const sd = Math.sqrt(0.025 / 3);
    expect(s.ic_mean).toBeCloseTo(0.05, 15);
    expect(s.ic_std).toBeCloseTo(sd, 14);
    expect(s.ic_ir).toBeCloseTo(0.05 / sd, 12);
    expect(s.t_stat).toBeCloseTo(0.05 / (sd / 2), 12);
    expect(s.positive_share).toBe(0.5);
    expect(s.newey_west_lags).toBe(1);
    expect(s.newey_west_t_stat).toBeCloseTo(0.05 / Math.sqrt(longRunVariance(f64([0.1, 0, -0.05, 0.15]), 1).lrv / 4), 12);
    // a constant series: no IR, no t
    const c = icSummary(f64([0.03, 0.03, 0.03]));
    expect([c.ic_std, c.ic_ir, c.t_stat, c.newey_west_t_stat]).toEqual([0, null, null, null]);
  });
});

describe('rolling and grouped ICs', () => {
  it('rollingIC: one value per full trailing window, the last one included; null for a constant window; guards', () => {
    const f = f64([1, 2, 3, 4, 5]);
    const r = f64([1, 1, 1, 2, 1]);
    const out = rollingIC(f, r, 3, 'pearson');
    expect(out).toHaveLength(3);
    expect(out[0]).toBeNull();
    expect(out[1]).toBeCloseTo(pearson(f64([2, 3, 4]), f64([1, 1, 2])), 14);
    expect(out[2]).toBeCloseTo(pearson(f64([3, 4, 5]), f64([1, 2, 1])), 14);
    expect(rollingIC(f, r, 5)).toHaveLength(1);
    expect(rollingIC(f, r, 6)).toEqual([]);
    expect(() => rollingIC(f, f64([1]), 3)).toThrow('factor and forward returns differ in length');
    expect(() => rollingIC(f, r, 2)).toThrow('window must be >= 3, got 2');
    expect(() => rollingIC(f, r, Number.NaN)).toThrow(RangeError);
  });

  it('rollingMean: trailing means, window 1 is the series, guards', () => {
    expect(Array.from(rollingMean(f64([1, 2, 3, 6]), 2))).toEqual([1.5, 2.5, 4.5]);
    expect(Array.from(rollingMean(f64([1, 2, 3, 6]), 1))).toEqual([1, 2, 3, 6]);
    expect(Array.from(rollingMean(f64([1, 2]), 3))).toEqual([]);
    expect(() => rollingMean(f64([1]), 0)).toThrow('window must be >= 1, got 0');
  });

  it('icByGroup: groups in order of first appearance, each summarised; lengths must match', () => {
    const g = icByGroup(f64([0.1, 0.2, -0.1, 0.3, 0.0]), ['calm', 'stress', 'calm', 'stress', 'calm']);
    expect([...g.keys()]).toEqual(['calm', 'stress']);
    expect(g.get('calm')?.n).toBe(3);
    expect(g.get('calm')?.ic_mean).toBeCloseTo(0, 15);
    expect(g.get('stress')?.ic_mean).toBeCloseTo(0.25, 15);
    expect(() => icByGroup(f64([0.1]), ['a', 'b'])).toThrow('groups (2) and ICs (1) differ in length');
  });
});
