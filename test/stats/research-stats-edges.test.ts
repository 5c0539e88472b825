import { describe, expect, it } from 'vitest';
import {
  contributionsFromRanks,
  countingRanks,
  effectiveNOverlap,
  fastRanks,
  fastSpearman,
  neweyWestLags,
  neweyWestMeanTest,
  rankKeys,
  spearmanContributions,
  timeSeriesIcTest,
  zscorePop,
} from '../../src/stats/overlap.js';
import { bucketOf, bucketStats, finiteMean, quantileEdges, spearmanExactP } from '../../src/stats/buckets.js';
import { horizonProfile, icStability, icTrend, signStability } from '../../src/stats/decay.js';
import { olsCoefficients, walkForwardResiduals } from '../../src/stats/incremental.js';
import { normSf } from '../../src/stats/normal.js';
import { normalArray } from '../../src/stats/random.js';

/**
 * Edge cases and exact values of the research statistics that research-stats.test.ts leaves open (found by
 * the StrykerJS run of the stats-research area): guards, boundaries and each formula against a plain loop.
 */
const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);
const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** sum_{i,j} max(0, 1 - |i-j|/h): the double loop of the effective N definition. */
function rhoSum(n: number, h: number): number {
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += Math.max(0, 1 - Math.abs(i - j) / h);
  return s;
}
/** Plain Bartlett long-run variance and gamma0 (population), double loop. */
function lrv(x: number[], L: number): { g0: number; lrv: number } {
  const n = x.length;
  const m = sum(x) / n;
  let s = 0;
  let g0 = 0;
  for (let i = 0; i < n; i++) {
    g0 += (x[i]! - m) ** 2;
    for (let j = 0; j < n; j++) {
      const k = Math.abs(i - j);
      if (k <= L) s += (1 - k / (L + 1)) * (x[i]! - m) * (x[j]! - m);
    }
  }
  return { g0: g0 / n, lrv: s / n };
}
/** Average ranks by counting smaller values and ties. */
const naiveRanks = (x: number[]): number[] => x.map((v) => x.filter((w) => w < v).length + (x.filter((w) => w === v).length + 1) / 2);

