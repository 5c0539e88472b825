import { describe, expect, it } from 'vitest';
import { pearson, spearman } from '../../src/stats/descriptive.js';
import { crossSectionalIC, rollingIC } from '../../src/stats/ic.js';

/**
 * What the stats-ic mutation run left alive and is a behaviour: a timestamp with enough assets but a constant
 * side has no IC (skipped, not a NaN in the series), and the default method of the cross-sectional and rolling
 * IC is Spearman (on data where Spearman and Pearson differ).
 */
const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);
// Spearman 1 (monotone), Pearson below 1 (not linear)
const X = [1, 2, 3, 4];
const Y = [1, 2, 3, 100];

describe('cross-sectional IC', () => {
  it('skips a timestamp whose factor (or return) is constant across enough assets, and counts it', () => {
    const panel = {
      time: [1, 1, 1, 2, 2, 2, 3, 3, 3],
      factor: [5, 5, 5, 1, 2, 3, 1, 2, 3],
      forward: [0.1, 0.2, 0.3, 0.1, 0.3, 0.2, 0.5, 0.5, 0.5],
    };
    const r = crossSectionalIC(panel, 'pearson');
    expect([...r.time]).toEqual([2]);
    expect(r.ic[0]).toBeCloseTo(pearson(f64([1, 2, 3]), f64([0.1, 0.3, 0.2])), 14);
    expect([...r.assets]).toEqual([3]);
    expect(r.skipped).toBe(2);
    expect(r.ic.every((v) => Number.isFinite(v))).toBe(true);
  });

  it('is Spearman by default', () => {
    const r = crossSectionalIC({ time: [7, 7, 7, 7], factor: X, forward: Y });
    expect(spearman(f64(X), f64(Y))).toBe(1);
    expect(pearson(f64(X), f64(Y))).toBeLessThan(0.9);
    expect([...r.ic]).toEqual([1]);
  });
});

describe('rolling IC', () => {
  it('is Spearman by default', () => {
    expect(rollingIC(f64(X), f64(Y), 4)).toEqual([1]);
    expect(rollingIC(f64(X), f64(Y), 4, 'pearson')[0]).toBeCloseTo(pearson(f64(X), f64(Y)), 14);
  });
});
