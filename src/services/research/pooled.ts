import { percentileSorted, sorted, spearman } from '../../stats/descriptive.js';
import { longRunVariance, spearmanContributions } from '../../stats/overlap.js';
import { twoSidedP } from '../../stats/multiple-testing.js';

/** One asset's pairs (finite feature and label) in time order. */
export interface PairSeries {
  symbol: string;
  time: Float64Array;
  x: Float64Array;
  y: Float64Array;
}

export interface PooledIc {
  n: number;
  assets: number;
  /** mean over assets of the time-series Spearman IC */
  ic: number | null;
  ic_by_asset: Record<string, number | null>;
  /** Spearman of the stacked panel */
  ic_panel: number | null;
  t_naive: number | null;
  t_nw: number | null;
  /** Newey-West standard error of ic */
  se_nw: number | null;
  p_value: number | null;
  /** time points with a contribution */
  time_points: number;
  effective_n: number | null;
}

/**
 * Pooled time-series IC over assets with an overlap-aware t. Each asset's Spearman IC is the mean
 * of its contributions u_t = zr(x)_t zr(y)_t; at each decision time the contributions of the
 * assets present are averaged, and the Newey-West variance of that one series (in time order,
 * `lags` lags) accounts for both the label overlap and the correlation between assets at the same
 * time. t = ic / sqrt(lrv / T); effective N = T gamma_0 / lrv (capped at T).
 */
export function pooledIcTest(series: readonly PairSeries[], lags: number): PooledIc {
  const byTime = new Map<number, [number, number]>();
  const icBy: Record<string, number | null> = {};
  const ics: number[] = [];
  let n = 0;
  const allX: number[] = [];
  const allY: number[] = [];
  for (const s of series) {
    n += s.x.length;
    for (let i = 0; i < s.x.length; i++) {
      allX.push(s.x[i]!);
      allY.push(s.y[i]!);
    }
    const u = s.x.length >= 3 ? spearmanContributions(s.x, s.y) : null;
    if (!u) {
      icBy[s.symbol] = null;
      continue;
    }
    let sum = 0;
    for (let i = 0; i < u.length; i++) {
      sum += u[i]!;
      const t = s.time[i]!;
      const e = byTime.get(t);
      if (e) {
        e[0] += u[i]!;
        e[1]++;
      } else byTime.set(t, [u[i]!, 1]);
    }
    icBy[s.symbol] = sum / u.length;
    ics.push(sum / u.length);
  }
  const panelR = allX.length >= 3 ? spearman(Float64Array.from(allX), Float64Array.from(allY)) : Number.NaN;
  const base: PooledIc = {
    n,
    assets: ics.length,
    ic: ics.length ? ics.reduce((a, b) => a + b, 0) / ics.length : null,
    ic_by_asset: icBy,
    ic_panel: Number.isFinite(panelR) ? panelR : null,
    t_naive: null,
    t_nw: null,
    se_nw: null,
    p_value: null,
    time_points: byTime.size,
    effective_n: null,
  };
  if (base.ic === null || byTime.size < 3) return base;
  const keys = [...byTime.keys()].sort((a, b) => a - b);
  const pooled = Float64Array.from(keys, (k) => {
    const [s, c] = byTime.get(k) as [number, number];
    return s / c;
  });
  const T = pooled.length;
  const { gamma0, lrv } = longRunVariance(pooled, lags);
  if (lrv > 0) {
    base.se_nw = Math.sqrt(lrv / T);
    base.t_nw = base.ic / base.se_nw;
    base.p_value = twoSidedP(base.t_nw);
    base.effective_n = Math.min(T, (T * gamma0) / lrv);
  }
  if (gamma0 > 0) base.t_naive = base.ic / Math.sqrt(gamma0 / T);
  return base;
}

/** Finite values of an array, sorted ascending. */
export function sortedFinite(x: ArrayLike<number> | undefined): Float64Array {
  if (!x) return new Float64Array(0);
  return sorted(Float64Array.from(Array.from(x).filter((v) => Number.isFinite(v))));
}

/** Quantile of the finite values (linear interpolation); NaN when there are none. */
export function quantileOf(x: ArrayLike<number> | undefined, q: number): number {
  const s = sortedFinite(x);
  return s.length ? percentileSorted(s, q) : Number.NaN;
}

/** Share of a sorted array at or below v (the empirical CDF), by binary search. */
export function ecdf(sortedValues: Float64Array, v: number): number {
  let lo = 0;
  let hi = sortedValues.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sortedValues[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return sortedValues.length ? lo / sortedValues.length : Number.NaN;
}
