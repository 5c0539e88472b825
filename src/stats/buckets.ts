/**
 * Magnitude buckets of a feature: does the forward return grow with the feature's size?
 *
 * - Edges are fitted on one sample (the training segment) and applied to another: `quantileEdges`
 *   gives the k - 1 inner quantile edges (linear interpolation, numpy's default), `bucketOf` puts a
 *   value in bucket 0..k-1 (value <= edge goes below it).
 * - Per bucket: count, mean forward return, hit rate (share of returns > 0).
 * - Monotonicity: Spearman of bucket rank vs bucket mean return, and its exact two-sided
 *   permutation p-value (every ordering of k means is equally likely under no relation): the share
 *   of the k! permutations with |rho| >= |observed|. k <= 8.
 * - Top minus bottom spread: mean(top) - mean(bottom) with a HAC standard error: the spread's
 *   deviation is a weighted sum of time-ordered observations, d_t = (y_t - mean of its bucket) / n_b
 *   (+ for top, - for bottom); its variance is sum_t d_t^2 + 2 sum_{k=1}^{L} (1 - k/(L+1))
 *   sum_t d_t d_{t-k} (Newey-West on the sum), so overlapping labels widen the interval.
 */
import { mean, percentileSorted, sorted, spearman } from './descriptive.js';
import { normQuantile } from './normal.js';

/** Inner edges of k quantile buckets of the finite values of x (k - 1 edges); empty if none. */
export function quantileEdges(x: ArrayLike<number>, k: number): number[] {
  if (!(k >= 2)) throw new RangeError(`buckets must be >= 2, got ${k}`);
  const fin = Float64Array.from(Array.from(x).filter((v) => Number.isFinite(v)));
  if (fin.length === 0) return [];
  const s = sorted(fin);
  const out: number[] = [];
  for (let i = 1; i < k; i++) out.push(percentileSorted(s, i / k));
  return out;
}

/** Bucket 0..edges.length of v: the number of edges strictly below v. -1 when v is not finite. */
export function bucketOf(v: number, edges: readonly number[]): number {
  if (!Number.isFinite(v)) return -1;
  let b = 0;
  while (b < edges.length && v > edges[b]!) b++;
  return b;
}

function permutations(k: number): number[][] {
  if (k === 1) return [[0]];
  const out: number[][] = [];
  for (const p of permutations(k - 1)) {
    for (let i = 0; i <= p.length; i++) out.push([...p.slice(0, i), k - 1, ...p.slice(i)]);
  }
  return out;
}

/** Exact two-sided permutation p-value of Spearman's rho between 0..k-1 and `values` (k <= 8). */
export function spearmanExactP(values: readonly number[]): { rho: number | null; p_value: number | null } {
  const k = values.length;
  if (k < 3) return { rho: null, p_value: null };
  if (k > 8) throw new RangeError(`exact permutation p needs <= 8 buckets, got ${k}`);
  const idx = Float64Array.from(values, (_, i) => i);
  const rho = spearman(idx, Float64Array.from(values));
  if (!Number.isFinite(rho)) return { rho: null, p_value: null };
  let hits = 0;
  const perms = permutations(k);
  for (const p of perms) {
    const r = spearman(idx, Float64Array.from(p, (j) => values[j]!));
    if (Math.abs(r) >= Math.abs(rho) - 1e-12) hits++;
  }
  return { rho, p_value: hits / perms.length };
}

export interface BucketStat {
  bucket: number;
  count: number;
  mean_return: number | null;
  hit_rate: number | null;
}

export interface BucketResult {
  buckets: BucketStat[];
  monotonicity: number | null;
  monotonicity_p: number | null;
  /** mean(top) - mean(bottom) */
  spread: number | null;
  spread_se: number | null;
  spread_ci_low: number | null;
  spread_ci_high: number | null;
}