describe('overlap: guards and exact values', () => {
  it('neweyWestLags refuses non-positive inputs and absorbs floating-point noise in the ratio', () => {
    expect(() => neweyWestLags(0, 1)).toThrow('horizon (0) and bar (1) must be > 0');
    expect(() => neweyWestLags(1, 0)).toThrow(RangeError);
    expect(() => neweyWestLags(Number.NaN, 1)).toThrow(RangeError);
    expect(neweyWestLags(0.3 * 3, 0.3)).toBe(2); // 0.9 / 0.3 = 3.0000000000000004
    expect(neweyWestLags(3.5, 1)).toBe(3);
  });

  it('effectiveNOverlap: none for n <= 0, n for h <= 1, the double loop for non-integer h and n < h', () => {
    expect(effectiveNOverlap(0, 5)).toBe(0);
    expect(effectiveNOverlap(-3, 5)).toBe(0);
    expect(effectiveNOverlap(5, 0.5)).toBe(5);
    for (const [n, h] of [[3, 2.5], [3, 10], [7, 3.5], [1, 4]] as const) expect(effectiveNOverlap(n, h)).toBeCloseTo((n * n) / rhoSum(n, h), 12);
  });

  it('neweyWestMeanTest: t, p and effective N from the plain formulas; lags clamped to [0, n - 1] and floored', () => {
    const x = [0.5, 1.2, -0.3, 2.0, 0.7, 1.1, -0.4, 0.9];
    for (const [asked, used] of [[2, 2], [2.7, 2], [-1, 0], [50, 7]] as const) {
      const t = neweyWestMeanTest(f64(x), asked);
      const { g0, lrv: v } = lrv(x, used);
      const m = sum(x) / x.length;
      expect(t.lags).toBe(used);
      expect(t.n).toBe(8);
      expect(t.mean).toBeCloseTo(m, 14);
      expect(t.t_naive).toBeCloseTo(m / Math.sqrt(g0 / 8), 10);
      expect(t.t_nw).toBeCloseTo(m / Math.sqrt(v / 8), 10);
      expect(t.p_value).toBeCloseTo(2 * normSf(Math.abs(m / Math.sqrt(v / 8))), 12);
      expect(t.effective_n).toBeCloseTo(Math.min(8, (8 * g0) / v), 10);
    }
    // negatively autocorrelated: the long-run variance is below gamma0 and effective N is capped at n
    const alt = [1, -1, 1, -1, 1, -1, 1.5];
    const { g0, lrv: v } = lrv(alt, 1);
    expect((7 * g0) / v).toBeGreaterThan(7);
    expect(neweyWestMeanTest(f64(alt), 1).effective_n).toBe(7);
  });

  it('neweyWestMeanTest: fewer than 3 values give only the mean; a constant series gives no t', () => {
    expect(neweyWestMeanTest(f64([1, 2]), 5)).toEqual({ n: 2, mean: 1.5, t_naive: null, t_nw: null, p_value: null, effective_n: null, lags: 1 });
    expect(neweyWestMeanTest(f64([]), 3)).toEqual({ n: 0, mean: null, t_naive: null, t_nw: null, p_value: null, effective_n: null, lags: 0 });
    // three values are enough for the t-statistics
    const three = neweyWestMeanTest(f64([1, 2, 6]), 0);
    expect(three.t_naive).toBeCloseTo(3 / Math.sqrt(lrv([1, 2, 6], 0).g0 / 3), 12);
    expect(three.t_nw).toBeCloseTo(three.t_naive!, 12);
    const c = neweyWestMeanTest(f64([2, 2, 2, 2]), 1);
    expect([c.mean, c.t_naive, c.t_nw, c.p_value, c.effective_n]).toEqual([2, null, null, null, null]);
    const short = timeSeriesIcTest(f64([1, 2]), f64([2, 1]), 3);
    expect([short.n, short.ic, short.lags]).toEqual([2, null, 3]);
    // three values are enough: IC of a reversed order is -1
    expect(timeSeriesIcTest(f64([1, 2, 3]), f64([3, 2, 1]), 0).ic).toBeCloseTo(-1, 14);
  });

  it('zscorePop uses the population std; null for fewer than 2 values or a constant', () => {
    const z = zscorePop(f64([1, 2, 3]))!;
    const s = Math.sqrt(2 / 3);
    expect(Array.from(z)).toEqual([-1 / s, 0, 1 / s].map((v) => expect.closeTo(v, 14)));
    expect(Array.from(zscorePop(f64([1, 3]))!)).toEqual([-1, 1]);
    expect(zscorePop(f64([1]))).toBeNull();
    expect(zscorePop(f64([4, 4, 4]))).toBeNull();
  });

  it('rank keys are twice the average ranks; counting ranks of any subset of keys are the subset\'s own average ranks', () => {
    const x = [3, 1, 4.5, 1, 2, 4.5, 4.5, 0];
    expect(Array.from(rankKeys(f64(x)))).toEqual(naiveRanks(x).map((r) => 2 * r));
    const keys = rankKeys(f64(x));
    const maxKey = Math.max(...keys);
    for (const subset of [[0, 1, 2, 3], [2, 5, 6], [1, 3, 7, 4], [0, 1, 2, 3, 4, 5, 6, 7]]) {
      const ranks = countingRanks(Int32Array.from(subset, (i) => keys[i]!), maxKey);
      expect(Array.from(ranks)).toEqual(naiveRanks(subset.map((i) => x[i]!)));
    }
    // the largest key itself
    expect(Array.from(countingRanks(Int32Array.from([maxKey, 0]), maxKey))).toEqual([2, 1]);
  });

  it('contributions from ranks equal the contributions from values; null when a side is constant; lengths must match', () => {
    const x = normalArray(40, 3);
    const y = normalArray(40, 4);
    const a = contributionsFromRanks(fastRanks(x), fastRanks(y))!;
    const b = spearmanContributions(x, y)!;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(contributionsFromRanks(fastRanks(x), f64(new Array(40).fill(1)))).toBeNull();
    expect(spearmanContributions(f64(new Array(40).fill(1)), y)).toBeNull();
    expect(() => spearmanContributions(x, f64([1, 2]))).toThrow('lengths differ (40 vs 2)');
    expect(() => fastSpearman(x, f64([1]))).toThrow(/^lengths differ \(40 vs 1\)$/);
  });
});

