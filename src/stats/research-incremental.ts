/**
 * incremental.walkForwardResiduals for rows in time order, in one pass: the expanding training
 * sets of the folds are prefixes of the usable rows, so the normal-equation sums of every fold are
 * snapshots of one running accumulation (the same additions in the same order as the per-fold
 * loops), and the three regressions (feature ~ baseline, label ~ baseline, label ~ baseline +
 * feature) read one (p + 1) x (p + 1) sum of [1, baseline, feature] products. Each entry of that
 * sum is its own running sum, so the entries of [1, baseline] and the label (label ~ baseline and the baseline
 * predictions) are computed once per set of usable rows (`WalkForwardLabelSide`, kept by the
 * caller) and only the feature's column per feature. Rows not in time order fall back to
 * walkForwardResiduals. Same results, bit for bit (test/research/grid.test.ts).
 */
import { Matrix, solve } from 'ml-matrix';
import { emptyResiduals, walkForwardResiduals, type WalkForwardInput, type WalkForwardResiduals } from './incremental.js';

function solveOrNull(xtx: number[][], xty: number[]): number[] | null {
  const p = xty.length;
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[a]![b] = xtx[b]![a]!;
  const out = solve(new Matrix(xtx), Matrix.columnVector(xty), true).to1DArray();
  return out.every((v) => Number.isFinite(v)) ? out : null;
}

/**
 * The label's side of the walk-forward regressions for one set of usable rows (the same for every
 * feature with those rows): per fold, the running sums of the [1, baseline] products and the
 * label's with them at the fold's training prefix, label ~ baseline's coefficients, and each test
 * row's baseline prediction. Kept by the caller (research/grid.ts, per asset and horizon) and
 * reused only for the same label, baseline, times, folds and embargo over equal usable rows.
 */
export interface WalkForwardLabelSide {
  label: ArrayLike<number>;
  baseline: ReadonlyArray<ArrayLike<number>>;
  time: ArrayLike<number>;
  folds: number;
  embargo: number;
  /** usable rows (finite feature, label, time and baseline), ascending */
  okRows: Int32Array;
  fold: Array<{ used: number; r0: number; r1: number; S: Float64Array; Sy: Float64Array; ySum: number; bY: number[] | null } | null>;
  /** per usable row (index into okRows): its fold's baseline prediction of the label (NaN outside) */
  pb: Float64Array;
}

/**
 * Working arrays kept by the module (one set per thread), grown as needed: a fresh typed array is
 * paid for in page faults as it is first written (research-kernels sortColumn), and the grid runs
 * these regressions per asset for every (feature, horizon).
 */
const work = { rows: new Int32Array(0), time: new Float64Array(0) };

/** Rows with a finite feature, label, time and baseline, ascending: a view of the module's working array (valid until the next call). */
function usableRows(inp: WalkForwardInput): Int32Array {
  const n = inp.time.length;
  const B = inp.baseline.length;
  let okN = 0;
  if (work.rows.length < n) work.rows = new Int32Array(n);
  const okRows = work.rows;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(inp.feature[i]!) || !Number.isFinite(inp.label[i]!) || !Number.isFinite(inp.time[i]!)) continue;
    let all = true;
    for (let b = 0; b < B; b++) if (!Number.isFinite(inp.baseline[b]![i]!)) all = false;
    if (all) okRows[okN++] = i;
  }
  return okRows.subarray(0, okN);
}

function sameSide(side: WalkForwardLabelSide | null, inp: WalkForwardInput, okRows: Int32Array, folds: number, embargo: number): side is WalkForwardLabelSide {
  if (!side || side.label !== inp.label || side.time !== inp.time || side.folds !== folds || side.embargo !== embargo) return false;
  if (side.baseline.length !== inp.baseline.length || side.baseline.some((b, k) => b !== inp.baseline[k])) return false;
  if (side.okRows.length !== okRows.length) return false;
  for (let r = 0; r < okRows.length; r++) if (side.okRows[r] !== okRows[r]) return false;
  return true;
}

/**
 * The label side over usable rows: the folds' training prefixes and test runs, the [1, baseline]
 * and label sums at each prefix (the same additions in the same order as the one-pass loop, each
 * sum on its own), label ~ baseline per fold and the test rows' baseline predictions.
 */
