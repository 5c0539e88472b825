/**
 * Multiple-testing control over every cell a research run tests.
 *
 * - Holm (1979) step-down, family-wise error rate: sort p ascending, p_(i) adjusted =
 *   max_{j <= i} min(1, (m - j + 1) p_(j)). Same as R's p.adjust(method = "holm").
 * - Benjamini-Hochberg (1995) step-up, false discovery rate: p_(i) adjusted =
 *   min_{j >= i} min(1, m p_(j) / j). Same as R's p.adjust(method = "BH").
 *
 * `null` entries (cells with no p-value, e.g. "insufficient" regime cells) are not tests: they are
 * left out of m and stay null in the output.
 */
import { normSf } from './normal.js';

/** Two-sided p-value of a statistic that is standard normal under the null; null for null/NaN. */
export function twoSidedP(z: number | null): number | null {
  if (z === null || !Number.isFinite(z)) return null;
  return Math.min(1, 2 * normSf(Math.abs(z)));
}

function tested(p: ReadonlyArray<number | null>): number[] {
  const idx: number[] = [];
  p.forEach((v, i) => {
    if (v !== null && Number.isFinite(v)) {
      if (v < 0 || v > 1) throw new RangeError(`p-value out of [0, 1]: ${v}`);
      idx.push(i);
    }
  });
  // Stable sort by p so equal p-values keep their order (the adjustment is the same for ties anyway).
  return idx.sort((a, b) => (p[a] as number) - (p[b] as number) || a - b);
}

/** Holm-adjusted p-values (family-wise error rate). */
export function holmAdjust(p: ReadonlyArray<number | null>): Array<number | null> {
  const order = tested(p);
  const m = order.length;
  const out: Array<number | null> = p.map(() => null);
  let running = 0;
  order.forEach((i, rank) => {
    const adj = Math.min(1, (m - rank) * (p[i] as number));
    running = Math.max(running, adj);
    out[i] = running;
  });
  return out;
}

/** Benjamini-Hochberg-adjusted p-values (q-values of the step-up procedure; false discovery rate). */
export function bhAdjust(p: ReadonlyArray<number | null>): Array<number | null> {
  const order = tested(p);
  const m = order.length;
  const out: Array<number | null> = p.map(() => null);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const i = order[rank] as number;
    const adj = Math.min(1, (m * (p[i] as number)) / (rank + 1));
    running = Math.min(running, adj);
    out[i] = running;
  }
  return out;
}
