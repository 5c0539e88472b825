/**
 * Incrementality: does a feature say anything the baseline stack (recent returns, realised
 * volatility, funding level) does not?
 *
 * Walk-forward inside the evaluated rows: time is cut into `folds + 1` equal blocks; fold j fits on
 * every row before block j (expanding), minus an embargo before the block (so a training label
 * cannot reach into it), and is evaluated on block j. Per fold, by ordinary least squares with an
 * intercept (ml-matrix, SVD solve; fitted on the fold's training part only):
 *   - the feature and the label are residualised on the baseline: the residuals of the test rows
 *     give the partial IC (Spearman of the two residuals), the feature's information net of the
 *     baseline;
 *   - label ~ baseline and label ~ baseline + feature give out-of-sample predictions: R^2_oos =
 *     1 - SSE / SST with SST around the training mean (the honest benchmark), and rank ICs of the
 *     predictions; the lift is full minus baseline.
 * Rows with a non-finite feature, label or baseline value are left out. No test row ever
 * influences a fit.
 */
import { Matrix, solve } from 'ml-matrix';

export interface WalkForwardInput {
  /** decision time of each row, any increasing unit (rows need not be sorted) */
  time: ArrayLike<number>;
  feature: ArrayLike<number>;
  label: ArrayLike<number>;
  /** baseline columns, each the length of time */
  baseline: ReadonlyArray<ArrayLike<number>>;
}

export interface WalkForwardResiduals {
  /** per input row: residual of the feature on the baseline (NaN outside every test block) */
  feature_resid: Float64Array;
  label_resid: Float64Array;
  pred_base: Float64Array;
  pred_full: Float64Array;
  /** fold index of each row's test block, -1 if none */
  fold: Int32Array;
  folds_used: number;
  r2_oos_base: number | null;
  r2_oos_full: number | null;
  /** r2_oos_full - r2_oos_base */
  r2_lift: number | null;
}

/**
 * Least-squares coefficients of y on [1, X] through the normal equations (X'X small: p x p, solved
 * by SVD so a collinear baseline gives the minimum-norm solution instead of failing); null when
 * there are fewer rows than columns + 2.
 */
export function olsCoefficients(X: number[][], y: number[]): number[] | null {
  const p = (X[0]?.length ?? 0) + 1;
  const n = y.length;
  if (n < p + 2) return null;
  const xtx = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const xty = new Array<number>(p).fill(0);
  const row = new Array<number>(p).fill(1);
  for (let i = 0; i < n; i++) {
    const xi = X[i]!;
    for (let j = 1; j < p; j++) row[j] = xi[j - 1]!;
    const yi = y[i]!;
    for (let a = 0; a < p; a++) {
      const ra = row[a]!;
      xty[a] = xty[a]! + ra * yi;
      const xa = xtx[a]!;
      for (let b = a; b < p; b++) xa[b] = xa[b]! + ra * row[b]!;
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[a]![b] = xtx[b]![a]!;
  const beta = solve(new Matrix(xtx), Matrix.columnVector(xty), true);
  const out = beta.to1DArray();
  return out.every((v) => Number.isFinite(v)) ? out : null;
}

function predict(beta: number[], row: number[]): number {
  let s = beta[0]!;
  for (let j = 0; j < row.length; j++) s += beta[j + 1]! * row[j]!;
  return s;
}

/**
 * Residuals of n rows before any fold: every row NaN and in no fold. With `into` (a result of n
 * rows no longer needed), its arrays are reset and reused instead of new ones.
 */
export function emptyResiduals(n: number, into?: WalkForwardResiduals): WalkForwardResiduals {
  if (into && into.fold.length === n) {
    for (const a of [into.feature_resid, into.label_resid, into.pred_base, into.pred_full]) a.fill(Number.NaN);
    into.fold.fill(-1);
    return Object.assign(into, { folds_used: 0, r2_oos_base: null, r2_oos_full: null, r2_lift: null });
  }
  const nan = (): Float64Array => new Float64Array(n).fill(Number.NaN);
  return {
    feature_resid: nan(),
    label_resid: nan(),
    pred_base: nan(),
    pred_full: nan(),
    fold: new Int32Array(n).fill(-1),
    folds_used: 0,
    r2_oos_base: null,
    r2_oos_full: null,
    r2_lift: null,
  };
}

export function walkForwardResiduals(inp: WalkForwardInput, folds: number, embargo: number): WalkForwardResiduals {
  const n = inp.time.length;
  const out = emptyResiduals(n);
  const ok: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(inp.feature[i]!) || !Number.isFinite(inp.label[i]!) || !Number.isFinite(inp.time[i]!)) continue;
    if (inp.baseline.every((c) => Number.isFinite(c[i]!))) ok.push(i);
  }
  if (ok.length < 10 || folds < 1) return out;
  let tMin = Infinity;
  let tMax = -Infinity;
  for (const i of ok) {
    tMin = Math.min(tMin, inp.time[i]!);
    tMax = Math.max(tMax, inp.time[i]!);
  }
  const width = (tMax - tMin) / (folds + 1);
  const base = (i: number): number[] => inp.baseline.map((c) => c[i]!);
  let sseB = 0;
  let sseF = 0;
  let sst = 0;
  for (let j = 1; j <= folds; j++) {
    const lo = tMin + j * width;
    const hi = j === folds ? Infinity : tMin + (j + 1) * width;
    const train = ok.filter((i) => inp.time[i]! < lo - embargo);
    const test = ok.filter((i) => inp.time[i]! >= lo && inp.time[i]! < hi);
    if (test.length === 0) continue;
    const Xb = train.map(base);
    const bF = olsCoefficients(Xb, train.map((i) => inp.feature[i]!));
    const bY = olsCoefficients(Xb, train.map((i) => inp.label[i]!));
    const bFull = olsCoefficients(
      train.map((i) => [...base(i), inp.feature[i]!]),
      train.map((i) => inp.label[i]!),
    );
    if (!bF || !bY || !bFull) continue;
    out.folds_used++;
    let yMean = 0;
    for (const i of train) yMean += inp.label[i]!;
    yMean /= train.length;
    for (const i of test) {
      const xb = base(i);
      const pb = predict(bY, xb);
      const pf = predict(bFull, [...xb, inp.feature[i]!]);
      out.feature_resid[i] = inp.feature[i]! - predict(bF, xb);
      out.label_resid[i] = inp.label[i]! - pb;
      out.pred_base[i] = pb;
      out.pred_full[i] = pf;
      out.fold[i] = j;
      const y = inp.label[i]!;
      sseB += (y - pb) ** 2;
      sseF += (y - pf) ** 2;
      sst += (y - yMean) ** 2;
    }
  }
  if (out.folds_used > 0 && sst > 0) {
    out.r2_oos_base = 1 - sseB / sst;
    out.r2_oos_full = 1 - sseF / sst;
    out.r2_lift = out.r2_oos_full - out.r2_oos_base;
  }
  return out;
}
