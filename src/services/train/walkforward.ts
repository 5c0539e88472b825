import { interruptedError } from '../../domain/errors.js';
import { walkForwardFolds, type Interval, type LabelledRow } from '../../domain/split.js';
import type { ModelKind, Target } from '../../domain/train.js';
import { createModel, type Model, type ModelDescription, type ModelParams, type Objective, type SerialisedModel } from '../../models/index.js';
import { liftSummary, scorePredictions, type LiftSummary, type Scores } from './metrics.js';
import { applyPreprocessor, fitPreprocessor, quantileSorted, type Preprocessor } from './prepare.js';

/**
 * Walk-forward retraining on an in-memory panel (pure: no I/O). For each window: the training
 * rows are the decisions of the train interval, minus the purge (rows whose label window reaches
 * the test window, and every row within `purge_us` before it), whose label was available by the
 * test window's start; preprocessing statistics, the three-class neutral band and class weights
 * come from those rows only; the model and the baseline are fitted on them and predict the test
 * rows. The embargo is a gap of `embargo_us` between the end of training and the test window.
 */

export interface Panel {
  symbols: string[];
  /** per row: decision time, µs (sorted ascending, ties by symbol) */
  time: Float64Array;
  sym: Int32Array;
  /** feature columns (NaN = missing), aligned with `features` */
  features: string[];
  cols: Float64Array[];
  /** the label: forward return (fraction; NaN = none) */
  ret: Float64Array;
  /** end of the label window (exit time), µs */
  label_end: Float64Array;
  /** when the label was known (its available_time), µs */
  label_avail: Float64Array;
}

export interface WalkForwardConfig {
  kind: ModelKind;
  target: Target;
  features: string[];
  baseline_features: string[];
  train_us: number;
  test_us: number;
  step_us: number;
  purge_us: number;
  embargo_us: number;
  winsor: number;
  neutral_quantile: number;
  balance: boolean;
  params: ModelParams;
}

export interface WindowResult {
  index: number;
  train: { from: number; to: number; rows: number; purged_rows: number };
  test: { from: number; to: number; rows: number };
  /** three-class neutral band fitted on the training rows (fraction), else null */
  neutral_band: number | null;
  model: Scores;
  baseline: Scores;
  importance: ModelDescription['importance'];
  importance_kind: ModelDescription['importance_kind'];
  /** the training statistics (proof that they come from the training part) */
  preprocessor: Preprocessor;
}

export interface WalkForwardResult {
  windows: WindowResult[];
  /** test rows in window order: row index into the panel, window, model and baseline predictions */
  rows: Int32Array;
  window_of: Int32Array;
  prediction: Float64Array;
  baseline: Float64Array;
  lift: LiftSummary[];
  stability: Array<{ feature: string; mean: number; sd: number; same_sign_share: number }>;
}

export const objectiveOf = (t: Target): Objective => (t === 'sign' ? 'binary' : t === 'return' ? 'regression' : 'three-class');

/** The training targets and weights of rows idx. */
export function targets(target: Target, ret: Float64Array, idx: Int32Array, neutralQuantile: number, balance: boolean): { y: Float64Array; band: number | null; weights?: Float64Array; pos_weight: number } {
  const y = new Float64Array(idx.length);
  let band: number | null = null;
  if (target === 'return') idx.forEach((i, r) => (y[r] = ret[i]!));
  else if (target === 'sign') idx.forEach((i, r) => (y[r] = ret[i]! > 0 ? 1 : 0));
  else {
    const abs = Float64Array.from(idx, (i) => Math.abs(ret[i]!)).sort();
    band = quantileSorted(abs, neutralQuantile);
    const b = band;
    idx.forEach((i, r) => (y[r] = ret[i]! > b ? 2 : ret[i]! < -b ? 0 : 1));
  }
  let posWeight = 1;
  let weights: Float64Array | undefined;
  if (balance && target !== 'return') {
    const classes = target === 'sign' ? 2 : 3;
    const counts = new Float64Array(classes);
    for (const v of y) counts[v] = counts[v]! + 1;
    weights = Float64Array.from(y, (v) => (counts[v]! > 0 ? y.length / (classes * counts[v]!) : 0));
    if (target === 'sign' && counts[1]! > 0) posWeight = counts[0]! / counts[1]!;
  }
  return weights ? { y, band, weights, pos_weight: posWeight } : { y, band, pos_weight: posWeight };
}

