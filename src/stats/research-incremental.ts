/**
 * incremental.walkForwardResiduals for rows in time order, in one pass: the expanding training
 * sets of the folds are prefixes of the usable rows, so the normal-equation sums of every fold are
 * snapshots of one running accumulation (the same additions in the same order as the per-fold
 * loops), and the three regressions (feature ~ baseline, label ~ baseline, label ~ baseline +
 * feature) read one (p + 1) x (p + 1) sum of [1, baseline, feature] products. Rows not in time
 * order fall back to walkForwardResiduals. Same results, bit for bit (test/research/grid.test.ts).
 */
import { Matrix, solve } from 'ml-matrix';
import { walkForwardResiduals, type WalkForwardInput, type WalkForwardResiduals } from './incremental.js';

function solveOrNull(xtx: number[][], xty: number[]): number[] | null {
  const p = xty.length;
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[a]![b] = xtx[b]![a]!;
  const out = solve(new Matrix(xtx), Matrix.columnVector(xty), true).to1DArray();
  return out.every((v) => Number.isFinite(v)) ? out : null;
}

export function walkForwardResidualsFast(inp: WalkForwardInput, folds: number, embargo: number): WalkForwardResiduals {
  const n = inp.time.length;
  for (let i = 1; i < n; i++) if (!(inp.time[i]! >= inp.time[i - 1]!)) return walkForwardResiduals(inp, folds, embargo);
  const nan = (): Float64Array => new Float64Array(n).fill(Number.NaN);
  const out: WalkForwardResiduals = {
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
  const B = inp.baseline.length;
  let okN = 0;
  const okRows = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(inp.feature[i]!) || !Number.isFinite(inp.label[i]!) || !Number.isFinite(inp.time[i]!)) continue;
    let all = true;
    for (let b = 0; b < B; b++) if (!Number.isFinite(inp.baseline[b]![i]!)) all = false;
    if (all) okRows[okN++] = i;
  }
  if (okN < 10 || folds < 1) return out;
  // the usable rows' times, ascending (rows are in time order): each fold's test rows are one run of them
  const okTime = new Float64Array(okN);
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
  // running sums over the rows [1, baseline..., feature] (upper triangle, row-major q x q), label
  // products and label sum; typed arrays, the same additions in the same order as the per-fold loops
  const q = B + 2;
  const S = new Float64Array(q * q);
  const Sy = new Float64Array(q);
  let ySum = 0;
  let used = 0;
  const row = new Float64Array(q).fill(1);
  const base = inp.baseline;
  let sseB = 0;
  let sseF = 0;
  let sst = 0;
  const p = B + 1;
  for (let j = 1; j <= folds; j++) {
    const lo = tMin + j * width;
    const hi = j === folds ? Infinity : tMin + (j + 1) * width;
    // extend the training prefix: rows with time < lo - embargo
    while (used < okN && okTime[used]! < lo - embargo) {
      const i = okRows[used]!;
      for (let b = 0; b < B; b++) row[b + 1] = base[b]![i]!;
      row[q - 1] = inp.feature[i]!;
      const y = inp.label[i]!;
      for (let a = 0; a < q; a++) {
        const ra = row[a]!;
        Sy[a] = Sy[a]! + ra * y;
        for (let b = a, o = a * q + a; b < q; b++, o++) S[o] = S[o]! + ra * row[b]!;
      }
      ySum += y;
      used++;
    }
    const r0 = firstAtOrAfter(lo);
    const r1 = hi === Infinity ? okN : firstAtOrAfter(hi);
    if (r1 <= r0) continue;
    // feature ~ baseline and label ~ baseline: p x p; label ~ baseline + feature: q x q
    if (used < p + 2 || used < q + 2) continue;
    const sub = (k: number): number[][] => Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => (b >= a ? S[a * q + b]! : 0)));
    const bF = solveOrNull(sub(p), Array.from({ length: p }, (_, a) => S[a * q + q - 1]!));
    const bY = solveOrNull(sub(p), Array.from(Sy.subarray(0, p)));
    const bFull = solveOrNull(sub(q), Array.from(Sy));
    if (!bF || !bY || !bFull) continue;
    out.folds_used++;
    const yMean = ySum / used;
    for (let r = r0; r < r1; r++) {
      const i = okRows[r]!;
      const x = inp.feature[i]!;
      let pb = bY[0]!;
      for (let b = 0; b < B; b++) pb += bY[b + 1]! * base[b]![i]!;
      let pf = bFull[0]!;
      for (let b = 0; b < B; b++) pf += bFull[b + 1]! * base[b]![i]!;
      pf += bFull[B + 1]! * x;
      let pF = bF[0]!;
      for (let b = 0; b < B; b++) pF += bF[b + 1]! * base[b]![i]!;
      const y = inp.label[i]!;
      out.feature_resid[i] = x - pF;
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
