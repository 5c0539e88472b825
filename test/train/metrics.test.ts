/** Out-of-sample scores and the lift test, against plain computations and textbook values. */
import { describe, expect, it } from 'vitest';
import { auc, hitRate, liftSummary, logLoss, scorePredictions, studentTSf } from '../../src/services/train/metrics.js';

describe('train metrics', () => {
  it('AUC: the share of (positive, negative) pairs ordered right, ties half', () => {
    const s = Float64Array.from([0.1, 0.4, 0.35, 0.8, 0.4]);
    const y = Uint8Array.from([0, 0, 1, 1, 1]);
    let good = 0;
    let pairs = 0;
    for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) if (y[i] && !y[j]) {
      pairs++;
      good += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
    expect(auc(s, y)).toBeCloseTo(good / pairs, 15);
    expect(auc(s, Uint8Array.from([1, 1, 1, 1, 1]))).toBeNull();
  });

  it('log loss, hit rate and rank IC', () => {
    const p = Float64Array.from([0.9, 0.2, 0.6]);
    const y = Uint8Array.from([1, 0, 0]);
    expect(logLoss(p, y)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3, 15);
    expect(hitRate(Float64Array.from([0.7, 0.3, 0.6, 0.9]), Float64Array.from([0.01, -0.02, -0.01, 0]), 0.5)).toBeCloseTo(2 / 3, 15);
    const sc = scorePredictions(Float64Array.from([1, 2, 3, 4]), Float64Array.from([-0.1, 0.2, 0.1, 0.3]), false);
    expect(sc).toEqual({ n: 4, auc: 1, log_loss: null, rank_ic: expect.closeTo(0.8, 12), hit_rate: 0.75 });
  });

  it('Student t tail matches tables; the lift test uses it with windows - 1 df', () => {
    expect(studentTSf(2.364624, 7)).toBeCloseTo(0.025, 6);
    expect(studentTSf(1.894579, 7)).toBeCloseTo(0.05, 6);
    expect(studentTSf(0, 3)).toBeCloseTo(0.5, 12);
    expect(studentTSf(-1.894579, 7)).toBeCloseTo(0.95, 6);
    expect(studentTSf(1.959964, 1e6)).toBeCloseTo(0.025, 5);
    const l = liftSummary('rank_ic', [0.02, 0.01, null, 0.03, -0.01]);
    const v = [0.02, 0.01, 0.03, -0.01];
    const m = v.reduce((a, b) => a + b, 0) / 4;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / 3);
    expect(l.mean).toBeCloseTo(m, 15);
    expect(l.t).toBeCloseTo(m / (sd / 2), 12);
    expect(l.p_value).toBeCloseTo(studentTSf(m / (sd / 2), 3), 12);
    expect(l.windows_better).toBe(3);
    expect(l.significant).toBe(false);
    expect(liftSummary('x', [0.05, 0.06, 0.055, 0.052]).significant).toBe(true);
  });
});