function paramsWithBalance(p: ModelParams, posWeight: number): ModelParams {
  return { ...p, xgboost: { ...p.xgboost, scale_pos_weight: posWeight } };
}

/** Rows of the panel with a label whose decision time falls in the intervals. */
function rowsIn(panel: Panel, iv: Interval[], accept: (i: number) => boolean): Int32Array {
  const out: number[] = [];
  for (let i = 0; i < panel.time.length; i++) {
    const t = panel.time[i]!;
    if (!Number.isFinite(panel.ret[i]!)) continue;
    if (iv.some(([a, b]) => t >= a && t < b) && accept(i)) out.push(i);
  }
  return Int32Array.from(out);
}

/** Fits one model on rows `train` (statistics from them only) and predicts rows `predict`. */
export async function fitPredict(
  panel: Panel,
  kind: ModelKind,
  target: Target,
  featureIdx: number[],
  train: Int32Array,
  predict: Int32Array,
  o: { winsor: number; neutral_quantile: number; balance: boolean; params: ModelParams },
): Promise<{ prediction: Float64Array; description: ModelDescription; preprocessor: Preprocessor; band: number | null; serialised: SerialisedModel }> {
  const cols = featureIdx.map((j) => panel.cols[j]!);
  const names = featureIdx.map((j) => panel.features[j]!);
  const pre = fitPreprocessor(names, cols, train, o.winsor);
  const t = targets(target, panel.ret, train, o.neutral_quantile, o.balance);
  const model: Model = await createModel(kind, objectiveOf(target), paramsWithBalance(o.params, t.pos_weight));
  try {
    model.fit(applyPreprocessor(pre, cols, train), t.y, t.weights ? { weights: t.weights } : {});
    const prediction = model.predict(applyPreprocessor(pre, cols, predict));
    return { prediction, description: model.describe(names), preprocessor: pre, band: t.band, serialised: model.serialise() };
  } finally {
    model.dispose();
  }
}

/** The labelled rows as the split domain sees them (for the fold boundaries and the purge). */
function labelledRows(panel: Panel): LabelledRow[] {
  const out: LabelledRow[] = [];
  for (let i = 0; i < panel.time.length; i++) {
    if (Number.isFinite(panel.ret[i]!)) out.push({ symbol: panel.symbols[panel.sym[i]!]!, d: panel.time[i]!, end: panel.label_end[i]! });
  }
  return out;
}

