import { percentileSorted } from '../../stats/descriptive.js';
import { pearson } from '../../stats/descriptive.js';
import { contributionsFromRanks, countingRanks } from '../../stats/overlap.js';
import { denseKeys, longRunVarianceFast, sortColumn, uniqueIndex } from '../../stats/research-kernels.js';
import type { KernelHeap } from '../../stats/wasm/heap.js';
import { twoSidedP } from '../../stats/multiple-testing.js';

/** One asset's pairs (finite feature and label) in time order. */
export interface PairSeries {
  symbol: string;
  time: Float64Array;
  x: Float64Array;
  y: Float64Array;
  /** index of each pair in its asset's rows (for regime masks) */
  row?: Int32Array;
  /**
   * Integer rank keys (research-kernels.denseKeys: equal values share one, order kept) of x and y
   * within this asset's full set of pairs, and
   * across the stacked panel (pkx, pky), so that a subset is ranked by counting sort; computed
   * here when absent. maxKey bounds them.
   */
  keys?: { kx: Int32Array; ky: Int32Array; pkx: Int32Array; pky: Int32Array; maxKey: number; maxPanelKey: number };
}

/** Adds rank keys (within each asset and across the panel) to series that have none. */
export function withKeys(series: readonly PairSeries[]): PairSeries[] {
  if (series.every((s) => s.keys)) return [...series];
  const total = series.reduce((a, s) => a + s.x.length, 0);
  const allX = new Float64Array(total);
  const allY = new Float64Array(total);
  let o = 0;
  for (const s of series) {
    allX.set(s.x, o);
    allY.set(s.y, o);
    o += s.x.length;
  }
  const pkx = denseKeys(allX);
  const pky = denseKeys(allY);
  o = 0;
  return series.map((s) => {
    const n = s.x.length;
    const r: PairSeries = {
      ...s,
      keys: { kx: denseKeys(s.x), ky: denseKeys(s.y), pkx: pkx.subarray(o, o + n), pky: pky.subarray(o, o + n), maxKey: n, maxPanelKey: total },
    };
    o += n;
    return r;
  });
}

/** The rows `idx` of a keyed series (keys kept: they still order the subset correctly). */
export function subsetSeries(s: PairSeries, idx: Int32Array): PairSeries {
  const pick = (a: Float64Array): Float64Array => {
    const out = new Float64Array(idx.length);
    for (let j = 0; j < idx.length; j++) out[j] = a[idx[j]!]!;
    return out;
  };
  const pickI = (a: Int32Array): Int32Array => {
    const out = new Int32Array(idx.length);
    for (let j = 0; j < idx.length; j++) out[j] = a[idx[j]!]!;
    return out;
  };
  const k = s.keys;
  return {
    symbol: s.symbol,
    time: pick(s.time),
    x: pick(s.x),
    y: pick(s.y),
    ...(s.row ? { row: pickI(s.row) } : {}),
    ...(k ? { keys: { kx: pickI(k.kx), ky: pickI(k.ky), pkx: pickI(k.pkx), pky: pickI(k.pky), maxKey: k.maxKey, maxPanelKey: k.maxPanelKey } } : {}),
  };
}

