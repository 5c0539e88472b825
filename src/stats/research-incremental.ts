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
import type { HeapArray, HeapTemps, KernelHeap } from './wasm/heap.js';

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

/**
 * The per-row loops of the regressions, over one input: in TypeScript (`jsLoops`) or as the
 * WebAssembly kernels (`kernelLoops`, stats/wasm/research.wat `wf_*`: the same operations in the same
 * order). The solves between them are shared. Arrays a loop writes come from `alloc` (the heap's when
 * the kernels run, plain ones when it is full: a kernel loop given an array outside the heap runs the
 * TypeScript loop on the same running sums instead).
 */
interface Loops extends RunningSums {
  alloc<T extends Int32Array | Float64Array>(ctor: { new (n: number): T }, n: number): T;
  release(a: Int32Array | Float64Array): void;
  usable(): Int32Array;
  accLabel(rows: Int32Array, from: number, to: number): void;
  predict(rows: Int32Array, r0: number, r1: number, coef: number[], pb: Float64Array): void;
  accFeature(rows: Int32Array, from: number, to: number): void;
  /** sums of squares (sseB, sseF, sst) continue in `acc` */
  resid(rows: Int32Array, r0: number, r1: number, j: number, pbs: Float64Array, bFull: number[], bF: number[], out: WalkForwardResiduals, acc: Float64Array, yMean: number): void;
}

/** The loops' running sums, read by the solves: S (q x q, upper triangle of the [1, baseline] block), Sy (q), the label's sum, the feature's Fx (q) and Fy. */
interface RunningSums {
  S: Float64Array;
  Sy: Float64Array;
  ySum: Float64Array;
  Fx: Float64Array;
  Fy: Float64Array;
}

const runningSums = (q: number): RunningSums => ({ S: new Float64Array(q * q), Sy: new Float64Array(q), ySum: new Float64Array(1), Fx: new Float64Array(q), Fy: new Float64Array(1) });

function jsLoops(inp: WalkForwardInput, sums: RunningSums = runningSums(inp.baseline.length + 2), heap: KernelHeap | null = null): Loops {
  const B = inp.baseline.length;
  const p = B + 1;
  const q = B + 2;
  const base = inp.baseline;
  const x = inp.feature;
  const y = inp.label;
  const row = new Float64Array(q).fill(1);
  const { S, Sy, ySum, Fx, Fy } = sums;
  return {
    alloc: (ctor, n) => new ctor(n),
    // a kept side's heap arrays (made when the kernels ran) go back to the heap
    release: (a) => heap?.release(a),
    usable: () => usableRows(inp),
    S,
    Sy,
    ySum,
    Fx,
    Fy,
    accLabel(rows, from, to) {
      let ys = ySum[0]!;
      for (let r = from; r < to; r++) {
        const i = rows[r]!;
        for (let b = 0; b < B; b++) row[b + 1] = base[b]![i]!;
        const yi = y[i]!;
        for (let a = 0; a < p; a++) {
          const ra = row[a]!;
          Sy[a] = Sy[a]! + ra * yi;
          for (let b = a, o = a * q + a; b < p; b++, o++) S[o] = S[o]! + ra * row[b]!;
        }
        ys += yi;
      }
      ySum[0] = ys;
    },
    predict(rows, r0, r1, coef, pb) {
      for (let r = r0; r < r1; r++) {
        const i = rows[r]!;
        let v = coef[0]!;
        for (let b = 0; b < B; b++) v += coef[b + 1]! * base[b]![i]!;
        pb[r] = v;
      }
    },
    accFeature(rows, from, to) {
      let fy = Fy[0]!;
      for (let r = from; r < to; r++) {
        const i = rows[r]!;
        for (let b = 0; b < B; b++) row[b + 1] = base[b]![i]!;
        const xi = x[i]!;
        row[q - 1] = xi;
        for (let a = 0; a < q; a++) Fx[a] = Fx[a]! + row[a]! * xi;
        fy = fy + xi * y[i]!;
      }
      Fy[0] = fy;
    },
    resid(rows, r0, r1, j, pbs, bFull, bF, out, acc, yMean) {
      let sseB = acc[0]!;
      let sseF = acc[1]!;
      let sst = acc[2]!;
      for (let r = r0; r < r1; r++) {
        const i = rows[r]!;
        const xi = x[i]!;
        const pb = pbs[r]!;
        let pf = bFull[0]!;
        for (let b = 0; b < B; b++) pf += bFull[b + 1]! * base[b]![i]!;
        pf += bFull[B + 1]! * xi;
        let pF = bF[0]!;
        for (let b = 0; b < B; b++) pF += bF[b + 1]! * base[b]![i]!;
        const yi = y[i]!;
        out.feature_resid[i] = xi - pF;
        out.label_resid[i] = yi - pb;
        out.pred_base[i] = pb;
        out.pred_full[i] = pf;
        out.fold[i] = j;
        sseB += (yi - pb) ** 2;
        sseF += (yi - pf) ** 2;
        sst += (yi - yMean) ** 2;
      }
      acc[0] = sseB;
      acc[1] = sseF;
      acc[2] = sst;
    },
  };
}

