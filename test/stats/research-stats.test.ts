import { describe, expect, it } from 'vitest';
import { bhAdjust, holmAdjust, twoSidedP } from '../../src/stats/multiple-testing.js';
import {
  effectiveNOverlap,
  longRunVariance,
  neweyWestLags,
  neweyWestMeanTest,
  spearmanContributions,
  timeSeriesIcTest,
} from '../../src/stats/overlap.js';
import { bucketOf, bucketStats, quantileEdges, spearmanExactP } from '../../src/stats/buckets.js';
import { horizonProfile, icStability, icTrend, signStability } from '../../src/stats/decay.js';
import { walkForwardResiduals } from '../../src/stats/incremental.js';
import { spearman } from '../../src/stats/descriptive.js';
import { normalArray } from '../../src/stats/random.js';
import { normSf } from '../../src/stats/normal.js';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

/** Independent ranks: O(n^2) count of smaller values plus half the ties (average rank). */
function naiveRanks(x: number[]): number[] {
  return x.map((v) => {
    let less = 0;
    let eq = 0;
    for (const w of x) {
      if (w < v) less++;
      else if (w === v) eq++;
    }
    return less + (eq + 1) / 2;
  });
}

/** Independent Newey-West long-run variance: double loop over all pairs within L lags. */
function naiveLrv(x: number[], L: number): number {
  const n = x.length;
  const m = x.reduce((a, b) => a + b, 0) / n;
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const k = Math.abs(i - j);
      if (k > L) continue;
      s += (1 - k / (L + 1)) * (x[i]! - m) * (x[j]! - m);
    }
  }
  return s / n;
}

describe('multiple testing (R p.adjust)', () => {
  const p = [0.01, 0.04, 0.03, 0.005];
  it('Holm matches p.adjust(p, "holm") and its definition max_{j<=i} min(1, (m-j+1) p_(j))', () => {
    const h = holmAdjust(p);
    const expected = [0.03, 0.06, 0.06, 0.02];
    h.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 15));
  });
  it('BH matches p.adjust(p, "BH") and its definition min_{j>=i} m p_(j) / j', () => {
    const b = bhAdjust(p);
    const expected = [0.02, 0.04, 0.04, 0.02];
    b.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 15));
  });
  it('agree with brute-force definitions on random p-values, nulls left out of m', () => {
    const u = normalArray(40, 7).map((z) => normSf(Math.abs(z)) * 2);
    const ps: Array<number | null> = Array.from(u);
    ps[3] = null;
    ps[17] = null;
    const live = ps.filter((v): v is number => v !== null);
    const m = live.length;
    const sortedP = [...live].sort((a, b) => a - b);
    const h = holmAdjust(ps);
    const b = bhAdjust(ps);
    ps.forEach((v, i) => {
      if (v === null) {
        expect(h[i]).toBeNull();
        expect(b[i]).toBeNull();
        return;
      }
      const r = sortedP.indexOf(v); // distinct by construction
      let hol = 0;
      for (let j = 0; j <= r; j++) hol = Math.max(hol, Math.min(1, (m - j) * sortedP[j]!));
      let bh = 1;
      for (let j = r; j < m; j++) bh = Math.min(bh, Math.min(1, (m * sortedP[j]!) / (j + 1)));
      expect(h[i]).toBeCloseTo(hol, 14);
      expect(b[i]).toBeCloseTo(bh, 14);
    });
  });
  it('two-sided p of a normal statistic', () => {
    expect(twoSidedP(1.959963984540054)).toBeCloseTo(0.05, 12);
    expect(twoSidedP(-1.959963984540054)).toBeCloseTo(0.05, 12);
    expect(twoSidedP(null)).toBeNull();
  });
});

