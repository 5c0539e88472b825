/**
 * Descriptive statistics on Float64Array: the primitives the metrics, PSR/DSR, PBO and IC modules
 * share. Inputs are assumed finite (callers drop missing values first). These primitives return NaN
 * when a statistic is undefined (too few values, zero variance); the metric functions built on them
 * turn that into `null` with a documented reason, so no NaN reaches a report.
 */

/** Arithmetic mean. NaN for an empty array. */
export function mean(x: Float64Array): number {
  const n = x.length;
  if (n === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i]!;
  return s / n;
}

/**
 * Variance with `ddof` delta degrees of freedom: sum((x - mean)^2) / (n - ddof). ddof 1 is the
 * sample (unbiased) variance, as numpy.var(ddof=1). NaN when n <= ddof. Two-pass for accuracy.
 */
export function variance(x: Float64Array, ddof = 1): number {
  const n = x.length;
  if (n <= ddof) return Number.NaN;
  const m = mean(x);
  let s = 0;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - m;
    s += d * d;
    c += d;
  }
  // Corrected two-pass algorithm (Chan, Golub, LeVeque 1983): c is ~0 but cancels rounding error.
  return (s - (c * c) / n) / (n - ddof);
}

/** Standard deviation, sqrt of `variance(x, ddof)`. */
export function std(x: Float64Array, ddof = 1): number {
  return Math.sqrt(variance(x, ddof));
}

/** Central moments m2, m3, m4 with divisor n (population moments). */
export function centralMoments(x: Float64Array): { m2: number; m3: number; m4: number } {
  const n = x.length;
  const m = mean(x);
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - m;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  return { m2: m2 / n, m3: m3 / n, m4: m4 / n };
}

/**
 * Skewness g1 = m3 / m2^(3/2), the moment (biased, Fisher-Pearson) estimator, as
 * scipy.stats.skew(bias=True). This is the gamma_3 that PSR/DSR use. NaN when n < 2 or zero variance.
 */
export function skewness(x: Float64Array): number {
  if (x.length < 2) return Number.NaN;
  const { m2, m3 } = centralMoments(x);
  if (!(m2 > 0)) return Number.NaN;
  return m3 / Math.pow(m2, 1.5);
}

/**
 * Kurtosis, RAW (Pearson, not excess): m4 / m2^2, equal to 3 for a normal distribution; as
 * scipy.stats.kurtosis(fisher=False, bias=True). PSR/DSR take this raw gamma_4. NaN when n < 2 or
 * zero variance. Excess kurtosis is this minus 3.
 */
export function kurtosis(x: Float64Array): number {
  if (x.length < 2) return Number.NaN;
  const { m2, m4 } = centralMoments(x);
  if (!(m2 > 0)) return Number.NaN;
  return m4 / (m2 * m2);
}

/** Sorted copy (ascending). */
export function sorted(x: Float64Array): Float64Array {
  return Float64Array.from(x).sort();
}

/**
 * Percentile q in [0, 1] with linear interpolation between order statistics at (n - 1) q, numpy's
 * default (`np.percentile(x, 100 q)`, method "linear"). `xs` must be sorted ascending. NaN if empty.
 */
export function percentileSorted(xs: Float64Array, q: number): number {
  const n = xs.length;
  if (n === 0) return Number.NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const w = pos - lo;
  return xs[lo]! + (xs[hi]! - xs[lo]!) * w;
}

/**
 * Ranks 1..n with ties given their average rank (scipy.stats.rankdata method "average"), the
 * ranking Spearman's correlation uses.
 */
export function rankAverage(x: Float64Array): Float64Array {
  const n = x.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => x[a]! - x[b]!);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1]!]! === x[idx[i]!]!) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k]!] = r;
    i = j + 1;
  }
  return ranks;
}

/** Means and centred sums of products of two equal-length arrays (shared by pearson and linearFit). */
function centeredMoments(x: Float64Array, y: Float64Array): { mx: number; my: number; sxy: number; sxx: number; syy: number } {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const dx = x[i]! - mx;
    const dy = y[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return { mx, my, sxy, sxx, syy };
}

/** Pearson correlation of two equal-length arrays. NaN when n < 2 or either has zero variance. */
export function pearson(x: Float64Array, y: Float64Array): number {
  const n = x.length;
  if (n !== y.length) throw new RangeError(`pearson: lengths differ (${n} vs ${y.length})`);
  if (n < 2) return Number.NaN;
  const { sxy, sxx, syy } = centeredMoments(x, y);
  if (!(sxx > 0) || !(syy > 0)) return Number.NaN;
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/**
 * Spearman rank correlation: Pearson correlation of the average ranks (scipy.stats.spearmanr, which
 * alphalens uses for its IC). NaN when n < 2 or either side is constant.
 */
export function spearman(x: Float64Array, y: Float64Array): number {
  if (x.length !== y.length) throw new RangeError(`spearman: lengths differ (${x.length} vs ${y.length})`);
  return pearson(rankAverage(x), rankAverage(y));
}

/**
 * Ordinary least squares of y on x with an intercept: slope, intercept and R^2. NaN fields when
 * n < 2 or x is constant.
 */
export function linearFit(x: Float64Array, y: Float64Array): { slope: number; intercept: number; r_squared: number } {
  const n = x.length;
  if (n < 2) return { slope: Number.NaN, intercept: Number.NaN, r_squared: Number.NaN };
  const { mx, my, sxy, sxx, syy } = centeredMoments(x, y);
  if (!(sxx > 0)) return { slope: Number.NaN, intercept: Number.NaN, r_squared: Number.NaN };
  const slope = sxy / sxx;
  return { slope, intercept: my - slope * mx, r_squared: syy > 0 ? (sxy * sxy) / (sxx * syy) : Number.NaN };
}

/** NaN and +-Infinity become null, so a report never carries a silent NaN. */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