describe('buckets: guards and exact values', () => {
  it('quantileEdges needs k >= 2, ignores non-finite values, is empty without finite values', () => {
    expect(() => quantileEdges([1, 2, 3], 1)).toThrow('buckets must be >= 2, got 1');
    expect(() => quantileEdges([1, 2, 3], Number.NaN)).toThrow(RangeError);
    expect(quantileEdges([Number.NaN, Number.POSITIVE_INFINITY], 3)).toEqual([]);
    expect(quantileEdges([4, 1, Number.NEGATIVE_INFINITY, 3, 2], 2)).toEqual([2.5]);
    expect(quantileEdges([0, 10], 4)).toEqual([2.5, 5, 7.5]);
  });

  it('bucketOf: no edges is one bucket; infinities are not bucketed', () => {
    expect(bucketOf(5, [])).toBe(0);
    expect(bucketOf(Number.POSITIVE_INFINITY, [1])).toBe(-1);
    expect(bucketOf(Number.NEGATIVE_INFINITY, [1])).toBe(-1);
    expect(bucketOf(1, [1, 1, 2])).toBe(0);
    expect(bucketOf(1.5, [1, 1, 2])).toBe(2);
  });

  it('spearmanExactP: no p below 3 values or for a constant; refuses more than 8; k = 3 by enumeration', () => {
    expect(spearmanExactP([1, 2])).toEqual({ rho: null, p_value: null });
    expect(spearmanExactP([1, 1, 1])).toEqual({ rho: null, p_value: null });
    expect(() => spearmanExactP([1, 2, 3, 4, 5, 6, 7, 8, 9])).toThrow('exact permutation p needs <= 8 buckets, got 9');
    expect(spearmanExactP([1, 2, 3])).toEqual({ rho: 1, p_value: 2 / 6 });
    // rho 0.5 for [1, 3, 2]: orderings with |rho| >= 0.5 are all but none (values 1, 0.5, 0.5, -0.5, -0.5, -1)
    expect(spearmanExactP([1, 3, 2]).p_value).toBeCloseTo(6 / 6, 12);
    // 8 values: 40320 orderings, the identity and its reverse are the only |rho| = 1
    expect(spearmanExactP([1, 2, 3, 4, 5, 6, 7, 8]).p_value).toBeCloseTo(2 / 40320, 15);
  });

  it('bucketStats leaves out non-finite returns and features, counts a zero return as no hit, reports empty buckets as null', () => {
    const feature = [1, 2, 3, 4, 5, 6, Number.NaN, 7];
    const forward = [0.1, 0, -0.2, 0.3, Number.NaN, 0.5, 1, -0.1];
    const r = bucketStats([{ feature, forward }], [3, 100], 0, 0.9);
    expect(r.buckets).toEqual([
      { bucket: 1, count: 3, mean_return: expect.closeTo(-0.1 / 3, 14), hit_rate: 1 / 3 },
      { bucket: 2, count: 3, mean_return: expect.closeTo(0.7 / 3, 14), hit_rate: 2 / 3 },
      { bucket: 3, count: 0, mean_return: null, hit_rate: null },
    ]);
    expect([r.monotonicity, r.monotonicity_p]).toEqual([null, null]);
    // three non-empty buckets with increasing means: monotonicity 1, exact p 2/6
    const up = bucketStats([{ feature: [1, 2, 5, 6, 9, 10], forward: [-1, -2, 0.5, 0.7, 2, 3] }], [3, 7], 0);
    expect([up.monotonicity, up.monotonicity_p]).toEqual([1, 2 / 6]);
    // one row in the bottom bucket: no spread
    const bot1 = bucketStats([{ feature: [1, 5, 6, 7], forward: [1, 2, 3, 4] }], [3], 0);
    expect([bot1.spread, bot1.spread_se]).toEqual([null, null]);
    // one row in the top bucket: no spread
    const one = bucketStats([{ feature: [1, 2, 3, 9], forward: [1, 2, 3, 4] }], [3], 0);
    expect([one.spread, one.spread_se, one.spread_ci_low, one.spread_ci_high]).toEqual([null, null, null, null]);
  });

  it('bucketStats: the CI uses the confidence asked for; the HAC sum runs within each asset, never across two', () => {
    const a = { feature: [1, 9, 2, 8, 1, 9], forward: [0.1, 0.5, -0.2, 0.4, 0.0, 0.7] };
    const b = { feature: [9, 1, 8, 2], forward: [0.3, -0.1, 0.6, 0.2] };
    const r = bucketStats([a, b], [5], 1, 0.9);
    const top = [0.5, 0.4, 0.7, 0.3, 0.6];
    const bot = [0.1, -0.2, 0.0, -0.1, 0.2];
    const mt = sum(top) / 5;
    const mb = sum(bot) / 5;
    const d = (s: { feature: number[]; forward: number[] }): number[] => s.feature.map((f, i) => (f > 5 ? (s.forward[i]! - mt) / 5 : -(s.forward[i]! - mb) / 5));
    const hac = (x: number[]): number => {
      let v = 0;
      for (let i = 0; i < x.length; i++) for (let j = 0; j < x.length; j++) if (Math.abs(i - j) <= 1) v += (Math.abs(i - j) === 0 ? 1 : 0.5) * x[i]! * x[j]!;
      return v;
    };
    const se = Math.sqrt(hac(d(a)) + hac(d(b)));
    expect(r.spread).toBeCloseTo(mt - mb, 14);
    expect(r.spread_se).toBeCloseTo(se, 14);
    expect(r.spread_ci_low).toBeCloseTo(mt - mb - 1.6448536269514722 * se, 12);
    expect(r.spread_ci_high).toBeCloseTo(mt - mb + 1.6448536269514722 * se, 12);
    expect(r.monotonicity).toBeNull(); // two buckets: too few for a rank test
  });

  it('finiteMean: the mean of the finite values, null if none', () => {
    expect(finiteMean([1, Number.NaN, 3, Number.POSITIVE_INFINITY])).toBe(2);
    expect(finiteMean([Number.NaN])).toBeNull();
    expect(finiteMean([])).toBeNull();
  });
});

