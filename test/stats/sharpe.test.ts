import { describe, it, expect } from 'vitest';
import {
  deannualiseSharpe,
  deannualiseSharpeVariance,
  deflatedSharpeRatio,
  expectedMaxSharpe,
  minTrackRecordLength,
  probabilisticSharpeRatio,
  sharpeVarianceFactor,
} from '../../src/stats/sharpe.js';
import { normCdf, normQuantile } from '../../src/stats/normal.js';
import { bhAdjust, holmAdjust, twoSidedP } from '../../src/stats/multiple-testing.js';

describe('deflated Sharpe ratio: Bailey and Lopez de Prado (2014) worked example', () => {
  // Annualised SR 2.5, 250 observations a year, T = 1250, N = 100 trials, variance of the trials'
  // annualised SR 0.5, skewness -3, kurtosis 10 (raw).
  const ppy = 250;
  const input = {
    sharpe: deannualiseSharpe(2.5, ppy),
    observations: 1250,
    skewness: -3,
    kurtosis: 10,
    trials: 100,
    trialsSharpeVariance: deannualiseSharpeVariance(0.5, ppy),
  };
  it('gives DSR = 0.9004', () => {
    const r = deflatedSharpeRatio(input);
    expect(r.dsr).not.toBeNull();
    expect(Math.abs(r.dsr! - 0.9004)).toBeLessThan(1e-4);
    // scipy: norm.cdf(1.2838160365336546) = 0.9003968344493903
    expect(r.dsr!).toBeCloseTo(0.9003968344493903, 12);
  });
  it('expected maximum annualised Sharpe of the 100 trials is about 1.79', () => {
    const r = deflatedSharpeRatio(input);
    expect(r.expected_max_sharpe * Math.sqrt(ppy)).toBeCloseTo(1.7894064662732077, 12);
    expect(r.z!).toBeCloseTo(1.2838160365336546, 11);
  });
  it('is the PSR evaluated at SR* = E[max SR]', () => {
    const r = deflatedSharpeRatio(input);
    expect(probabilisticSharpeRatio(input, r.expected_max_sharpe)).toBeCloseTo(r.dsr!, 15);
  });
});

describe('expected maximum Sharpe of N trials', () => {
  it('follows the Euler-Mascheroni formula and grows with N and V', () => {
    const g = 0.5772156649015329;
    const want = Math.sqrt(0.04) * ((1 - g) * normQuantile(1 - 1 / 10) + g * normQuantile(1 - 1 / (10 * Math.E)));
    expect(expectedMaxSharpe(10, 0.04)).toBeCloseTo(want, 15);
    expect(expectedMaxSharpe(1, 0.04)).toBe(0);
    expect(expectedMaxSharpe(1000, 0.04)).toBeGreaterThan(expectedMaxSharpe(10, 0.04));
    expect(expectedMaxSharpe(10, 0.09)).toBeCloseTo(1.5 * expectedMaxSharpe(10, 0.04), 14);
    expect(() => expectedMaxSharpe(0, 0.04)).toThrow(RangeError);
  });
  it('approximates the simulated maximum of N standard normals (V = 1)', () => {
    // E[max of 100 N(0,1)] = 2.5076 (order statistics tables); the EVT approximation is within 2 %.
    expect(Math.abs(expectedMaxSharpe(100, 1) - 2.5076) / 2.5076).toBeLessThan(0.02);
  });
});

describe('probabilistic Sharpe ratio', () => {
  it('under normal returns is Phi(SR sqrt(T - 1) / sqrt(1 + SR^2 / 2))', () => {
    const sr = 0.1;
    const T = 100;
    expect(probabilisticSharpeRatio({ sharpe: sr, observations: T })).toBeCloseTo(
      normCdf((sr * Math.sqrt(T - 1)) / Math.sqrt(1 + (sr * sr) / 2)),
      15,
    );
    expect(probabilisticSharpeRatio({ sharpe: 0, observations: T })).toBe(0.5);
  });
  it('negative skew and fat tails lower the PSR of a positive Sharpe', () => {
    const base = probabilisticSharpeRatio({ sharpe: 0.1, observations: 250 })!;
    expect(probabilisticSharpeRatio({ sharpe: 0.1, observations: 250, skewness: -2, kurtosis: 12 })!).toBeLessThan(base);
  });
  it('is null where undefined', () => {
    expect(probabilisticSharpeRatio({ sharpe: 0.1, observations: 1 })).toBeNull();
    // 1 - 20 * 1 + (3 - 1) / 4 = -18.5 < 0
    expect(sharpeVarianceFactor(1, 20, 3)).toBeLessThan(0);
    expect(probabilisticSharpeRatio({ sharpe: 1, observations: 100, skewness: 20 })).toBeNull();
  });
});

