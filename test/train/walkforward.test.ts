/**
 * Walk-forward retraining on in-memory panels: preprocessing statistics come from the training part
 * only (a planted shift in the test part leaves them bit-identical), no prediction at or before T
 * changes when data after T is perturbed, a planted effect gives positive out-of-sample rank IC in
 * most windows with a significant lift over the baseline, and pure noise gives no significant lift.
 */
import { describe, expect, it } from 'vitest';
import { TRAIN_DEFAULTS } from '../../src/domain/train.js';
import { fitPreprocessor } from '../../src/services/train/prepare.js';
import { walkForwardTrain, type Panel, type WalkForwardConfig } from '../../src/services/train/walkforward.js';

const H = 3_600_000_000;
const D = 24 * H;
const T0 = Date.UTC(2025, 0, 1) * 1000;

function gaussian(seed: number): () => number {
  let s = seed;
  const u = (): number => {
    s = (s * 16807) % 2147483647;
    return (s + 0.5) / 2147483648;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** 3 symbols x `days` of hourly decisions; ret = effect * sig + noise; 1 h labels. */
function panel(days: number, effect: number, seed = 5): Panel {
  const g = gaussian(seed);
  const n = days * 24 * 3;
  const time = new Float64Array(n);
  const sym = new Int32Array(n);
  const cols = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
  const ret = new Float64Array(n);
  const end = new Float64Array(n);
  const avail = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const h = Math.floor(i / 3);
    time[i] = T0 + h * H;
    sym[i] = i % 3;
    for (const c of cols) c[i] = g();
    if (i % 97 === 0) cols[2]![i] = NaN; // some missing values to impute
    ret[i] = 0.01 * (effect * cols[0]![i]! + g());
    end[i] = time[i]! + H;
    avail[i] = end[i]! + 2_000_000;
  }
  return { symbols: ['A', 'B', 'C'], time, sym, features: ['sig', 'n1', 'n2', 'base'], cols, ret, label_end: end, label_avail: avail };
}

const cfg = (over: Partial<WalkForwardConfig> = {}): WalkForwardConfig => ({
  kind: 'logistic',
  target: 'sign',
  features: ['sig', 'n1', 'n2'],
  baseline_features: ['base'],
  train_us: 40 * D,
  test_us: 10 * D,
  step_us: 10 * D,
  purge_us: H,
  embargo_us: 0,
  winsor: TRAIN_DEFAULTS.winsor,
  neutral_quantile: TRAIN_DEFAULTS.neutral_quantile,
  balance: false,
  params: { logistic: { l2: 1 }, xgboost: { trees: 15, max_depth: 3 } },
  ...over,
});

describe('walk-forward retraining', () => {
  it('windows, purge and training rows: labels known before the test window, one horizon purged', async () => {
    const p = panel(100, 0.3);
    const r = await walkForwardTrain(p, cfg());
    expect(r.windows.length).toBe(6); // (100 - 40) / 10
    for (const w of r.windows) {
      expect(w.test.from).toBe(T0 + 40 * D + w.index * 10 * D);
      expect(w.train.from).toBe(w.test.from - 40 * D);
      // the last training decision: its label (1 h) ends before the test window, minus the purge hour
      expect(w.train.to).toBe(w.test.from - H);
      expect(w.train.rows).toBe((40 * 24 - 1) * 3); // the last hour is purged (its label ends at the test start)
      expect(w.test.rows).toBe(10 * 24 * 3);
    }
    expect(r.rows.length).toBe(6 * 240 * 3);
    expect(r.windows[0]!.preprocessor.rows).toBe(r.windows[0]!.train.rows);
  });

  it('scaling, winsorising and imputation statistics come from the training part only (planted shift in the test part)', async () => {
    const clean = panel(70, 0.3);
    const shifted = panel(70, 0.3);
    const testStart = T0 + 40 * D;
    for (let i = 0; i < shifted.time.length; i++) if (shifted.time[i]! >= testStart) for (const c of shifted.cols) c[i] = c[i]! * 50 + 1000;
    const a = await walkForwardTrain(clean, cfg());
    const b = await walkForwardTrain(shifted, cfg());
    expect(a.windows.length).toBe(3);
    // window 0 trains before the shift: identical statistics, bit for bit
    expect(b.windows[0]!.preprocessor).toEqual(a.windows[0]!.preprocessor);
    // and they are the plain statistics of its training rows
    const idx: number[] = [];
    for (let i = 0; i < clean.time.length; i++) if (clean.time[i]! >= T0 && clean.time[i]! < testStart - H) idx.push(i);
    const ref = fitPreprocessor(['sig', 'n1', 'n2'], clean.cols.slice(0, 3), Int32Array.from(idx), TRAIN_DEFAULTS.winsor);
    expect(b.windows[0]!.preprocessor).toEqual(ref);
    expect(Math.abs(b.windows[0]!.preprocessor.mean[1]!)).toBeLessThan(0.1);
    // the shifted test inputs do reach the predictions (so equality above is not vacuous)
    const n0 = a.windows[0]!.test.rows;
    expect(Array.from(b.prediction.subarray(0, n0))).not.toEqual(Array.from(a.prediction.subarray(0, n0)));
    // window 2 trains on shifted rows: its statistics see the shift
    expect(b.windows[2]!.preprocessor.mean[1]!).toBeGreaterThan(100);
  });

  for (const kind of ['logistic', 'xgboost'] as const) {
    it(`leakage: perturbing data after T changes no prediction at or before T (${kind})`, async () => {
      const base = panel(80, 0.3);
      const T = T0 + 57 * D + 5 * H; // inside window 1's test part
      const pert = panel(80, 0.3);
      const g = gaussian(99);
      for (let i = 0; i < pert.time.length; i++) {
        if (pert.time[i]! > T) for (const c of pert.cols) c[i] = g() * 3;
        if (pert.label_avail[i]! > T) pert.ret[i] = g() * 0.05;
      }
      const a = await walkForwardTrain(base, cfg({ kind }));
      const b = await walkForwardTrain(pert, cfg({ kind }));
      let checked = 0;
      let changedAfter = 0;
      for (let r = 0; r < a.rows.length; r++) {
        expect(b.rows[r]).toBe(a.rows[r]);
        if (base.time[a.rows[r]!]! <= T) {
          checked++;
          expect(b.prediction[r], `row ${a.rows[r]}`).toBe(a.prediction[r]);
          expect(b.baseline[r]).toBe(a.baseline[r]);
        } else if (b.prediction[r] !== a.prediction[r]) changedAfter++;
      }
      expect(checked).toBe(240 * 3 + (7 * 24 + 6) * 3);
      expect(changedAfter).toBeGreaterThan(1000);
    }, 120_000);
  }

  it('planted effect: positive out-of-sample rank IC in most windows, significant lift over the baseline', async () => {
    const r = await walkForwardTrain(panel(120, 0.15), cfg());
    const ics = r.windows.map((w) => w.model.rank_ic ?? 0);
    expect(ics.length).toBe(8);
    expect(ics.filter((x) => x > 0).length).toBeGreaterThanOrEqual(7);
    const lift = r.lift.find((l) => l.metric === 'rank_ic')!;
    expect(lift.significant).toBe(true);
    expect(r.lift.find((l) => l.metric === 'log_loss')!.mean!).toBeGreaterThan(0);
    // importance: the planted feature's coefficient is positive and stable in every window
    expect(r.stability[0]).toMatchObject({ feature: 'sig', same_sign_share: 1 });
    expect(r.stability[0]!.mean).toBeGreaterThan(5 * Math.abs(r.stability[1]!.mean));
    for (const w of r.windows) expect(w.importance[0]!.se!).toBeGreaterThan(0);
  });

  it('no effect (--effects none): the lift over the baseline is not significant', async () => {
    for (const kind of ['logistic', 'xgboost'] as const) {
      const r = await walkForwardTrain(panel(120, 0, 17), cfg({ kind }));
      for (const l of r.lift) expect(l.significant, `${kind} ${l.metric}: p = ${l.p_value}`).toBe(false);
      const mean = r.windows.reduce((a, w) => a + (w.model.rank_ic ?? 0), 0) / r.windows.length;
      expect(Math.abs(mean)).toBeLessThan(0.03);
    }
  }, 120_000);

  it('three-class: the neutral band is a quantile of |return| on the training rows', async () => {
    const p = panel(60, 0.3);
    const r = await walkForwardTrain(p, cfg({ target: 'three-class' }));
    const w = r.windows[0]!;
    const abs: number[] = [];
    for (let i = 0; i < p.time.length; i++) if (p.time[i]! < w.test.from - H) abs.push(Math.abs(p.ret[i]!));
    abs.sort((x, y) => x - y);
    const h = (abs.length - 1) * 0.33;
    const q = abs[Math.floor(h)]! + (h - Math.floor(h)) * (abs[Math.floor(h) + 1]! - abs[Math.floor(h)]!);
    expect(w.neutral_band).toBe(q);
    expect(r.prediction.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(w.model.log_loss).toBeNull();
    expect(w.model.rank_ic!).toBeGreaterThan(0.05);
  });
});