/**
 * The kernels' loops over an input whose columns are in the heap or copied there (the call's
 * working arrays `t`), with `out`'s arrays in the heap; null when something does not fit.
 */
function kernelLoops(inp: WalkForwardInput, heap: KernelHeap, out: WalkForwardResiduals, t: HeapTemps): Loops | null {
  const B = inp.baseline.length;
  const q = B + 2;
  const n = inp.time.length;
  const addr = (a: ArrayLike<number>): number | null => (a instanceof Float64Array ? t.address(a) : null);
  const x = addr(inp.feature);
  const y = addr(inp.label);
  const time = addr(inp.time);
  const bases = inp.baseline.map(addr);
  if (x === null || y === null || time === null || bases.some((b) => b === null)) return null;
  // every column as long as the times (the kernels read n values of each)
  if ([inp.feature, inp.label, ...inp.baseline].some((a) => a.length !== n)) return null;
  if (![out.feature_resid, out.label_resid, out.pred_base, out.pred_full, out.fold].every((a) => heap.owns(a))) return null;
  // written before they are read: not cleared
  const base = t.alloc(Int32Array, B, false);
  const row = t.alloc(Float64Array, q, false);
  const sums = t.alloc(Float64Array, q * q + 4 * q + 2, false);
  const rowsWork = t.alloc(Int32Array, n, false);
  if (!base || !row || !sums || !rowsWork) return null;
  bases.forEach((b, k) => (base[k] = b!));
  row[0] = 1;
  // one block: S (q x q), Sy (q), ySum, Fx (q), Fy, and two coefficient vectors (q each: bFull, and bF or bY)
  let o = 0;
  const part = (len: number): Float64Array => {
    const v = sums.subarray(o, o + len);
    o += len;
    return v;
  };
  const S = part(q * q);
  const Sy = part(q);
  const ySum = part(1);
  const Fx = part(q);
  const Fy = part(1);
  const c1 = part(q);
  const c2 = part(q);
  const k = heap.k;
  const coef = (dst: Float64Array, v: number[]): number => {
    dst.set(v);
    return dst.byteOffset;
  };
  const sumsOf: RunningSums = { S, Sy, ySum, Fx, Fy };
  const js = jsLoops(inp, sumsOf);
  const inHeap = (...a: HeapArray[]): boolean => a.every((v) => heap.owns(v));
  return {
    ...sumsOf,
    alloc: (ctor, len) => heap.array(ctor as never, len) as never,
    release: (a) => heap.release(a),
    usable: () => rowsWork.subarray(0, k.wf_usable(n, x, y, time, B, base.byteOffset, rowsWork.byteOffset)),
    accLabel: (rows, from, to) =>
      inHeap(rows) ? k.wf_acc_label(from, to, rows.byteOffset, B, base.byteOffset, y, row.byteOffset, S.byteOffset, Sy.byteOffset, ySum.byteOffset) : js.accLabel(rows, from, to),
    predict: (rows, r0, r1, cf, pb) => (inHeap(rows, pb) ? k.wf_predict(r0, r1, rows.byteOffset, B, base.byteOffset, coef(c1, cf), pb.byteOffset) : js.predict(rows, r0, r1, cf, pb)),
    accFeature: (rows, from, to) =>
      inHeap(rows) ? k.wf_acc_feature(from, to, rows.byteOffset, B, base.byteOffset, x, y, row.byteOffset, Fx.byteOffset, Fy.byteOffset) : js.accFeature(rows, from, to),
    resid: (rows, r0, r1, j, pbs, bFull, bF, o2, acc, yMean) =>
      inHeap(rows, pbs, acc)
        ? k.wf_resid(r0, r1, j, rows.byteOffset, B, base.byteOffset, x, y, pbs.byteOffset, coef(c1, bFull), coef(c2, bF), o2.feature_resid.byteOffset, o2.label_resid.byteOffset, o2.pred_base.byteOffset, o2.pred_full.byteOffset, o2.fold.byteOffset, acc.byteOffset, yMean)
        : js.resid(rows, r0, r1, j, pbs, bFull, bF, o2, acc, yMean),
  };
}

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
 * sum on its own), label ~ baseline per fold and the test rows' baseline predictions. The replaced
 * side's arrays are reused when as long (else given back).
 */
