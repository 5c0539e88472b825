import { describe, it, expect } from 'vitest';
import {
  crossSectionalIC,
  icByGroup,
  icSummary,
  neweyWestStdError,
  rollingIC,
  rollingMean,
  timeSeriesIC,
} from '../../src/stats/ic.js';
import { pearson, rankAverage, spearman } from '../../src/stats/descriptive.js';
import { normalArray } from '../../src/stats/random.js';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

describe('correlations (scipy.stats.spearmanr / pearsonr, as alphalens uses)', () => {
  const f = f64([0.3, -1.2, 0.5, 2.0, 0.5, -0.1]);
  const y = f64([0.01, -0.03, 0.002, 0.04, 0.01, 0.0]);
  it('matches scipy to 1e-12, ties averaged', () => {
    expect(Array.from(rankAverage(f))).toEqual([3, 1, 4.5, 6, 4.5, 2]);
    expect(spearman(f, y)).toBeCloseTo(0.8676470588235294, 12);
    expect(pearson(f, y)).toBeCloseTo(0.9799520035262429, 12);
  });
  it('hand case: a monotone but non-linear relation has Spearman 1 and Pearson < 1', () => {
    const x = f64([1, 2, 3, 4]);
    const z = f64([1, 8, 27, 64]);
    expect(spearman(x, z)).toBe(1);
    expect(pearson(x, z)).toBeLessThan(1);
    expect(Number.isNaN(pearson(x, f64([1, 1, 1, 1])))).toBe(true);
  });
});

describe('cross-sectional IC per timestamp', () => {
  it('computes one IC per timestamp, sorted by time, skipping thin or constant cross-sections', () => {
    const panel = {
      time: [2, 2, 2, 1, 1, 1, 1, 3, 3, 4, 4, 4],
      factor: [1, 2, 3, 4, 3, 2, 1, 1, 2, 5, 5, 5],
      forward: [0.1, 0.2, 0.3, 0.01, 0.02, 0.03, 0.04, 0.1, 0.2, 0.1, 0.2, Number.NaN],
    };
    const s = crossSectionalIC(panel, 'spearman');
    expect(Array.from(s.time)).toEqual([1, 2]);
    expect(Array.from(s.ic)).toEqual([-1, 1]);
    expect(Array.from(s.assets)).toEqual([4, 3]);
    // t = 3 has 2 assets; t = 4 has 2 valid pairs (NaN dropped).
    expect(s.skipped).toBe(2);
    const p = crossSectionalIC(panel, 'pearson');
    expect(p.ic[0]).toBeCloseTo(-1, 14);
  });
  it('recovers a planted signal and not noise', () => {
    const T = 200;
    const A = 30;
    const time: number[] = [];
    const factor: number[] = [];
    const forward: number[] = [];
    const z = normalArray(T * A * 2, 9);
    for (let t = 0; t < T; t++) {
      for (let a = 0; a < A; a++) {
        const i = t * A + a;
        time.push(t);
        factor.push(z[2 * i]!);
        forward.push(0.2 * z[2 * i]! + z[2 * i + 1]!);
      }
    }
    const s = icSummary(crossSectionalIC({ time, factor, forward }).ic);
    expect(s.n).toBe(T);
    expect(s.ic_mean!).toBeGreaterThan(0.1);
    expect(s.t_stat!).toBeGreaterThan(5);
  });
});

describe('time-series IC of one asset', () => {
  it('is the correlation over time; null when undefined', () => {
    expect(timeSeriesIC([1, 2, 3, 4, 5], [0.1, 0.3, 0.2, 0.5, 0.4])).toBeCloseTo(0.8, 14);
    expect(timeSeriesIC([1, 2], [1, 2])).toBeNull();
    expect(timeSeriesIC([1, 1, 1, 1], [1, 2, 3, 4])).toBeNull();
  });
});

describe('IC summary', () => {
  const ic = f64([0.05, 0.02, -0.01, 0.04, 0.06, 0.01, -0.03, 0.02, 0.05, 0.03, 0.0, 0.04]);
  it('mean, std, IR and t-statistic match scipy.stats.ttest_1samp', () => {
    const s = icSummary(ic);
    expect(s.ic_mean!).toBeCloseTo(0.023333333333333334, 15);
    expect(s.ic_std!).toBeCloseTo(0.0270801280154532, 15);
    expect(s.ic_ir!).toBeCloseTo(0.8616404368553292, 12);
    expect(s.t_stat!).toBeCloseTo(2.9848100289785466, 12);
    expect(s.positive_share).toBeCloseTo(9 / 12, 15);
  });
  it('Newey-West t-statistic with Bartlett weights (numpy reference)', () => {
    expect(icSummary(ic, 1).newey_west_t_stat!).toBeCloseTo(3.1175323999058633, 12);
    const s3 = icSummary(ic, 3);
    expect(s3.newey_west_lags).toBe(2);
    expect(s3.newey_west_t_stat!).toBeCloseTo(4.468759483431025, 12);
  });
  it('hand case with one lag: var = (gamma0 + gamma1) / n', () => {
    // x = (1, -1, 1, -1): mean 0, gamma0 = 1, gamma1 = -3/4, weight 1/2 -> lrv = 1 - 0.75 = 0.25
    expect(neweyWestStdError(f64([1, -1, 1, -1]), 1)).toBeCloseTo(Math.sqrt(0.25 / 4), 15);
  });
  it('overlapping forward returns inflate the naive t-statistic; Newey-West deflates it', () => {
    // IC-like series with MA(9) dependence, as from 10-period forward returns sampled every period.
    const e = normalArray(2009, 4);
    const x = new Float64Array(2000);
    for (let t = 0; t < 2000; t++) {
      let s = 0;
      for (let k = 0; k < 10; k++) s += e[t + k]!;
      x[t] = 0.02 + s / 10;
    }
    const s = icSummary(x, 10);
    expect(Math.abs(s.newey_west_t_stat!)).toBeLessThan(Math.abs(s.t_stat!) / 2);
  });
  it('is null-safe on short or constant series', () => {
    const s = icSummary(f64([0.1, 0.1, 0.1]));
    expect(s.ic_ir).toBeNull();
    expect(s.t_stat).toBeNull();
    expect(JSON.stringify(icSummary(f64([])))).not.toMatch(/NaN/);
  });
});

describe('rolling and grouped IC', () => {
  it('rolling IC uses trailing windows', () => {
    const f = f64([1, 2, 3, 4, 5, 6]);
    const y = f64([1, 2, 3, 3, 2, 1]);
    const r = rollingIC(f, y, 3, 'pearson');
    expect(r.length).toBe(4);
    expect(r[0]).toBeCloseTo(1, 14);
    expect(r[3]).toBeCloseTo(-1, 14);
    expect(rollingIC(f, f64([1, 1, 1, 2, 3, 4]), 3)[0]).toBeNull();
    expect(Array.from(rollingMean(f64([1, 2, 3, 4]), 2))).toEqual([1.5, 2.5, 3.5]);
  });
  it('IC by regime summarises each group', () => {
    const ic = f64([0.1, -0.1, 0.2, -0.2, 0.3]);
    const g = icByGroup(ic, ['up', 'down', 'up', 'down', 'up']);
    expect([...g.keys()]).toEqual(['up', 'down']);
    expect(g.get('up')!.ic_mean).toBeCloseTo(0.2, 15);
    expect(g.get('down')!.n).toBe(2);
    expect(g.get('down')!.ic_mean).toBeCloseTo(-0.15, 15);
  });
});