/** Spearman IC of rows [start, end) of a keyed series. NaN when undefined. */
export function sliceSpearman(s: PairSeries, start: number, end: number): number {
  const k = s.keys;
  if (!k || end - start < 3) return Number.NaN;
  return pearson(countingRanks(k.kx.subarray(start, end), k.maxKey), countingRanks(k.ky.subarray(start, end), k.maxKey));
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
export function pooledIcTest(input: readonly PairSeries[], lags: number): PooledIc {
  const series = withKeys(input);
  const icBy: Record<string, number | null> = {};
  const ics: number[] = [];
  let n = 0;
  const panelKx: Int32Array[] = [];
  const panelKy: Int32Array[] = [];
  let maxPanelKey = 0;
  const us: Array<{ u: Float64Array; time: Float64Array }> = [];
  for (const s of series) {
    const k = s.keys!;
    n += s.x.length;
    panelKx.push(k.pkx);
    panelKy.push(k.pky);
    maxPanelKey = k.maxPanelKey;
    const u = s.x.length >= 3 ? contributionsFromRanks(countingRanks(k.kx, k.maxKey), countingRanks(k.ky, k.maxKey)) : null;
    if (!u) {
      icBy[s.symbol] = null;
      continue;
    }
    let sum = 0;
    for (let i = 0; i < u.length; i++) sum += u[i]!;
    us.push({ u, time: s.time });
    icBy[s.symbol] = sum / u.length;
    ics.push(sum / u.length);
  }
  // Mean contribution per decision time across the assets present (summed in asset order).
  const allT = new Float64Array(us.reduce((a, x) => a + x.u.length, 0));
  let off = 0;
  for (const x of us) {
    allT.set(x.time, off);
    off += x.u.length;
  }
  const { unique, index } = uniqueIndex(allT);
  const tSum = new Float64Array(unique.length);
  const tCnt = new Int32Array(unique.length);
  off = 0;
  for (const x of us) {
    for (let i = 0; i < x.u.length; i++) {
      const j = index[off + i]!;
      tSum[j] = tSum[j]! + x.u[i]!;
      tCnt[j]!++;
    }
    off += x.u.length;
  }
  const concat = (parts: Int32Array[]): Int32Array => {
    const out = new Int32Array(n);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  };
  const panelR = n >= 3 ? pearson(countingRanks(concat(panelKx), maxPanelKey), countingRanks(concat(panelKy), maxPanelKey)) : Number.NaN;
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
    time_points: unique.length,
    effective_n: null,
  };
  if (base.ic === null || unique.length < 3) return base;
  const pooled = Float64Array.from(tSum, (v, j) => v / tCnt[j]!);
  const T = pooled.length;
  const { gamma0, lrv } = longRunVarianceFast(pooled, lags);
  if (lrv > 0) {
    base.se_nw = Math.sqrt(lrv / T);
    base.t_nw = base.ic / base.se_nw;
    base.p_value = twoSidedP(base.t_nw);
    base.effective_n = Math.min(T, (T * gamma0) / lrv);
  }
  if (gamma0 > 0) base.t_naive = base.ic / Math.sqrt(gamma0 / T);
  return base;
}

/**
 * Finite values of an array, sorted ascending; memoised per array object (training columns are
 * read-only and asked for their quantiles once per cell otherwise). With a heap (the research grid's)
 * the sort is the heap's radix sort (stats/research-kernels sortColumn), the values gathered in its
 * order: the same array as Float64Array.prototype.sort gives, -0 before 0 included.
 */
const sortedCache = new WeakMap<object, Float64Array>();
export function sortedFinite(x: ArrayLike<number> | undefined, heap: KernelHeap | null = null): Float64Array {
  if (!x) return new Float64Array(0);
  const hit = sortedCache.get(x as object);
  if (hit) return hit;
  const out = heap && x instanceof Float64Array ? radixSorted(x, heap) : plainSorted(x);
  sortedCache.set(x as object, out);
  return out;
}

function plainSorted(x: ArrayLike<number>): Float64Array {
  let m = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!)) m++;
  const fin = new Float64Array(m);
  m = 0;
  for (let i = 0; i < x.length; i++) if (Number.isFinite(x[i]!)) fin[m++] = x[i]!;
  return fin.sort();
}

/** plainSorted by the radix sort: its order holds -0 and 0 as equal (row order), so the zeros are rewritten -0 first. */
function radixSorted(x: Float64Array, heap: KernelHeap): Float64Array {
  const { order } = sortColumn(x, undefined, heap);
  const out = new Float64Array(order.length);
  let firstZero = -1;
  let zeros = 0;
  let negZeros = 0;
  for (let j = 0; j < order.length; j++) {
    const v = x[order[j]!]!;
    out[j] = v;
    if (v === 0) {
      if (firstZero < 0) firstZero = j;
      zeros++;
      if (Object.is(v, -0)) negZeros++;
    }
  }
  if (negZeros > 0) for (let j = 0; j < zeros; j++) out[firstZero + j] = j < negZeros ? -0 : 0;
  return out;
}

/** Quantile of the finite values (linear interpolation); NaN when there are none. heap: sortedFinite's. */
export function quantileOf(x: ArrayLike<number> | undefined, q: number, heap: KernelHeap | null = null): number {
  const s = sortedFinite(x, heap);
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