describe('decay: guards and exact values', () => {
  it('icTrend skips non-finite ICs too', () => {
    expect(icTrend([0.1, Number.NaN, 0.06, 0.04])).toBeCloseTo(-0.02, 14);
    expect(icTrend([0.1, Number.NaN, 0.06])).toBeNull();
  });

  it('signStability: zeros break a pair, opposite signs count as pairs', () => {
    expect(signStability([0.1, 0, 0.2])).toEqual({ share: null, pairs: 0 });
    expect(signStability([0.1, 0.2, -0.3])).toEqual({ share: 0.5, pairs: 2 });
    expect(signStability([-0.1, -0.2])).toEqual({ share: 1, pairs: 1 });
    expect(signStability([])).toEqual({ share: null, pairs: 0 });
  });

  it('icStability: no periods, one period (no std), a constant (std 0, no IR), a negative mean', () => {
    expect(icStability([null, Number.NaN])).toEqual({ periods: 0, mean: null, std: null, ir: null });
    expect(icStability([0.03, null])).toEqual({ periods: 1, mean: 0.03, std: null, ir: null });
    expect(icStability([0.1, 0.1])).toEqual({ periods: 2, mean: 0.1, std: 0, ir: null });
    const s = icStability([-0.02, -0.04, -0.06]);
    expect(s.ir).toBeCloseTo(-2, 12);
  });

  it('horizonProfile: sorts by horizon, keeps the first of equal peaks, a value exactly at half is not below it', () => {
    expect(horizonProfile([])).toEqual({ peak_horizon_ms: null, half_life_horizon_ms: null });
    expect(horizonProfile([{ horizon_ms: 1, ic: null }])).toEqual({ peak_horizon_ms: null, half_life_horizon_ms: null });
    expect(horizonProfile([{ horizon_ms: 3, ic: 0.01 }, { horizon_ms: 2, ic: -0.05 }, { horizon_ms: 1, ic: 0.05 }])).toEqual({ peak_horizon_ms: 1, half_life_horizon_ms: 3 });
    expect(horizonProfile([{ horizon_ms: 1, ic: 0.1 }, { horizon_ms: 2, ic: 0.05 }, { horizon_ms: 3, ic: 0.04 }])).toEqual({ peak_horizon_ms: 1, half_life_horizon_ms: 3 });
    expect(horizonProfile([{ horizon_ms: 1, ic: 0.01 }, { horizon_ms: 2, ic: 0.1 }, { horizon_ms: 3, ic: 0.09 }])).toEqual({ peak_horizon_ms: 2, half_life_horizon_ms: null });
  });
});

