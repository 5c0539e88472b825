import { REPORT_DEFAULTS } from '../../domain/defaults.js';

/**
 * Display-only downsampling of long series (never used for a number on the page). Min-max per
 * bucket: the x range is cut into `buckets` equal-count buckets and each keeps, for every series,
 * the index of its minimum and of its maximum (plus the first and last point of the series), so
 * spikes and the deepest drawdown survive. Returns the kept indices in order.
 */
export const DISPLAY_BUCKETS: number = REPORT_DEFAULTS.display_buckets;

export function minMaxIndices(n: number, series: ReadonlyArray<ArrayLike<number | null>>, buckets = DISPLAY_BUCKETS): number[] {
  if (n <= buckets * 2) return Array.from({ length: n }, (_, i) => i);
  const keep = new Set<number>([0, n - 1]);
  const size = n / buckets;
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor(b * size);
    const hi = Math.min(n, Math.floor((b + 1) * size));
    for (const s of series) {
      let iMin = -1;
      let iMax = -1;
      for (let i = lo; i < hi; i++) {
        const v = s[i];
        if (v === null || v === undefined || !Number.isFinite(v)) continue;
        if (iMin < 0 || v < (s[iMin] as number)) iMin = i;
        if (iMax < 0 || v > (s[iMax] as number)) iMax = i;
      }
      if (iMin >= 0) keep.add(iMin);
      if (iMax >= 0) keep.add(iMax);
    }
    if (series.length === 0) keep.add(lo);
  }
  return [...keep].sort((a, b) => a - b);
}

/** Picks `idx` from an array-like. */
export function pick<T>(a: ArrayLike<T>, idx: number[]): T[] {
  return idx.map((i) => a[i] as T);
}

/** Rounds for display (keeps the JSON and the page small): `digits` significant digits. */
export function roundSig(v: number | null, digits = 6): number | null {
  if (v === null || !Number.isFinite(v)) return null;
  if (v === 0) return 0;
  return Number(v.toPrecision(digits));
}
