/**
 * Probability of backtest overfitting by combinatorially symmetric cross-validation (CSCV):
 * D. H. Bailey, J. M. Borwein, M. Lopez de Prado, Q. J. Zhu, "The Probability of Backtest
 * Overfitting", Journal of Computational Finance 20(4), 2017.
 *
 * Given a T x N matrix M of per-period returns of N strategy configurations (the trials):
 * 1. split the rows into S contiguous blocks of equal size (S even); when S does not divide T the
 *    oldest T mod S rows are dropped;
 * 2. for each of the C(S, S/2) ways to pick S/2 blocks as the in-sample set J (the other blocks,
 *    in time order, are the out-of-sample complement J-bar):
 *    - n* = the strategy with the best in-sample performance;
 *    - omega = rank of n* among all N out of sample / (N + 1) (rank 1 = worst, ties averaged);
 *    - lambda = ln(omega / (1 - omega));
 * 3. PBO = share of combinations with lambda <= 0 (the in-sample best is at or below the
 *    out-of-sample median).
 *
 * Performance is the Sharpe ratio of the concatenated blocks, mean / std (ddof 1), per period; a
 * strategy with zero variance in a half has Sharpe 0 when its mean is 0 and +-Infinity otherwise (it
 * ranks first or last). Ties in-sample go to the lowest column index.
 *
 * Also reported: the performance degradation (OLS slope of the out-of-sample Sharpe of n* on its
 * in-sample Sharpe across combinations; negative = in-sample gains do not carry over) and the
 * probability of out-of-sample loss (share of combinations where n* has a negative out-of-sample
 * Sharpe, i.e. a negative mean return).
 *
 * Cost: each combination is O(S N) because per-block, per-strategy sums and sums of squares are
 * computed once (on returns centred per strategy, for numerical accuracy); the out-of-sample sums are
 * the totals minus the in-sample sums.
 */
import { linearFit } from './descriptive.js';

/** A T x N matrix of returns, row-major: value of strategy j at period t is values[t * cols + j]. */
export interface ReturnMatrix {
  values: Float64Array;
  /** T, periods */
  rows: number;
  /** N, strategies */
  cols: number;
}

/** Builds a `ReturnMatrix` from one Float64Array per strategy (all the same length). */
export function matrixFromColumns(columns: readonly Float64Array[]): ReturnMatrix {
  const cols = columns.length;
  const rows = cols === 0 ? 0 : columns[0]!.length;
  const values = new Float64Array(rows * cols);
  columns.forEach((col, j) => {
    if (col.length !== rows) throw new RangeError(`column ${j} has ${col.length} rows, expected ${rows}`);
    for (let t = 0; t < rows; t++) values[t * cols + j] = col[t]!;
  });
  return { values, rows, cols };
}

/** Binomial coefficient C(n, k), exact for results below 2^53. */
export function binomial(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  const kk = Math.min(k, n - k);
  let c = 1;
  for (let i = 1; i <= kk; i++) c = (c * (n - kk + i)) / i;
  return Math.round(c);
}

/**
 * Calls `visit` with each k-subset of {0..n-1} in lexicographic order (the same array, mutated:
 * copy it to keep it). Returns the number of subsets.
 */
export function forEachCombination(n: number, k: number, visit: (subset: Int32Array) => void): number {
  if (k < 0 || k > n) return 0;
  const c = new Int32Array(k);
  for (let i = 0; i < k; i++) c[i] = i;
  let count = 0;
  for (;;) {
    visit(c);
    count++;
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return count;
    c[i]!++;
    for (let j = i + 1; j < k; j++) c[j] = c[j - 1]! + 1;
  }
}

export interface PboOptions {
  /** S, number of blocks; even, >= 2; 16 in the paper's examples */
  blocks: number;
}

export interface PboResult {
  /** share of combinations whose lambda <= 0 */
  pbo: number;
  /** C(S, S/2) */
  combinations: number;
  blocks: number;
  /** rows per block */
  block_size: number;
  /** T actually used (a multiple of S) */
  rows_used: number;
  /** oldest rows left out so that S divides T */
  rows_dropped: number;
  strategies: number;
  /** lambda of each combination, in enumeration order */
  logits: Float64Array;
  /** omega = rank / (N + 1) of each combination */
  relative_ranks: Float64Array;
  /** in-sample column index n* of each combination */
  selected: Int32Array;
  /** in-sample Sharpe (per period) of n* in each combination */
  is_sharpe: Float64Array;
  /** out-of-sample Sharpe (per period) of n* in each combination */
  oos_sharpe: Float64Array;
  /** OLS of oos_sharpe on is_sharpe over the combinations where both are finite; null fields if undefined */
  degradation: { slope: number | null; intercept: number | null; r_squared: number | null };
  /** share of combinations where n* has a negative out-of-sample Sharpe */
  prob_oos_loss: number;
}