export async function walkForwardTrain(panel: Panel, cfg: WalkForwardConfig, progress: (msg: string) => void = () => {}, signal?: AbortSignal): Promise<WalkForwardResult> {
  const fIdx = cfg.features.map((f) => panel.features.indexOf(f));
  const bIdx = cfg.baseline_features.map((f) => panel.features.indexOf(f));
  for (const [names, idx] of [[cfg.features, fIdx], [cfg.baseline_features, bIdx]] as const) {
    const missing = names.filter((_, k) => idx[k]! < 0);
    if (missing.length) throw new Error(`panel has no column ${missing.join(', ')}`);
  }
  const lrows = labelledRows(panel);
  if (lrows.length === 0) return { windows: [], rows: new Int32Array(0), window_of: new Int32Array(0), prediction: new Float64Array(0), baseline: new Float64Array(0), lift: [], stability: [] };
  const from = lrows[0]!.d;
  const to = lrows[lrows.length - 1]!.d + 1;
  const windows: WindowResult[] = [];
  const rows: number[] = [];
  const windowOf: number[] = [];
  const pred: number[] = [];
  const base: number[] = [];
  const opts = { winsor: cfg.winsor, neutral_quantile: cfg.neutral_quantile, balance: cfg.balance, params: cfg.params };
  for (const fold of walkForwardFolds(lrows, from, to, { train_us: cfg.train_us, test_us: cfg.test_us, step_us: cfg.step_us, window: 'rolling', buffer_us: cfg.embargo_us })) {
    if (signal?.aborted) throw interruptedError('perpkit train interrupted between windows; nothing was written');
    const [testStart, testEnd] = fold.test.intervals[0]!;
    // purge: the label-overlap purge of the split domain, and one label horizon before the gap
    const trainIv: Interval[] = fold.train.intervals.map(([a, b]) => [a, Math.min(b, testStart - cfg.embargo_us - cfg.purge_us)] as Interval).filter(([a, b]) => b > a);
    const allTrain = rowsIn(panel, fold.train.intervals, () => true);
    const train = rowsIn(panel, trainIv, (i) => panel.label_avail[i]! <= testStart && panel.label_end[i]! < testStart);
    const test = rowsIn(panel, [[testStart, testEnd]], () => true);
    if (train.length < 10 || test.length === 0) continue;
    const m = await fitPredict(panel, cfg.kind, cfg.target, fIdx, train, test, opts);
    const b = await fitPredict(panel, 'logistic', cfg.target, bIdx, train, test, opts);
    const ret = Float64Array.from(test, (i) => panel.ret[i]!);
    const prob = cfg.target === 'sign';
    const index = windows.length;
    windows.push({
      index,
      train: { from: trainIv[0]?.[0] ?? testStart, to: trainIv[trainIv.length - 1]?.[1] ?? testStart, rows: train.length, purged_rows: allTrain.length - train.length },
      test: { from: testStart, to: testEnd, rows: test.length },
      neutral_band: m.band,
      model: scorePredictions(m.prediction, ret, prob),
      baseline: scorePredictions(b.prediction, ret, prob),
      importance: m.description.importance,
      importance_kind: m.description.importance_kind,
      preprocessor: m.preprocessor,
    });
    test.forEach((i, r) => {
      rows.push(i);
      windowOf.push(index);
      pred.push(m.prediction[r]!);
      base.push(b.prediction[r]!);
    });
    progress(`train: window ${index + 1}: ${train.length} training rows, ${test.length} test rows, rank IC ${windows[index]!.model.rank_ic?.toFixed(4) ?? 'n/a'} (baseline ${windows[index]!.baseline.rank_ic?.toFixed(4) ?? 'n/a'})`);
  }
  const diff = (f: (s: Scores) => number | null, sign = 1): Array<number | null> =>
    windows.map((w) => {
      const a = f(w.model);
      const c = f(w.baseline);
      return a === null || c === null ? null : sign * (a - c);
    });
  const lift = [liftSummary('rank_ic', diff((s) => s.rank_ic)), liftSummary('auc', diff((s) => s.auc)), liftSummary('hit_rate', diff((s) => s.hit_rate))];
  if (cfg.target === 'sign') lift.push(liftSummary('log_loss', diff((s) => s.log_loss, -1)));
  const stability = cfg.features.map((feature, j) => {
    const v = windows.map((w) => w.importance[j]!.value).filter(Number.isFinite);
    const mean = v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
    const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
    const same = v.length ? v.filter((x) => Math.sign(x) === Math.sign(mean)).length / v.length : 0;
    return { feature, mean, sd, same_sign_share: same };
  });
  return { windows, rows: Int32Array.from(rows), window_of: Int32Array.from(windowOf), prediction: Float64Array.from(pred), baseline: Float64Array.from(base), lift, stability };
}

/** The deployable model: fitted on the last `train_us` of rows whose label was known by `asOf`. */
export async function fitFinal(panel: Panel, cfg: WalkForwardConfig, asOf: number): Promise<{ serialised: SerialisedModel; preprocessor: Preprocessor; band: number | null; from: number; to: number; rows: number }> {
  const fIdx = cfg.features.map((f) => panel.features.indexOf(f));
  const iv: Interval[] = [[asOf - cfg.train_us, asOf]];
  const train = rowsIn(panel, iv, (i) => panel.label_avail[i]! <= asOf);
  if (train.length < 10) throw new Error(`too few labelled rows (${train.length}) in the last training window`);
  const r = await fitPredict(panel, cfg.kind, cfg.target, fIdx, train, new Int32Array(0), { winsor: cfg.winsor, neutral_quantile: cfg.neutral_quantile, balance: cfg.balance, params: cfg.params });
  return { serialised: r.serialised, preprocessor: r.preprocessor, band: r.band, from: iv[0]![0], to: asOf, rows: train.length };
}