/**
 * Per-bucket count, mean forward return and hit rate from the buckets' sums, and the monotonicity of
 * the means (Spearman against the bucket rank, exact p); shared by bucketStats and the research grid.
 */
export function bucketSummary(sums: Float64Array, counts: Float64Array, wins: Float64Array): { buckets: BucketStat[]; mono: { rho: number | null; p_value: number | null } } {
  const buckets: BucketStat[] = [];
  for (let i = 0; i < sums.length; i++) {
    buckets.push({
      bucket: i + 1,
      count: counts[i]!,
      mean_return: counts[i]! > 0 ? sums[i]! / counts[i]! : null,
      hit_rate: counts[i]! > 0 ? wins[i]! / counts[i]! : null,
    });
  }
  const means = buckets.map((b) => b.mean_return);
  return { buckets, mono: means.every((m) => m !== null) ? spearmanExactP(means as number[]) : { rho: null, p_value: null } };
}

/**
 * Bucket statistics of time-ordered series. `series` is one entry per asset (each in time order:
 * overlap only links neighbours of the same asset); the HAC variance of the spread is summed over
 * assets (cross-asset correlation is not modelled). `confidence` e.g. 0.95.
 */
export function bucketStats(
  series: ReadonlyArray<{ feature: ArrayLike<number>; forward: ArrayLike<number> }>,
  edges: readonly number[],
  lags: number,
  confidence = 0.95,
): BucketResult {
  const k = edges.length + 1;
  const sums = new Float64Array(k);
  const counts = new Float64Array(k);
  const wins = new Float64Array(k);
  const assigned = series.map(({ feature, forward }) => {
    const b = new Int32Array(feature.length);
    for (let i = 0; i < feature.length; i++) {
      const y = forward[i]!;
      const bi = Number.isFinite(y) ? bucketOf(feature[i]!, edges) : -1;
      b[i] = bi;
      if (bi >= 0) {
        sums[bi] = sums[bi]! + y;
        counts[bi] = counts[bi]! + 1;
        if (y > 0) wins[bi] = wins[bi]! + 1;
      }
    }
    return b;
  });
  const { buckets, mono } = bucketSummary(sums, counts, wins);
  const top = k - 1;
  const nTop = counts[top]!;
  const nBot = counts[0]!;
  let spread: number | null = null;
  let se: number | null = null;
  if (nTop > 1 && nBot > 1) {
    const mTop = sums[top]! / nTop;
    const mBot = sums[0]! / nBot;
    spread = mTop - mBot;
    const L = Math.max(0, Math.floor(lags));
    let v = 0;
    series.forEach(({ forward }, a) => {
      const b = assigned[a]!;
      const d = new Float64Array(forward.length);
      for (let i = 0; i < d.length; i++) {
        if (b[i] === top) d[i] = (forward[i]! - mTop) / nTop;
        else if (b[i] === 0) d[i] = -(forward[i]! - mBot) / nBot;
      }
      for (let i = 0; i < d.length; i++) v += d[i]! * d[i]!;
      for (let lag = 1; lag <= L; lag++) {
        const w = 1 - lag / (L + 1);
        let s = 0;
        for (let i = lag; i < d.length; i++) s += d[i]! * d[i - lag]!;
        v += 2 * w * s;
      }
    });
    se = Math.sqrt(Math.max(v, 0));
  }
  const z = normQuantile(0.5 + confidence / 2);
  return {
    buckets,
    monotonicity: mono.rho,
    monotonicity_p: mono.p_value,
    spread,
    spread_se: se,
    spread_ci_low: spread !== null && se !== null ? spread - z * se : null,
    spread_ci_high: spread !== null && se !== null ? spread + z * se : null,
  };
}

/** Mean of finite values, null if none (shared helper for per-bucket reporting). */
export function finiteMean(x: ArrayLike<number>): number | null {
  const f = Float64Array.from(Array.from(x).filter((v) => Number.isFinite(v)));
  return f.length ? mean(f) : null;
}