/** Sharpe (ddof 1) from the count, sum and sum of squares of values centred by `shift` (the mean of x - shift plus shift). */
function sharpeFromSums(n: number, sum: number, sumsq: number, shift: number): number {
  const m = sum / n;
  const v = (sumsq - sum * m) / (n - 1);
  const mu = m + shift;
  if (!(v > 0)) return mu === 0 ? 0 : mu > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  return mu / Math.sqrt(v);
}

/** Probability of backtest overfitting by CSCV; see the module comment for the definition. */
export function probabilityOfBacktestOverfitting(m: ReturnMatrix, options: PboOptions): PboResult {
  const S = options.blocks;
  const N = m.cols;
  if (!Number.isInteger(S) || S < 2 || S % 2 !== 0) throw new RangeError(`blocks must be an even integer >= 2, got ${S}`);
  if (N < 2) throw new RangeError(`PBO needs at least 2 strategies (columns), got ${N}`);
  if (m.values.length !== m.rows * m.cols) throw new RangeError(`matrix holds ${m.values.length} values, expected ${m.rows} x ${m.cols}`);
  const blockSize = Math.floor(m.rows / S);
  if (blockSize < 1 || blockSize * (S / 2) < 2) {
    throw new RangeError(`${m.rows} rows are too few for ${S} blocks (each half needs at least 2 rows)`);
  }
  const dropped = m.rows - blockSize * S;
  const v = m.values;

  // Per-strategy shift (its mean over the rows used) keeps the sums of squares well conditioned.
  const shift = new Float64Array(N);
  for (let t = dropped; t < m.rows; t++) for (let j = 0; j < N; j++) shift[j]! += v[t * N + j]!;
  for (let j = 0; j < N; j++) shift[j]! /= blockSize * S;

  const bSum = new Float64Array(S * N);
  const bSq = new Float64Array(S * N);
  const tSum = new Float64Array(N);
  const tSq = new Float64Array(N);
  for (let b = 0; b < S; b++) {
    const row0 = dropped + b * blockSize;
    for (let t = row0; t < row0 + blockSize; t++) {
      for (let j = 0; j < N; j++) {
        const x = v[t * N + j]! - shift[j]!;
        bSum[b * N + j]! += x;
        bSq[b * N + j]! += x * x;
      }
    }
    for (let j = 0; j < N; j++) {
      tSum[j]! += bSum[b * N + j]!;
      tSq[j]! += bSq[b * N + j]!;
    }
  }

  const half = S / 2;
  const nHalf = half * blockSize;
  const C = binomial(S, half);
  const logits = new Float64Array(C);
  const omegas = new Float64Array(C);
  const selected = new Int32Array(C);
  const isSr = new Float64Array(C);
  const oosSr = new Float64Array(C);
  const inSum = new Float64Array(N);
  const inSq = new Float64Array(N);
  const oos = new Float64Array(N);
  let c = 0;
  let overfit = 0;
  let losses = 0;
  forEachCombination(S, half, (subset) => {
    inSum.fill(0);
    inSq.fill(0);
    for (let i = 0; i < half; i++) {
      const base = subset[i]! * N;
      for (let j = 0; j < N; j++) {
        inSum[j]! += bSum[base + j]!;
        inSq[j]! += bSq[base + j]!;
      }
    }
    let best = 0;
    let bestSr = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < N; j++) {
      const sr = sharpeFromSums(nHalf, inSum[j]!, inSq[j]!, shift[j]!);
      if (sr > bestSr || (j === 0 && sr === bestSr)) {
        bestSr = sr;
        best = j;
      }
      oos[j] = sharpeFromSums(nHalf, tSum[j]! - inSum[j]!, tSq[j]! - inSq[j]!, shift[j]!);
    }
    const target = oos[best]!;
    let below = 0;
    let equal = 0;
    for (let j = 0; j < N; j++) {
      if (oos[j]! < target) below++;
      else if (oos[j]! === target && j !== best) equal++;
    }
    const rank = 1 + below + equal / 2;
    const omega = rank / (N + 1);
    const lambda = Math.log(omega / (1 - omega));
    logits[c] = lambda;
    omegas[c] = omega;
    selected[c] = best;
    isSr[c] = bestSr;
    oosSr[c] = target;
    if (lambda <= 0) overfit++;
    if (target < 0) losses++;
    c++;
  });

  // Degradation regression over the combinations with finite Sharpe on both sides.
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < C; i++) {
    if (Number.isFinite(isSr[i]!) && Number.isFinite(oosSr[i]!)) {
      xs.push(isSr[i]!);
      ys.push(oosSr[i]!);
    }
  }
  const fit = linearFit(Float64Array.from(xs), Float64Array.from(ys));
  const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);
  return {
    pbo: overfit / C,
    combinations: C,
    blocks: S,
    block_size: blockSize,
    rows_used: blockSize * S,
    rows_dropped: dropped,
    strategies: N,
    logits,
    relative_ranks: omegas,
    selected,
    is_sharpe: isSr,
    oos_sharpe: oosSr,
    degradation: { slope: orNull(fit.slope), intercept: orNull(fit.intercept), r_squared: orNull(fit.r_squared) },
    prob_oos_loss: losses / C,
  };
}