describe('minimum track record length', () => {
  it('is the T at which PSR reaches the confidence level', () => {
    const m = { sharpe: 0.08, skewness: -0.5, kurtosis: 5 };
    const T = minTrackRecordLength(m, 0, 0.95)!;
    // By construction PSR(T) = Phi(z_0.95) exactly.
    expect(probabilisticSharpeRatio({ ...m, observations: T })).toBeCloseTo(0.95, 12);
    // Hand value: factor = 1 + 0.04 + 1 * 0.0064 = 1.0464; (1.6448536 / 0.08)^2 = 422.73...
    expect(T).toBeCloseTo(1 + 1.0464 * (1.6448536269514722 / 0.08) ** 2, 9);
  });
  it('is null when the Sharpe does not beat the benchmark', () => {
    expect(minTrackRecordLength({ sharpe: 0.05 }, 0.05)).toBeNull();
    expect(minTrackRecordLength({ sharpe: -0.1 })).toBeNull();
  });
});

// Boundaries left alive by the StrykerJS run of src/stats (reports/mutation/stats.json): the edges of
// where each statistic is defined, and a benchmark that is not 0.
describe('edges of the Sharpe statistics', () => {
  // 1 - 1.5 * 1 + (3 - 1) / 4 * 1 = 0: a variance factor of exactly 0
  const zeroFactor = { sharpe: 1, skewness: 1.5, kurtosis: 3 };

  it('PSR: defined from T = 2, null at a variance factor of exactly 0 or a non-finite Sharpe', () => {
    expect(sharpeVarianceFactor(1, 1.5, 3)).toBe(0);
    expect(probabilisticSharpeRatio({ ...zeroFactor, observations: 100 })).toBeNull();
    // T = 2: Phi(0.1 * sqrt(1) / sqrt(1 + 0.005))
    expect(probabilisticSharpeRatio({ sharpe: 0.1, observations: 2 })).toBeCloseTo(normCdf(0.1 / Math.sqrt(1.005)), 14);
    expect(probabilisticSharpeRatio({ sharpe: Number.NaN, observations: 100 })).toBeNull();
  });

  it('DSR: null z and DSR where the PSR is undefined, the expected maximum still reported', () => {
    const base = { trials: 10, trialsSharpeVariance: 0.01 };
    const sr0 = expectedMaxSharpe(10, 0.01);
    expect(deflatedSharpeRatio({ ...base, sharpe: 0.1, observations: 1 })).toEqual({ dsr: null, expected_max_sharpe: sr0, z: null });
    expect(deflatedSharpeRatio({ ...base, ...zeroFactor, observations: 100 })).toEqual({ dsr: null, expected_max_sharpe: sr0, z: null });
    expect(deflatedSharpeRatio({ ...base, sharpe: Number.POSITIVE_INFINITY, observations: 100 })).toMatchObject({ dsr: null, z: null });
    const two = deflatedSharpeRatio({ ...base, sharpe: 0.1, observations: 2 });
    expect(two.z).toBeCloseTo((0.1 - sr0) / Math.sqrt(1.005), 14);
    expect(two.dsr).toBeCloseTo(normCdf((0.1 - sr0) / Math.sqrt(1.005)), 14);
  });

  it('expected maximum Sharpe: variance 0 gives 0, a negative or NaN variance and fewer than 1 trial are refused', () => {
    expect(expectedMaxSharpe(50, 0)).toBe(0);
    expect(() => expectedMaxSharpe(50, -1e-9)).toThrow(/variance of the trials' Sharpe ratios must be >= 0, got -1e-9/);
    expect(() => expectedMaxSharpe(50, Number.NaN)).toThrow(/must be >= 0, got NaN/);
    expect(() => expectedMaxSharpe(0.5, 1)).toThrow(/trials must be >= 1, got 0.5/);
  });

  it('MinTRL against a non-zero benchmark uses SR - SR*; null at a variance factor of 0', () => {
    // factor 1 + 0.01 / 2 = 1.005; (1.6448536 / (0.1 - 0.05))^2
    expect(minTrackRecordLength({ sharpe: 0.1 }, 0.05, 0.95)).toBeCloseTo(1 + 1.005 * (normQuantile(0.95) / 0.05) ** 2, 9);
    expect(minTrackRecordLength(zeroFactor, 0, 0.95)).toBeNull();
  });
});

describe('edges of the multiple-testing helpers', () => {
  it('two-sided p: null for null, NaN and infinite statistics', () => {
    expect(twoSidedP(null)).toBeNull();
    expect(twoSidedP(Number.NaN)).toBeNull();
    expect(twoSidedP(Number.POSITIVE_INFINITY)).toBeNull();
    expect(twoSidedP(0)).toBe(1);
  });

  it('p-values 0 and 1 are valid, outside [0, 1] refused; NaN stays out of m like null', () => {
    expect(holmAdjust([0, 1, 0.02])).toEqual([0, 1, 0.04]);
    expect(bhAdjust([0, 1, null, Number.NaN])).toEqual([0, 1, null, null]);
    expect(() => holmAdjust([0.5, 1.2])).toThrow(/p-value out of \[0, 1\]: 1.2/);
    expect(() => bhAdjust([-0.1])).toThrow(/p-value out of \[0, 1\]: -0.1/);
  });
});