describe('overlap-aware inference', () => {
  it('lags = ceil(horizon / bar) - 1', () => {
    expect(neweyWestLags(3_600_000, 300_000)).toBe(11);
    expect(neweyWestLags(300_000, 300_000)).toBe(0);
    expect(neweyWestLags(4 * 3_600_000, 3_600_000)).toBe(3);
    expect(neweyWestLags(900_000, 3_600_000)).toBe(0);
  });
  it('effective N of overlapping sums equals n^2 / sum_ij rho(|i-j|) (double loop) and tends to n/h', () => {
    for (const [n, h] of [[4, 2], [50, 5], [300, 12]] as const) {
      let s = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += Math.max(0, 1 - Math.abs(i - j) / h);
      expect(effectiveNOverlap(n, h)).toBeCloseTo((n * n) / s, 9);
    }
    expect(effectiveNOverlap(4, 2)).toBeCloseTo(16 / 7, 12);
    expect(effectiveNOverlap(100_000, 12) / (100_000 / 12)).toBeCloseTo(1, 3);
    expect(effectiveNOverlap(10, 1)).toBe(10);
  });
  it('Newey-West long-run variance matches the double-loop definition to 1e-12', () => {
    const x = Array.from(normalArray(200, 3));
    for (const L of [0, 1, 5, 11]) {
      expect(longRunVariance(f64(x), L).lrv).toBeCloseTo(naiveLrv(x, L), 12);
    }
  });
  it('Spearman contributions average to the Spearman IC; IC test t = IC / NW s.e. of the contributions', () => {
    const x = Array.from(normalArray(150, 11));
    const e = normalArray(150, 12);
    const y = x.map((v, i) => 0.3 * v + e[i]!);
    const rx = naiveRanks(x);
    const ry = naiveRanks(y);
    const z = (r: number[]): number[] => {
      const m = r.reduce((a, b) => a + b, 0) / r.length;
      const sd = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / r.length);
      return r.map((v) => (v - m) / sd);
    };
    const zx = z(rx);
    const zy = z(ry);
    const u = zx.map((v, i) => v * zy[i]!);
    const ic = u.reduce((a, b) => a + b, 0) / u.length;
    const contrib = spearmanContributions(f64(x), f64(y))!;
    contrib.forEach((v, i) => expect(v).toBeCloseTo(u[i]!, 12));
    const test = timeSeriesIcTest(f64(x), f64(y), 4);
    expect(test.ic).toBeCloseTo(spearman(f64(x), f64(y)), 12);
    expect(test.ic).toBeCloseTo(ic, 12);
    const tExpected = ic / Math.sqrt(naiveLrv(u, 4) / u.length);
    expect(test.t_nw).toBeCloseTo(tExpected, 9);
    expect(test.p_value).toBeCloseTo(2 * normSf(Math.abs(tExpected)), 12);
  });
  it('on overlapping 12-bar sums of pure noise: Bartlett at h-1 lags understates the variance by ~1.5x (known bias); at 2(h-1) lags effective N is about n/12 and the naive t is about sqrt(12) times too large', () => {
    const h = 12;
    const n = 20_000;
    const r = normalArray(n + h, 5);
    const sums = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let k = 1; k <= h; k++) sums[i] = sums[i]! + r[i + k]!;
    const atH = neweyWestMeanTest(sums, h - 1);
    expect(atH.effective_n! / (n / h)).toBeGreaterThan(1.3);
    expect(atH.effective_n! / (n / h)).toBeLessThan(1.7);
    const t = neweyWestMeanTest(sums, 2 * (h - 1));
    expect(t.effective_n! / (n / h)).toBeGreaterThan(0.9);
    expect(t.effective_n! / (n / h)).toBeLessThan(1.35);
    expect(Math.abs(t.t_naive! / t.t_nw!)).toBeGreaterThan(Math.sqrt(h) * 0.8);
    expect(Math.abs(t.t_naive! / t.t_nw!)).toBeLessThan(Math.sqrt(h) * 1.25);
  });
  it('a constant side has no IC', () => {
    const t = timeSeriesIcTest(f64([1, 2, 3, 4]), f64([1, 1, 1, 1]), 0);
    expect(t.ic).toBeNull();
    expect(t.t_nw).toBeNull();
  });
});

