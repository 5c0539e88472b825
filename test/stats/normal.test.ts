import { describe, it, expect } from 'vitest';
import { normCdf, normCdfBoth, normQuantile, normSf, normPdf } from '../../src/stats/normal.js';

const CDF: Array<[number, number, number]> = [
  // [x, Phi(x), 1 - Phi(x)], mpmath at 50 digits
  [-37, 5.725571222524577e-300, 1.0],
  [-30, 4.906713927148187e-198, 1.0],
  [-20, 2.7536241186062337e-89, 1.0],
  [-10, 7.619853024160525e-24, 1.0],
  [-8, 6.220960574271784e-16, 0.9999999999999993],
  [-6, 9.86587645037698e-10, 0.9999999990134123],
  [-5.5, 1.8989562465887718e-08, 0.9999999810104375],
  [-5, 2.866515718791939e-07, 0.9999997133484281],
  [-4, 3.1671241833119924e-05, 0.9999683287581669],
  [-3, 0.0013498980316300946, 0.9986501019683699],
  [-2.5, 0.006209665325776135, 0.9937903346742238],
  [-2, 0.02275013194817921, 0.9772498680518208],
  [-1.5, 0.06680720126885807, 0.9331927987311419],
  [-1, 0.15865525393145705, 0.8413447460685429],
  [-0.7, 0.24196365222307303, 0.758036347776927],
  [-0.6744, 0.2500285213729406, 0.7499714786270594],
  [-0.5, 0.3085375387259869, 0.6914624612740131],
  [-0.1, 0.460172162722971, 0.539827837277029],
  [-1e-10, 0.49999999996010575, 0.5000000000398942],
  [0, 0.5, 0.5],
  [1e-08, 0.5000000039894228, 0.4999999960105772],
  [0.3, 0.6179114221889527, 0.3820885778110474],
  [0.67, 0.7485711049046899, 0.2514288950953101],
  [0.68, 0.7517477695464295, 0.2482522304535705],
  [1, 0.8413447460685429, 0.15865525393145705],
  [1.96, 0.9750021048517795, 0.024997895148220435],
  [2, 0.9772498680518208, 0.02275013194817921],
  [3, 0.9986501019683699, 0.0013498980316300946],
  [5, 0.9999997133484281, 2.866515718791939e-07],
  [5.7, 0.9999999940096286, 5.990371401063528e-09],
  [6, 0.9999999990134123, 9.86587645037698e-10],
  [8, 0.9999999999999993, 6.220960574271784e-16],
  [10, 1.0, 7.619853024160525e-24],
];

const QUANTILE: Array<[number, number]> = [
  // [p, Phi^-1(p)], mpmath at 50 digits (bisection on ncdf)
  [1e-300, -37.0470962993612],
  [1e-100, -21.273453560965326],
  [1e-20, -9.262340089798407],
  [1e-10, -6.361340902404057],
  [1e-05, -4.264890793922825],
  [0.001, -3.0902323061678136],
  [0.01, -2.326347874040841],
  [0.02425, -1.972961051311885],
  [0.025, -1.9599639845400543],
  [0.05, -1.6448536269514726],
  [0.1, -1.2815515655446004],
  [0.3, -0.5244005127080408],
  [0.5, 0.0],
  [0.7, 0.5244005127080407],
  [0.9, 1.2815515655446006],
  [0.95, 1.6448536269514722],
  [0.975, 1.9599639845400538],
  [0.99, 2.3263478740408408],
  [0.999, 3.090232306167813],
  [0.9999999999, 6.361340889697422],
];

/** Relative error, or absolute when the reference is 0. */
function relErr(got: number, want: number): number {
  return want === 0 ? Math.abs(got) : Math.abs(got - want) / Math.abs(want);
}

describe('normCdf (Cody 1969)', () => {
  it('matches 50-digit reference values to 1e-12 relative in both tails', () => {
    for (const [x, lower, upper] of CDF) {
      const [lo, up] = normCdfBoth(x);
      expect(relErr(lo, lower), `Phi(${x})`).toBeLessThan(1e-12);
      expect(relErr(up, upper), `1 - Phi(${x})`).toBeLessThan(1e-12);
      expect(normCdf(x)).toBe(lo);
      expect(normSf(x)).toBe(up);
    }
  });

  it('is symmetric and monotone', () => {
    let prev = 0;
    for (let x = -9; x <= 9; x += 0.01) {
      const p = normCdf(x);
      expect(p).toBeGreaterThanOrEqual(prev);
      prev = p;
      expect(Math.abs(normCdf(x) - normSf(-x))).toBeLessThan(1e-16);
    }
  });

  it('density integrates to the CDF differences (trapezoid check)', () => {
    let s = 0;
    const h = 1e-3;
    for (let x = -1; x < 2 - h / 2; x += h) s += ((normPdf(x) + normPdf(x + h)) / 2) * h;
    expect(Math.abs(s - (normCdf(2) - normCdf(-1)))).toBeLessThan(1e-7);
  });
});

describe('normQuantile (Acklam + Halley step)', () => {
  it('matches 50-digit reference values to 1e-12 relative', () => {
    for (const [p, x] of QUANTILE) {
      const got = normQuantile(p);
      if (x === 0) expect(Math.abs(got)).toBeLessThan(1e-15);
      else expect(relErr(got, x), `quantile(${p})`).toBeLessThan(1e-12);
    }
  });

  it('inverts normCdf across the range', () => {
    for (let x = -8; x <= 8; x += 0.137) {
      const p = normCdf(x);
      // Upper half: p carries only absolute precision, so compare on the p scale there.
      if (x < 0) expect(relErr(normQuantile(p), x)).toBeLessThan(1e-12);
      else expect(Math.abs(normCdf(normQuantile(p)) - p)).toBeLessThan(1e-15);
    }
  });

  it('handles the edges', () => {
    expect(normQuantile(0)).toBe(Number.NEGATIVE_INFINITY);
    expect(normQuantile(1)).toBe(Number.POSITIVE_INFINITY);
    expect(normQuantile(0.5)).toBe(0);
    expect(Number.isNaN(normQuantile(-0.1))).toBe(true);
    expect(Number.isNaN(normQuantile(1.1))).toBe(true);
  });
});
