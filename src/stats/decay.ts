/**
 * Decay and stability of an IC.
 *
 * - `icTrend`: least-squares slope of a per-period IC series against the period index (ICs per
 *   period, e.g. per calendar month: the seed's `ic_trend`; negative = decaying).
 * - `signStability`: share of adjacent pairs of periods (or folds) whose ICs have the same sign
 *   (zeros and nulls break a pair: they are skipped, not counted as agreement).
 * - `icStability`: IC mean, std (ddof 1), IR = mean / std over the periods.
 * - `horizonProfile`: IC against horizon, with the horizon of the largest |IC| (where the edge
 *   peaks) and the half-life horizon (first horizon after the peak where |IC| falls below half).
 */
import { linearFit, mean, std } from './descriptive.js';

export function icTrend(ic: ReadonlyArray<number | null>): number | null {
  const xs: number[] = [];
  const ys: number[] = [];
  ic.forEach((v, i) => {
    if (v !== null && Number.isFinite(v)) {
      xs.push(i);
      ys.push(v);
    }
  });
  if (xs.length < 3) return null;
  const s = linearFit(Float64Array.from(xs), Float64Array.from(ys)).slope;
  return Number.isFinite(s) ? s : null;
}

export function signStability(ic: ReadonlyArray<number | null>): { share: number | null; pairs: number } {
  let pairs = 0;
  let same = 0;
  for (let i = 1; i < ic.length; i++) {
    const a = ic[i - 1];
    const b = ic[i];
    if (a === null || a === undefined || b === null || b === undefined || a === 0 || b === 0) continue;
    pairs++;
    if (Math.sign(a) === Math.sign(b)) same++;
  }
  return { share: pairs ? same / pairs : null, pairs };
}

export function icStability(ic: ReadonlyArray<number | null>): { periods: number; mean: number | null; std: number | null; ir: number | null } {
  const f = Float64Array.from(ic.filter((v): v is number => v !== null && Number.isFinite(v)));
  if (f.length === 0) return { periods: 0, mean: null, std: null, ir: null };
  const m = mean(f);
  const s = f.length > 1 ? std(f, 1) : Number.NaN;
  return { periods: f.length, mean: m, std: Number.isFinite(s) ? s : null, ir: s > 0 ? m / s : null };
}

export function horizonProfile(points: ReadonlyArray<{ horizon_ms: number; ic: number | null }>): {
  peak_horizon_ms: number | null;
  half_life_horizon_ms: number | null;
} {
  const pts = [...points].filter((p) => p.ic !== null).sort((a, b) => a.horizon_ms - b.horizon_ms);
  if (pts.length === 0) return { peak_horizon_ms: null, half_life_horizon_ms: null };
  let peak = 0;
  pts.forEach((p, i) => {
    if (Math.abs(p.ic!) > Math.abs(pts[peak]!.ic!)) peak = i;
  });
  const half = Math.abs(pts[peak]!.ic!) / 2;
  const after = pts.slice(peak + 1).find((p) => Math.abs(p.ic!) < half);
  return { peak_horizon_ms: pts[peak]!.horizon_ms, half_life_horizon_ms: after ? after.horizon_ms : null };
}