describe('incrementality: exact fits and fold layout', () => {
  it('olsCoefficients recovers an exact linear relation; null with fewer rows than columns + 2; intercept only without columns', () => {
    const X = [[0, 1], [1, 0], [2, 3], [3, 1], [4, 4], [5, 2]];
    const y = X.map(([a, b]) => 1 + 2 * a! - 3 * b!);
    const beta = olsCoefficients(X, y)!;
    expect(beta.map((v) => Math.round(v * 1e9) / 1e9)).toEqual([1, 2, -3]);
    expect(olsCoefficients(X.slice(0, 4), y.slice(0, 4))).toBeNull();
    expect(olsCoefficients(X.slice(0, 5), y.slice(0, 5))).not.toBeNull();
    expect(olsCoefficients([[], [], []], [1, 2, 6])![0]).toBeCloseTo(3, 12);
    expect(olsCoefficients([[], []], [1, 2])).toBeNull();
    expect(olsCoefficients([], [])).toBeNull();
    // a collinear baseline (second column = 2 x the first): the SVD solve still fits y exactly
    const C = [[1, 2], [2, 4], [3, 6], [4, 8], [5, 10], [6, 12]];
    const yc = C.map(([a]) => 3 + 5 * a!);
    const bc = olsCoefficients(C, yc)!;
    expect(bc).not.toBeNull();
    C.forEach(([a, b], i) => expect(bc[0]! + bc[1]! * a! + bc[2]! * b!).toBeCloseTo(yc[i]!, 8));
  });

  it('folds: equal time blocks after the first, training before each block minus the embargo, too-small fits skipped', () => {
    const n = 21;
    const time = Float64Array.from({ length: n }, (_, i) => 100 + i);
    const base = Float64Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
    const feat = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 1.7) * 2);
    const label = Float64Array.from({ length: n }, (_, i) => 0.5 + 2 * base[i]! - feat[i]!);
    // times 100..120, width 20 / 4 = 5: blocks [105, 110), [110, 115), [115, end]; a row at a block start is in it
    const r0 = walkForwardResiduals({ time, feature: feat, label, baseline: [base] }, 3, 0);
    expect(Array.from(r0.fold)).toEqual([-1, -1, -1, -1, -1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3]);
    expect(r0.folds_used).toBe(3);
    // the label is exactly linear in baseline and feature: the full model predicts it, R^2 oos is 1
    for (let i = 5; i < n; i++) expect(r0.pred_full[i]).toBeCloseTo(label[i]!, 8);
    expect(r0.r2_oos_full).toBeCloseTo(1, 10);
    // R^2 of the baseline model from its own predictions, SST around each fold's training mean (rows before
    // the block: a row exactly at the block start is not training)
    let sse = 0;
    let sst = 0;
    for (let i = 5; i < n; i++) {
      const start = 5 * r0.fold[i]!;
      const m = sum(Array.from(label.slice(0, start))) / start;
      sse += (label[i]! - r0.pred_base[i]!) ** 2;
      sst += (label[i]! - m) ** 2;
      expect(r0.label_resid[i]).toBeCloseTo(label[i]! - r0.pred_base[i]!, 12);
    }
    expect(r0.r2_oos_base).toBeCloseTo(1 - sse / sst, 10);
    expect(r0.r2_lift).toBeCloseTo(r0.r2_oos_full! - r0.r2_oos_base!, 12);
    for (let i = 0; i < 5; i++) expect(Number.isNaN(r0.pred_base[i]!)).toBe(true);
    // embargo 1: the first fold trains on times < 104 (4 rows): enough for the baseline fits (2 coefficients)
    // but not for the full one (3), so the fold is skipped
    const r1 = walkForwardResiduals({ time, feature: feat, label, baseline: [base] }, 3, 1);
    expect(r1.folds_used).toBe(2);
    expect(Array.from(r1.fold.slice(5, 10))).toEqual([-1, -1, -1, -1, -1]);
    expect(Array.from(r1.fold.slice(10))).toEqual([2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3]);
  });

  it('a block without rows is not a fold; a constant label has no R^2', () => {
    // times 0..9 and 30..39: width 39 / 4 = 9.75, the blocks [9.75, 19.5) and [19.5, 29.25) hold no row
    const time = Float64Array.from({ length: 20 }, (_, i) => (i < 10 ? i : 20 + i));
    const base = Float64Array.from({ length: 20 }, (_, i) => Math.sin(i));
    const feat = Float64Array.from({ length: 20 }, (_, i) => Math.cos(i * 1.3));
    const label = Float64Array.from({ length: 20 }, (_, i) => Math.sin(i * 0.7));
    const r = walkForwardResiduals({ time, feature: feat, label, baseline: [base] }, 3, 0);
    expect(r.folds_used).toBe(1);
    expect(Array.from(r.fold)).toEqual([...new Array(10).fill(-1), ...new Array(10).fill(3)]);
    const flat = walkForwardResiduals({ time, feature: feat, label: new Float64Array(20).fill(0.5), baseline: [base] }, 3, 0);
    expect(flat.folds_used).toBe(1);
    expect([flat.r2_oos_base, flat.r2_oos_full, flat.r2_lift]).toEqual([null, null, null]);
  });

  it('residuals of a feature that is a linear function of the baseline are 0; rows with a non-finite value are left out', () => {
    const n = 30;
    const time = Float64Array.from({ length: n }, (_, i) => i);
    const base = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 0.9));
    const feat = Float64Array.from(base, (v) => 1 - 4 * v);
    const label = Float64Array.from({ length: n }, (_, i) => Math.cos(i * 2.3));
    feat[20] = Number.NaN;
    label[21] = Number.POSITIVE_INFINITY;
    base[22] = Number.NaN;
    time[23] = Number.NaN;
    const r = walkForwardResiduals({ time, feature: feat, label, baseline: [base] }, 2, 0);
    for (const i of [20, 21, 22, 23]) expect(r.fold[i]).toBe(-1);
    const tested = [...r.fold.keys()].filter((i) => r.fold[i]! >= 0);
    expect(tested.length).toBe(20 - 4 + 0);
    for (const i of tested) expect(Math.abs(r.feature_resid[i]!)).toBeLessThan(1e-9);
  });

  it('returns nothing with fewer than 10 usable rows or no folds', () => {
    const t = Float64Array.from({ length: 9 }, (_, i) => i);
    const r = walkForwardResiduals({ time: t, feature: t, label: t, baseline: [] }, 2, 0);
    expect([r.folds_used, r.r2_oos_base, r.r2_lift]).toEqual([0, null, null]);
    expect(Array.from(r.fold)).toEqual(new Array(9).fill(-1));
    const t12 = Float64Array.from({ length: 12 }, (_, i) => i);
    expect(walkForwardResiduals({ time: t12, feature: t12, label: t12, baseline: [] }, 0, 0).folds_used).toBe(0);
    // exactly 10 rows and one fold are enough: block [4.5, end] tested, trained on the 5 rows before it
    const t10 = Float64Array.from({ length: 10 }, (_, i) => i);
    const one = walkForwardResiduals({ time: t10, feature: Float64Array.from(t10, (v) => Math.sin(v)), label: Float64Array.from(t10, (v) => Math.cos(v)), baseline: [] }, 1, 0);
    expect(one.folds_used).toBe(1);
    expect(Array.from(one.fold)).toEqual([-1, -1, -1, -1, -1, 1, 1, 1, 1, 1]);
  });
});
