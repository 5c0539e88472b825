import type { Design } from '../../models/model.js';

/**
 * Preprocessing fitted on the training part of a window only, applied unchanged to its test part:
 * per feature, winsorising bounds (the q and 1 - q quantiles of the training values), the median
 * of the winsorised training values (imputation of missing values), then the mean and standard
 * deviation of the imputed training values (scaling). A feature constant or empty in training
 * becomes 0 everywhere (it carries no information the model could have learnt).
 */

export interface Preprocessor {
  features: string[];
  lo: number[];
  hi: number[];
  median: number[];
  mean: number[];
  sd: number[];
  /** training rows the statistics came from */
  rows: number;
}

/** Linear-interpolated quantile of sorted finite values (type 7, as numpy's default). */
export function quantileSorted(s: Float64Array, q: number): number {
  if (s.length === 0) return NaN;
  const h = (s.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

/** Fits the statistics on the rows `idx` of each column (NaN = missing). */
export function fitPreprocessor(features: readonly string[], cols: readonly Float64Array[], idx: Int32Array, winsor: number): Preprocessor {
  const p: Preprocessor = { features: [...features], lo: [], hi: [], median: [], mean: [], sd: [], rows: idx.length };
  for (const c of cols) {
    const vals: number[] = [];
    for (const i of idx) {
      const v = c[i]!;
      if (Number.isFinite(v)) vals.push(v);
    }
    const s = Float64Array.from(vals).sort();
    const lo = winsor > 0 ? quantileSorted(s, winsor) : (s[0] ?? NaN);
    const hi = winsor > 0 ? quantileSorted(s, 1 - winsor) : (s[s.length - 1] ?? NaN);
    // winsorising is monotone, so the median of the clipped values is the clipped median
    const med = Math.min(hi, Math.max(lo, quantileSorted(s, 0.5)));
    let sum = 0;
    for (const i of idx) sum += clipImpute(c[i]!, lo, hi, med);
    const n = idx.length;
    const mean = n ? sum / n : 0;
    let ss = 0;
    for (const i of idx) ss += (clipImpute(c[i]!, lo, hi, med) - mean) ** 2;
    const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
    p.lo.push(lo);
    p.hi.push(hi);
    p.median.push(med);
    p.mean.push(Number.isFinite(mean) ? mean : 0);
    p.sd.push(Number.isFinite(sd) ? sd : 0);
  }
  return p;
}

function clipImpute(v: number, lo: number, hi: number, med: number): number {
  if (!Number.isFinite(v)) return Number.isFinite(med) ? med : 0;
  return v < lo ? lo : v > hi ? hi : v;
}

/** The design of rows `idx`: winsorised, imputed, standardised with the training statistics. */
export function applyPreprocessor(p: Preprocessor, cols: readonly Float64Array[], idx: Int32Array): Design {
  const k = cols.length;
  const data = new Float64Array(idx.length * k);
  for (let j = 0; j < k; j++) {
    const c = cols[j]!;
    const lo = p.lo[j]!;
    const hi = p.hi[j]!;
    const med = p.median[j]!;
    const mean = p.mean[j]!;
    const sd = p.sd[j]!;
    for (let r = 0; r < idx.length; r++) data[r * k + j] = sd > 0 ? (clipImpute(c[idx[r]!]!, lo, hi, med) - mean) / sd : 0;
  }
  return { rows: idx.length, cols: k, data };
}
