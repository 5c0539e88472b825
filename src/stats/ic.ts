/**
 * Information coefficient (IC): the correlation between a factor value known at time t and the
 * forward return that follows it.
 *
 * - Cross-sectional IC (per timestamp, across assets): alphalens
 *   (github.com/quantopian/alphalens, `performance.factor_information_coefficient`) computes, for
 *   each date, scipy.stats.spearmanr(factor, forward_return) over the assets of that date; the
 *   Pearson variant is the plain correlation.
 * - Time-series IC (one asset): the same correlations over time.
 * - Summary (alphalens `plotting.plot_information_table`): IC mean, IC std (ddof 1), risk-adjusted
 *   IC = mean / std (the IC information ratio, IR), t-statistic = mean / (std / sqrt(n)).
 * - Newey-West t-statistic: forward returns over h periods sampled every period overlap, so
 *   consecutive ICs are autocorrelated and the plain t-statistic is too large. The Newey-West (1987)
 *   long-run variance with Bartlett weights w_k = 1 - k / (L + 1), k = 1..L, L = h - 1 lags:
 *     var(mean) = (gamma_0 + 2 sum_k w_k gamma_k) / n,  gamma_k = (1/n) sum_t (x_t - m)(x_{t-k} - m),
 *   t = mean / sqrt(var(mean)).
 *
 * Inputs must be finite; pairs where either value is not finite are skipped. A timestamp with fewer
 * than `minAssets` valid pairs, or a constant factor or return, has no IC: it is left out of the series
 * and counted in `skipped`.
 */
import { mean, std, pearson, spearman } from './descriptive.js';

export type IcMethod = 'spearman' | 'pearson';

/** Correlation by method; NaN when undefined (fewer than 2 pairs or a constant side). */
export function correlation(x: Float64Array, y: Float64Array, method: IcMethod): number {
  return method === 'spearman' ? spearman(x, y) : pearson(x, y);
}

/** Keeps the pairs where both values are finite. */
function finitePairs(x: ArrayLike<number>, y: ArrayLike<number>): [Float64Array, Float64Array] {
  if (x.length !== y.length) throw new RangeError(`factor (${x.length}) and forward returns (${y.length}) differ in length`);
  const xs: number[] = [];
  const ys: number[] = [];
  for (let i = 0; i < x.length; i++) {
    const a = x[i]!;
    const b = y[i]!;
    if (Number.isFinite(a) && Number.isFinite(b)) {
      xs.push(a);
      ys.push(b);
    }
  }
  return [Float64Array.from(xs), Float64Array.from(ys)];
}

/**
 * Time-series IC of a single asset: correlation of factor_t with the forward return after t, over
 * time. null when fewer than 3 finite pairs or a side is constant.
 */
export function timeSeriesIC(factor: ArrayLike<number>, forward: ArrayLike<number>, method: IcMethod = 'spearman'): number | null {
  const [x, y] = finitePairs(factor, forward);
  if (x.length < 3) return null;
  const r = correlation(x, y, method);
  return Number.isFinite(r) ? r : null;
}

/** Long-format panel: one row per (timestamp, asset). */
export interface IcPanel {
  /** timestamp of each row (any numeric key, e.g. epoch ms) */
  time: ArrayLike<number>;
  /** factor value known at that timestamp */
  factor: ArrayLike<number>;
  /** forward return after that timestamp */
  forward: ArrayLike<number>;
}

export interface IcSeries {
  /** timestamps with an IC, ascending */
  time: Float64Array;
  /** IC at each of those timestamps */
  ic: Float64Array;
  /** number of assets behind each IC */
  assets: Int32Array;
  /** timestamps left out (too few assets or a constant side) */
  skipped: number;
}

/**
 * Cross-sectional IC per timestamp (alphalens `factor_information_coefficient`): for each
 * timestamp, the correlation across assets of factor and forward return. `minAssets` (default 3) is
 * the fewest valid pairs for an IC.
 */
export function crossSectionalIC(panel: IcPanel, method: IcMethod = 'spearman', minAssets = 3): IcSeries {
  const n = panel.time.length;
  if (panel.factor.length !== n || panel.forward.length !== n) {
    throw new RangeError(`time (${n}), factor (${panel.factor.length}) and forward (${panel.forward.length}) differ in length`);
  }
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const f = panel.factor[i]!;
    const r = panel.forward[i]!;
    const t = panel.time[i]!;
    let g = groups.get(t);
    if (!g) {
      g = [];
      groups.set(t, g);
    }
    if (Number.isFinite(f) && Number.isFinite(r)) g.push(i);
  }
  const times = [...groups.keys()].sort((a, b) => a - b);
  const outT: number[] = [];
  const outIc: number[] = [];
  const outN: number[] = [];
  let skipped = 0;
  for (const t of times) {
    const idx = groups.get(t)!;
    if (idx.length < minAssets) {
      skipped++;
      continue;
    }
    const x = Float64Array.from(idx, (i) => panel.factor[i]!);
    const y = Float64Array.from(idx, (i) => panel.forward[i]!);
    const r = correlation(x, y, method);
    if (!Number.isFinite(r)) {
      skipped++;
      continue;
    }
    outT.push(t);
    outIc.push(r);
    outN.push(idx.length);
  }
  return { time: Float64Array.from(outT), ic: Float64Array.from(outIc), assets: Int32Array.from(outN), skipped };
}