function labelSide(inp: WalkForwardInput, usable: Int32Array, folds: number, embargo: number, old: WalkForwardLabelSide | null, L: Loops): WalkForwardLabelSide {
  const okN = usable.length;
  const B = inp.baseline.length;
  const p = B + 1;
  const q = B + 2;
  const keep = old !== null && old.okRows.length === okN;
  if (old && !keep) {
    L.release(old.okRows);
    L.release(old.pb);
  }
  // the rows are kept with the side (a copy: `usable` is a working array); new arrays are the input's
  // length (a block of one size per asset: the heap reuses blocks by size)
  const n = inp.time.length;
  const okRows = keep ? old.okRows : L.alloc(Int32Array, n).subarray(0, okN);
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
  const { S, Sy, ySum } = L;
  S.fill(0);
  Sy.fill(0);
  ySum[0] = 0;
  let used = 0;
  const pb = (keep ? old.pb : L.alloc(Float64Array, n).subarray(0, okN)).fill(Number.NaN);
  const out: WalkForwardLabelSide['fold'] = [null];
  for (let j = 1; j <= folds; j++) {
    const lo = tMin + j * width;
    const hi = j === folds ? Infinity : tMin + (j + 1) * width;
    let to = used;
    while (to < okN && okTime[to]! < lo - embargo) to++;
    L.accLabel(okRows, used, to);
    used = to;
    const r0 = firstAtOrAfter(lo);
    const r1 = hi === Infinity ? okN : firstAtOrAfter(hi);
    if (r1 <= r0 || used < p + 2 || used < q + 2) {
      out.push(null);
      continue;
    }
    const sub = Array.from({ length: p }, (_, a) => Array.from({ length: p }, (_, b) => (b >= a ? S[a * q + b]! : 0)));
    const bY = solveOrNull(sub, Array.from(Sy.subarray(0, p)));
    if (bY) L.predict(okRows, r0, r1, bY, pb);
    out.push({ used, r0, r1, S: Float64Array.from(S), Sy: Float64Array.from(Sy), ySum: ySum[0]!, bY });
  }
  return { label: inp.label, baseline: inp.baseline, time: inp.time, folds, embargo, okRows, fold: out, pb };
}