function labelSide(inp: WalkForwardInput, usable: Int32Array, folds: number, embargo: number, old: WalkForwardLabelSide | null): WalkForwardLabelSide {
  const okN = usable.length;
  const B = inp.baseline.length;
  const p = B + 1;
  const q = B + 2;
  const base = inp.baseline;
  // the rows are kept with the side (a copy: `usable` is a working array); the replaced side's arrays are reused when as long
  const okRows = old && old.okRows.length === okN ? old.okRows : new Int32Array(okN);
  okRows.set(usable);
  if (work.time.length < okN) work.time = new Float64Array(okN);
  const okTime = work.time;
  for (let r = 0; r < okN; r++) okTime[r] = inp.time[okRows[r]!]!;
  const tMin = okTime[0]!;
  const tMax = okTime[okN - 1]!;
  /** first usable row with time >= t */
  const firstAtOrAfter = (t: number): number => {
    let lo = 0;
    let hi = okN;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (okTime[mid]! < t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const width = (tMax - tMin) / (folds + 1);
  // running sums over the rows of [1, baseline...] (upper triangle of the q x q layout) and the label
  const S = new Float64Array(q * q);
  const Sy = new Float64Array(q);
  let ySum = 0;
  let used = 0;
  const row = new Float64Array(p).fill(1);
  const pb = (old && old.pb.length === okN ? old.pb : new Float64Array(okN)).fill(Number.NaN);
  const out: WalkForwardLabelSide['fold'] = [null];
  for (let j = 1; j <= folds; j++) {
    const lo = tMin + j * width;
    const hi = j === folds ? Infinity : tMin + (j + 1) * width;
    while (used < okN && okTime[used]! < lo - embargo) {
      const i = okRows[used]!;
      for (let b = 0; b < B; b++) row[b + 1] = base[b]![i]!;
      const y = inp.label[i]!;
      for (let a = 0; a < p; a++) {
        const ra = row[a]!;
        Sy[a] = Sy[a]! + ra * y;
        for (let b = a, o = a * q + a; b < p; b++, o++) S[o] = S[o]! + ra * row[b]!;
      }
      ySum += y;
      used++;
    }
    const r0 = firstAtOrAfter(lo);
    const r1 = hi === Infinity ? okN : firstAtOrAfter(hi);
    if (r1 <= r0 || used < p + 2 || used < q + 2) {
      out.push(null);
      continue;
    }
    const sub = Array.from({ length: p }, (_, a) => Array.from({ length: p }, (_, b) => (b >= a ? S[a * q + b]! : 0)));
    const bY = solveOrNull(sub, Array.from(Sy.subarray(0, p)));
    if (bY) {
      for (let r = r0; r < r1; r++) {
        const i = okRows[r]!;
        let v = bY[0]!;
        for (let b = 0; b < B; b++) v += bY[b + 1]! * base[b]![i]!;
        pb[r] = v;
      }
    }
    out.push({ used, r0, r1, S: Float64Array.from(S), Sy: Float64Array.from(Sy), ySum, bY });
  }
  return { label: inp.label, baseline: inp.baseline, time: inp.time, folds, embargo, okRows, fold: out, pb };
}

/**
 * walkForwardResidualsFast with the label side kept in `cache` (cache.side: the last one; replaced
 * when it does not match). Only the feature's sums and predictions are computed per feature.
 * `into`: an earlier result of as many rows that the caller no longer needs, overwritten instead of
 * new arrays (the grid copies the residuals out before the next call).
 */
export function walkForwardResidualsFast(
  inp: WalkForwardInput,
  folds: number,
  embargo: number,
  cache: { side: WalkForwardLabelSide | null } = { side: null },
  into?: WalkForwardResiduals,
): WalkForwardResiduals {
  const n = inp.time.length;
  for (let i = 1; i < n; i++) if (!(inp.time[i]! >= inp.time[i - 1]!)) return walkForwardResiduals(inp, folds, embargo);
  const out = emptyResiduals(n, into);
  const okRows = usableRows(inp);
  const okN = okRows.length;
  if (okN < 10 || folds < 1) return out;
  if (!sameSide(cache.side, inp, okRows, folds, embargo)) cache.side = labelSide(inp, okRows, folds, embargo, cache.side);
  const side = cache.side;
  const B = inp.baseline.length;
  const p = B + 1;
  const q = B + 2;
  const base = inp.baseline;
  const x = inp.feature;
  // the feature's running sums: its products with [1, baseline...] and itself (column q - 1), and with the label
  const Fx = new Float64Array(q);
  let Fy = 0;
  let used = 0;
  const row = new Float64Array(q).fill(1);
  let sseB = 0;
  let sseF = 0;
  let sst = 0;
  for (let j = 1; j <= folds; j++) {
    const f = side.fold[j];
    if (!f) continue;
    while (used < f.used) {
      const i = okRows[used]!;
      for (let b = 0; b < B; b++) row[b + 1] = base[b]![i]!;
      const xi = x[i]!;
      row[q - 1] = xi;
      for (let a = 0; a < q; a++) Fx[a] = Fx[a]! + row[a]! * xi;
      Fy = Fy + xi * inp.label[i]!;
      used++;
    }
    const bY = f.bY;
    // feature ~ baseline and label ~ baseline: p x p; label ~ baseline + feature: q x q
    const full = (k: number): number[][] => Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => (b < a ? 0 : b === q - 1 ? Fx[a]! : f.S[a * q + b]!)));
    const bF = solveOrNull(full(p), Array.from({ length: p }, (_, a) => Fx[a]!));
    const sy = Array.from(f.Sy.subarray(0, p));
    sy.push(Fy);
    const bFull = solveOrNull(full(q), sy);
    if (!bF || !bY || !bFull) continue;
    out.folds_used++;
    const yMean = f.ySum / f.used;
    for (let r = f.r0; r < f.r1; r++) {
      const i = okRows[r]!;
      const xi = x[i]!;
      const pb = side.pb[r]!;
      let pf = bFull[0]!;
      for (let b = 0; b < B; b++) pf += bFull[b + 1]! * base[b]![i]!;
      pf += bFull[B + 1]! * xi;
      let pF = bF[0]!;
      for (let b = 0; b < B; b++) pF += bF[b + 1]! * base[b]![i]!;
      const y = inp.label[i]!;
      out.feature_resid[i] = xi - pF;
      out.label_resid[i] = y - pb;
      out.pred_base[i] = pb;
      out.pred_full[i] = pf;
      out.fold[i] = j;
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