/**
 * Newey-West standard error of the mean of `x` with `lags` lags and Bartlett weights (see the module
 * comment). With 0 lags it is sqrt(gamma_0 / n), the population-variance standard error. NaN if empty.
 */
export function neweyWestStdError(x: Float64Array, lags: number): number {
  const n = x.length;
  if (n === 0) return Number.NaN;
  return Math.sqrt(longRunVariance(x, lags).lrv / n);
}

/** Newey-West long-run variance of a series (Bartlett weights); gamma_k with divisor n. */
export function longRunVariance(x: Float64Array, lags: number): { gamma0: number; lrv: number } {
  const n = x.length;
  if (n === 0) return { gamma0: Number.NaN, lrv: Number.NaN };
  const m = mean(x);
  const L = Math.max(0, Math.min(Math.floor(lags), n - 1));
  const gamma = (k: number): number => {
    let s = 0;
    for (let t = k; t < n; t++) s += (x[t]! - m) * (x[t - k]! - m);
    return s / n;
  };
  const g0 = gamma(0);
  let lrv = g0;
  for (let k = 1; k <= L; k++) lrv += 2 * (1 - k / (L + 1)) * gamma(k);
  return { gamma0: g0, lrv: Math.max(lrv, 0) };
}

export interface IcSummary {
  /** number of ICs */
  n: number;
  ic_mean: number | null;
  /** ddof 1 */
  ic_std: number | null;
  /** information ratio: mean / std */
  ic_ir: number | null;
  /** mean / (std / sqrt(n)) */
  t_stat: number | null;
  /** mean / Newey-West standard error with `newey_west_lags` lags */
  newey_west_t_stat: number | null;
  newey_west_lags: number;
  /** share of ICs > 0 */
  positive_share: number | null;
}

/**
 * Summary of an IC series. `horizon` is the forward-return horizon in sampling periods (default 1);
 * the Newey-West statistic uses horizon - 1 lags, the overlap of consecutive forward returns.
 * Fields are null when undefined (fewer than 2 ICs, zero variance).
 */
export function icSummary(ic: Float64Array, horizon = 1): IcSummary {
  const n = ic.length;
  const lags = Math.max(0, Math.floor(horizon) - 1);
  const m = n > 0 ? mean(ic) : Number.NaN;
  const s = n > 1 ? std(ic, 1) : Number.NaN;
  const nw = neweyWestStdError(ic, lags);
  const fin = (v: number): number | null => (Number.isFinite(v) ? v : null);
  let pos = 0;
  for (let i = 0; i < n; i++) if (ic[i]! > 0) pos++;
  return {
    n,
    ic_mean: fin(m),
    ic_std: fin(s),
    ic_ir: s > 0 ? fin(m / s) : null,
    t_stat: s > 0 ? fin(m / (s / Math.sqrt(n))) : null,
    newey_west_t_stat: n > 1 && nw > 0 ? fin(m / nw) : null,
    newey_west_lags: lags,
    positive_share: n > 0 ? pos / n : null,
  };
}

/**
 * Rolling (trailing) time-series IC: entry i is the correlation over the window of `window` pairs
 * ending at index i + window - 1; null where it is undefined (a constant side in the window).
 */
export function rollingIC(
  factor: Float64Array,
  forward: Float64Array,
  window: number,
  method: IcMethod = 'spearman',
): Array<number | null> {
  if (factor.length !== forward.length) throw new RangeError('factor and forward returns differ in length');
  if (!(window >= 3)) throw new RangeError(`window must be >= 3, got ${window}`);
  const out: Array<number | null> = [];
  for (let end = window; end <= factor.length; end++) {
    const r = correlation(factor.subarray(end - window, end), forward.subarray(end - window, end), method);
    out.push(Number.isFinite(r) ? r : null);
  }
  return out;
}

/** Trailing rolling mean of an IC series: entry i is the mean of ic[i .. i + window - 1]. */
export function rollingMean(x: Float64Array, window: number): Float64Array {
  if (!(window >= 1)) throw new RangeError(`window must be >= 1, got ${window}`);
  const n = Math.max(0, x.length - window + 1);
  const out = new Float64Array(n);
  let s = 0;
  for (let i = 0; i < x.length; i++) {
    s += x[i]!;
    if (i >= window) s -= x[i - window]!;
    if (i >= window - 1) out[i - window + 1] = s / window;
  }
  return out;
}

/**
 * IC summary by group (e.g. a regime label per timestamp): `groups[i]` labels `ic[i]`. Groups are
 * returned in order of first appearance.
 */
export function icByGroup(ic: Float64Array, groups: readonly string[], horizon = 1): Map<string, IcSummary> {
  if (groups.length !== ic.length) throw new RangeError(`groups (${groups.length}) and ICs (${ic.length}) differ in length`);
  const members = new Map<string, number[]>();
  groups.forEach((g, i) => {
    let list = members.get(g);
    if (!list) {
      list = [];
      members.set(g, list);
    }
    list.push(ic[i]!);
  });
  const out = new Map<string, IcSummary>();
  for (const [g, values] of members) out.set(g, icSummary(Float64Array.from(values), horizon));
  return out;
}
