import { longRunVarianceFast } from '../../stats/research-kernels.js';
import type { CellResult } from './cells.js';
import type { GridIndex } from './grid-index.js';

/**
 * The cross-sectional IC of the research grid (weak with 3-5 assets; reported, flagged): the
 * Spearman IC across assets at each decision time and its Newey-West t.
 */

/** Average ranks 1..m of a few values (ties share their mean), as descriptive.rankAverage. */
function smallRanks(v: Float64Array, m: number, out: Float64Array): void {
  for (let i = 0; i < m; i++) {
    let below = 0;
    let eq = 0;
    for (let j = 0; j < m; j++) {
      if (v[j]! < v[i]!) below++;
      else if (v[j] === v[i]) eq++;
    }
    out[i] = below + (eq + 1) / 2;
  }
}

/** Cross-sectional Spearman IC per decision time (stats/ic crossSectionalIC, >= 3 assets) and its Newey-West t (icSummary). */
export function crossSectional(ix: GridIndex, valid: Uint8Array, X: Float64Array, Y: Float64Array, lags: number, r: CellResult): void {
  const G = ix.times.length;
  const A = ix.A;
  // rows by time (assets in panel order within a time)
  const at = new Int32Array(G * A).fill(-1);
  for (let i = 0; i < ix.N; i++) if (valid[i] === 1) at[ix.tIdx[i]! * A + ix.assetOf[i]!] = i;
  const xs = new Float64Array(A);
  const ys = new Float64Array(A);
  const rxs = new Float64Array(A);
  const rys = new Float64Array(A);
  const ics: number[] = [];
  for (let t = 0; t < G; t++) {
    let m = 0;
    for (let a = 0; a < A; a++) {
      const i = at[t * A + a]!;
      if (i < 0) continue;
      xs[m] = X[i]!;
      ys[m++] = Y[i]!;
    }
    if (m < 3) continue;
    smallRanks(xs, m, rxs);
    smallRanks(ys, m, rys);
    let mx = 0;
    let my = 0;
    for (let j = 0; j < m; j++) {
      mx += rxs[j]!;
      my += rys[j]!;
    }
    mx /= m;
    my /= m;
    let sxy = 0;
    let sxx = 0;
    let syy = 0;
    for (let j = 0; j < m; j++) {
      const dx = rxs[j]! - mx;
      const dy = rys[j]! - my;
      sxy += dx * dy;
      sxx += dx * dx;
      syy += dy * dy;
    }
    if (!(sxx > 0) || !(syy > 0)) continue;
    ics.push(Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy))));
  }
  const n = ics.length;
  r.cs_times = n;
  if (n === 0) {
    r.cs_ic = null;
    r.cs_t_nw = null;
    return;
  }
  const ic = Float64Array.from(ics);
  let s = 0;
  for (let i = 0; i < n; i++) s += ic[i]!;
  const m = s / n;
  r.cs_ic = Number.isFinite(m) ? m : null;
  const nw = Math.sqrt(longRunVarianceFast(ic, Math.max(0, Math.floor(lags + 1) - 1)).lrv / n);
  r.cs_t_nw = n > 1 && nw > 0 && Number.isFinite(m / nw) ? m / nw : null;
}