describe('magnitude buckets', () => {
  it('quintile edges interpolate like numpy.quantile; values on an edge go below it', () => {
    const train = Array.from({ length: 11 }, (_, i) => i); // 0..10
    expect(quantileEdges(train, 5)).toEqual([2, 4, 6, 8]);
    expect(quantileEdges([...train, Number.NaN], 5)).toEqual([2, 4, 6, 8]);
    expect(bucketOf(2, [2, 4, 6, 8])).toBe(0);
    expect(bucketOf(2.0001, [2, 4, 6, 8])).toBe(1);
    expect(bucketOf(100, [2, 4, 6, 8])).toBe(4);
    expect(bucketOf(Number.NaN, [2, 4, 6, 8])).toBe(-1);
  });
  it('exact permutation p of the monotonicity Spearman (n = 5 table: P(|rho| >= 0.9) = 10/120)', () => {
    expect(spearmanExactP([1, 2, 3, 4, 5])).toEqual({ rho: 1, p_value: 2 / 120 });
    const r = spearmanExactP([1, 3, 2, 4, 5]);
    expect(r.rho).toBeCloseTo(0.9, 12);
    expect(r.p_value).toBeCloseTo(10 / 120, 12);
    expect(spearmanExactP([5, 4, 3, 2, 1]).rho).toBe(-1);
  });
  it('bucket means, hit rates and the spread CI match plain loops (0 lags: population variances; 3 lags: HAC double loop)', () => {
    const n = 400;
    const f = normalArray(n, 21);
    const e = normalArray(n, 22);
    const y = Float64Array.from(f, (v, i) => 0.2 * v + e[i]!);
    const edges = quantileEdges(normalArray(1000, 23), 5); // edges from another (training) sample
    const res0 = bucketStats([{ feature: f, forward: y }], edges, 0);
    const groups: number[][] = [[], [], [], [], []];
    for (let i = 0; i < n; i++) {
      let b = 0;
      while (b < 4 && f[i]! > edges[b]!) b++;
      groups[b]!.push(i);
    }
    groups.forEach((g, b) => {
      const ys = g.map((i) => y[i]!);
      expect(res0.buckets[b]!.count).toBe(g.length);
      expect(res0.buckets[b]!.mean_return).toBeCloseTo(ys.reduce((a, c) => a + c, 0) / ys.length, 12);
      expect(res0.buckets[b]!.hit_rate).toBeCloseTo(ys.filter((v) => v > 0).length / ys.length, 12);
    });
    const top = groups[4]!.map((i) => y[i]!);
    const bot = groups[0]!.map((i) => y[i]!);
    const mt = top.reduce((a, c) => a + c, 0) / top.length;
    const mb = bot.reduce((a, c) => a + c, 0) / bot.length;
    const vt = top.reduce((a, c) => a + (c - mt) ** 2, 0) / top.length ** 2;
    const vb = bot.reduce((a, c) => a + (c - mb) ** 2, 0) / bot.length ** 2;
    expect(res0.spread).toBeCloseTo(mt - mb, 12);
    expect(res0.spread_se).toBeCloseTo(Math.sqrt(vt + vb), 12);
    expect(res0.spread_ci_low).toBeCloseTo(mt - mb - 1.959963984540054 * Math.sqrt(vt + vb), 9);
    // HAC with 3 lags: the deviations d_t, then the Bartlett double loop.
    const d = Array.from({ length: n }, (_, i) =>
      groups[4]!.includes(i) ? (y[i]! - mt) / top.length : groups[0]!.includes(i) ? -(y[i]! - mb) / bot.length : 0,
    );
    let v = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (Math.abs(i - j) <= 3) v += (1 - Math.abs(i - j) / 4) * d[i]! * d[j]!;
    expect(bucketStats([{ feature: f, forward: y }], edges, 3).spread_se).toBeCloseTo(Math.sqrt(v), 12);
    expect(res0.monotonicity).toBeGreaterThan(0.5);
  });
});

describe('decay', () => {
  it('IC trend is the least-squares slope over periods; nulls skipped', () => {
    expect(icTrend([0.1, 0.08, 0.06, 0.04])).toBeCloseTo(-0.02, 14);
    expect(icTrend([0.1, null, 0.06, 0.04])).toBeCloseTo(-0.02, 14);
    expect(icTrend([0.1, 0.2])).toBeNull();
  });
  it('sign stability counts adjacent same-sign pairs', () => {
    expect(signStability([0.1, -0.1, 0.2, 0.3])).toEqual({ share: 1 / 3, pairs: 3 });
    expect(signStability([0.1, null, 0.2])).toEqual({ share: null, pairs: 0 });
  });
  it('IC stability and the horizon profile', () => {
    const s = icStability([0.02, 0.04, 0.06]);
    expect(s.mean).toBeCloseTo(0.04, 14);
    expect(s.std).toBeCloseTo(0.02, 14);
    expect(s.ir).toBeCloseTo(2, 12);
    expect(horizonProfile([{ horizon_ms: 1, ic: 0.01 }, { horizon_ms: 2, ic: -0.05 }, { horizon_ms: 3, ic: -0.03 }, { horizon_ms: 4, ic: 0.01 }])).toEqual({
      peak_horizon_ms: 2,
      half_life_horizon_ms: 4,
    });
  });
});