/**
 * walkForwardResidualsFast with the label side kept in `cache` (cache.side: the last one; replaced
 * when it does not match). Only the feature's sums and predictions are computed per feature.
 * `into`: an earlier result of as many rows that the caller no longer needs, overwritten instead of
 * new arrays (the grid copies the residuals out before the next call). With a heap the per-row
 * loops run as WebAssembly kernels (the same numbers, bit for bit): the result's arrays and the kept
 * side's are then the heap's, and the input's columns are copied there unless they are in it (the
 * grid passes views of its heap copies).
 */
export function walkForwardResidualsFast(
  inp: WalkForwardInput,
  folds: number,
  embargo: number,
  cache: { side: WalkForwardLabelSide | null } = { side: null },
  into?: WalkForwardResiduals,
  heap?: KernelHeap | null,
): WalkForwardResiduals {
  const n = inp.time.length;
  for (let i = 1; i < n; i++) if (!(inp.time[i]! >= inp.time[i - 1]!)) return walkForwardResiduals(inp, folds, embargo);
  // an earlier result is reused as it is (the kernels run only when its arrays are in the heap)
  const out = emptyResiduals(n, into ?? (heap ? heapResiduals(heap, n) : undefined));
  if (!heap) return walkForward(inp, folds, embargo, cache, out, jsLoops(inp));
  return heap.withTemps((t) => walkForward(inp, folds, embargo, cache, out, kernelLoops(inp, heap, out, t) ?? jsLoops(inp, undefined, heap)));
}

/** Empty residuals of n rows in the heap (plain arrays for what does not fit). */
function heapResiduals(heap: KernelHeap, n: number): WalkForwardResiduals {
  const f = (): Float64Array => heap.array(Float64Array, n);
  return { feature_resid: f(), label_resid: f(), pred_base: f(), pred_full: f(), fold: heap.array(Int32Array, n), folds_used: 0, r2_oos_base: null, r2_oos_full: null, r2_lift: null };
}

function walkForward(inp: WalkForwardInput, folds: number, embargo: number, cache: { side: WalkForwardLabelSide | null }, out: WalkForwardResiduals, L: Loops): WalkForwardResiduals {
  const okRows = L.usable();
  const okN = okRows.length;
  if (okN < 10 || folds < 1) return out;
  if (!sameSide(cache.side, inp, okRows, folds, embargo)) cache.side = labelSide(inp, okRows, folds, embargo, cache.side, L);
  const side = cache.side;
  const B = inp.baseline.length;
  const p = B + 1;
  const q = B + 2;
  // the feature's running sums: its products with [1, baseline...] and itself (column q - 1), and with the label
  const { Fx, Fy } = L;
  Fx.fill(0);
  Fy[0] = 0;
  let used = 0;
  const acc = L.alloc(Float64Array, 3);
  for (let j = 1; j <= folds; j++) {
    const f = side.fold[j];
    if (!f) continue;
    L.accFeature(side.okRows, used, f.used);
    used = f.used;
    const bY = f.bY;
    // feature ~ baseline and label ~ baseline: p x p; label ~ baseline + feature: q x q
    const full = (k: number): number[][] => Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => (b < a ? 0 : b === q - 1 ? Fx[a]! : f.S[a * q + b]!)));
    const bF = solveOrNull(full(p), Array.from({ length: p }, (_, a) => Fx[a]!));
    const sy = Array.from(f.Sy.subarray(0, p));
    sy.push(Fy[0]!);
    const bFull = solveOrNull(full(q), sy);
    if (!bF || !bY || !bFull) continue;
    out.folds_used++;
    L.resid(side.okRows, f.r0, f.r1, j, side.pb, bFull, bF, out, acc, f.ySum / f.used);
  }
  const [sseB, sseF, sst] = [acc[0]!, acc[1]!, acc[2]!];
  L.release(acc);
  if (out.folds_used > 0 && sst > 0) {
    out.r2_oos_base = 1 - sseB / sst;
    out.r2_oos_full = 1 - sseF / sst;
    out.r2_lift = out.r2_oos_full - out.r2_oos_base;
  }
  return out;
}
