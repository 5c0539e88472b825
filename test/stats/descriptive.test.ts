import { describe, expect, it } from 'vitest';
import { finiteOrNull, kurtosis, linearFit, mean, pearson, skewness, spearman, variance } from '../../src/stats/descriptive.js';
import { mulberry32, normalArray, normalGenerator } from '../../src/stats/random.js';

/**
 * The descriptive primitives and the seeded generators at their edges (found by the StrykerJS run of the
 * stats-descriptive area): each value against a hand computation or an independent implementation.
 */
const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

describe('descriptive primitives', () => {
  it('mean and variance: ddof as asked, NaN when n <= ddof', () => {
    expect(mean(f64([1, 2, 3.5]))).toBeCloseTo(6.5 / 3, 15);
    expect(Number.isNaN(mean(f64([])))).toBe(true);
    expect(variance(f64([1, 2, 3, 4]), 0)).toBeCloseTo(1.25, 15);
    expect(variance(f64([1, 2, 3, 4]))).toBeCloseTo(5 / 3, 15);
    expect(variance(f64([5]), 0)).toBe(0);
    expect(Number.isNaN(variance(f64([5]), 1))).toBe(true);
    expect(Number.isNaN(variance(f64([5, 6]), 2))).toBe(true);
  });

  it('skewness and kurtosis are defined from two values on', () => {
    // two values: symmetric (m3 = 0), raw kurtosis m4 / m2^2 = 1
    expect(skewness(f64([1, 3]))).toBe(0);
    expect(kurtosis(f64([1, 3]))).toBeCloseTo(1, 14);
    expect(Number.isNaN(skewness(f64([1])))).toBe(true);
    expect(Number.isNaN(kurtosis(f64([1])))).toBe(true);
  });

  it('pearson and spearman: two values are enough; lengths must match', () => {
    expect(pearson(f64([1, 2]), f64([3, 5]))).toBe(1);
    expect(spearman(f64([1, 2]), f64([5, 3]))).toBe(-1);
    expect(() => pearson(f64([1, 2]), f64([1]))).toThrow('pearson: lengths differ (2 vs 1)');
    expect(() => spearman(f64([1, 2]), f64([1]))).toThrow('spearman: lengths differ (2 vs 1)');
    expect(Number.isNaN(pearson(f64([1]), f64([2])))).toBe(true);
  });

  it('linearFit: slope, intercept and R^2 of a hand-worked example; two points are a perfect fit', () => {
    // x 1..4, y 2, 3, 5, 4: mx 2.5, my 3.5, sxy 4, sxx 5, syy 5: slope 0.8, intercept 1.5, R^2 16 / 25
    const f = linearFit(f64([1, 2, 3, 4]), f64([2, 3, 5, 4]));
    expect(f.slope).toBeCloseTo(0.8, 14);
    expect(f.intercept).toBeCloseTo(1.5, 14);
    expect(f.r_squared).toBeCloseTo(0.64, 14);
    const two = linearFit(f64([1, 2]), f64([3, 5]));
    expect([two.slope, two.intercept, two.r_squared]).toEqual([2, 1, 1]);
    const flatY = linearFit(f64([1, 2, 3]), f64([4, 4, 4]));
    expect([flatY.slope, flatY.intercept, Number.isNaN(flatY.r_squared)]).toEqual([0, 4, true]);
    expect(Number.isNaN(linearFit(f64([2]), f64([3])).slope)).toBe(true);
    // a constant x has no fit: every field NaN
    const flatX = linearFit(f64([1, 1, 1]), f64([1, 2, 3]));
    expect([flatX.slope, flatX.intercept, flatX.r_squared].map(Number.isNaN)).toEqual([true, true, true]);
  });

  it('finiteOrNull', () => {
    expect([finiteOrNull(0), finiteOrNull(-2.5), finiteOrNull(Number.NaN), finiteOrNull(Number.POSITIVE_INFINITY)]).toEqual([0, -2.5, null, null]);
  });
});

/** mulberry32 written from its published C source in BigInt arithmetic (no Math.imul, no >>> tricks). */
function mulberry32Reference(seed: number): () => number {
  const M = 2n ** 32n;
  const mul = (a: bigint, b: bigint): bigint => (a * b) % M;
  let a = BigInt(seed >>> 0);
  return () => {
    a = (a + 0x6d2b79f5n) % M;
    let t = a;
    t = mul(t ^ (t >> 15n), t | 1n);
    t = t ^ ((t + mul(t ^ (t >> 7n), t | 61n)) % M);
    return Number((t ^ (t >> 14n)) % M) / 2 ** 32;
  };
}

describe('seeded generators', () => {
  it('mulberry32 follows the published algorithm', () => {
    for (const seed of [0, 1, 42, 0xdeadbeef]) {
      const g = mulberry32(seed);
      const r = mulberry32Reference(seed);
      for (let i = 0; i < 50; i++) expect(g()).toBe(r());
    }
  });

  it('normalGenerator is Box-Muller on the uniform stream: cos then sin of each pair; normalArray scales it', () => {
    const u = mulberry32(7);
    const want: number[] = [];
    for (let k = 0; k < 3; k++) {
      const r = Math.sqrt(-2 * Math.log(u()));
      const th = 2 * Math.PI * u();
      want.push(r * Math.cos(th), r * Math.sin(th));
    }
    const g = normalGenerator(7);
    expect(Array.from({ length: 6 }, () => g())).toEqual(want);
    expect(Array.from(normalArray(6, 7, 5, 2))).toEqual(want.map((z) => 5 + 2 * z));
  });
});