describe('incrementality (walk-forward residualisation)', () => {
  const n = 3000;
  const time = Float64Array.from({ length: n }, (_, i) => i);
  const b = normalArray(n, 31);
  const e1 = normalArray(n, 32);
  const noise = normalArray(n, 33);
  it('a feature that only repeats the baseline has a large raw IC and a partial IC near 0', () => {
    const feature = Float64Array.from(b, (v, i) => v + 0.3 * e1[i]!);
    const label = Float64Array.from(b, (v, i) => 0.5 * v + noise[i]!);
    const r = walkForwardResiduals({ time, feature, label, baseline: [b] }, 4, 10);
    const idx = [...r.fold.keys()].filter((i) => r.fold[i]! >= 0);
    const partial = spearman(Float64Array.from(idx, (i) => r.feature_resid[i]!), Float64Array.from(idx, (i) => r.label_resid[i]!));
    expect(spearman(feature, label)).toBeGreaterThan(0.3);
    expect(Math.abs(partial)).toBeLessThan(0.06);
    expect(Math.abs(r.r2_lift!)).toBeLessThan(0.01);
    expect(r.folds_used).toBe(4);
  });
  it('a feature with its own information has a positive partial IC and R^2 lift', () => {
    const feature = Float64Array.from(b, (v, i) => v + e1[i]!);
    const label = Float64Array.from(b, (v, i) => 0.5 * v + 0.5 * e1[i]! + noise[i]!);
    const r = walkForwardResiduals({ time, feature, label, baseline: [b] }, 4, 10);
    const idx = [...r.fold.keys()].filter((i) => r.fold[i]! >= 0);
    const partial = spearman(Float64Array.from(idx, (i) => r.feature_resid[i]!), Float64Array.from(idx, (i) => r.label_resid[i]!));
    expect(partial).toBeGreaterThan(0.25);
    expect(r.r2_lift!).toBeGreaterThan(0.05);
  });
  it('fits use only rows before each test block (minus the embargo): changing later labels leaves earlier folds bit-identical', () => {
    const feature = Float64Array.from(b, (v, i) => v + e1[i]!);
    const label = Float64Array.from(b, (v, i) => 0.5 * v + noise[i]!);
    const r1 = walkForwardResiduals({ time, feature, label, baseline: [b] }, 4, 10);
    const changed = Float64Array.from(label);
    // Rows of the last block and the embargo before it
    const lastStart = [...r1.fold.keys()].find((i) => r1.fold[i] === 4)!;
    for (let i = lastStart - 10; i < n; i++) changed[i] = 100 + i;
    const r2 = walkForwardResiduals({ time, feature, label: changed, baseline: [b] }, 4, 10);
    for (let i = 0; i < lastStart - 10; i++) {
      if (r1.fold[i]! >= 0) {
        expect(r2.feature_resid[i]).toBe(r1.feature_resid[i]);
        expect(r2.label_resid[i]).toBe(r1.label_resid[i]);
      }
    }
    // and the last fold's fit is the same too: only its own test labels changed
    expect(r2.pred_base[n - 1]).toBe(r1.pred_base[n - 1]);
  });
});

describe('fast ranks', () => {
  it('equal descriptive.rankAverage and spearman exactly, ties included', async () => {
    const { rankAverage } = await import('../../src/stats/descriptive.js');
    const { fastRanks, fastSpearman } = await import('../../src/stats/overlap.js');
    const x = Float64Array.from(normalArray(5000, 41), (v) => Math.round(v * 4) / 4); // many ties
    const y = normalArray(5000, 42);
    expect(Array.from(fastRanks(x))).toEqual(Array.from(rankAverage(x)));
    expect(fastSpearman(x, y)).toBe(spearman(x, y));
    expect(Array.from(fastRanks(f64([3, 1, 4.5, 1])))).toEqual([3, 1.5, 4, 1.5]);
  });
});
