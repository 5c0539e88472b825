import { longRunVarianceFast } from '../../stats/research-kernels.js';
import type { CellResult } from './cells.js';
import type { GridIndex } from './grid-index.js';
import { sameMask } from '../../stats/research-fused.js';

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

/** The average ranks of V at rows[s0 .. s0 + m) (one decision time), minus their mean, into out. */
function centredRanks(V: Float64Array, rows: Int32Array, s0: number, m: number, vals: Float64Array, out: Float64Array): void {
  for (let j = 0; j < m; j++) vals[j] = V[rows[s0 + j]!]!;
  smallRanks(vals, m, out);
  let mean = 0;
  for (let j = 0; j < m; j++) mean += out[j]!;
  mean /= m;
  for (let j = 0; j < m; j++) out[j] = out[j]! - mean;
}

/**
 * The feature side of the cross-section for one set of usable rows: the rows grouped by decision
 * time (assets in panel order), each time's centred ranks of the feature and their sum of squares.
 * It does not depend on the horizon: kept for the feature's horizons while the rows are the same.
 */
export interface CrossX {
  feature: string;
  valid: Uint8Array;
  /** rows of time t: rows[start[t] .. start[t + 1]) */
  start: Int32Array;
  rows: Int32Array;
  /** centred average ranks of the feature within each time (aligned with rows) */
  dx: Float64Array;
  sxx: Float64Array;
}

function crossX(ix: GridIndex, feature: string, valid: Uint8Array, X: Float64Array): CrossX {
  const hit = ix.cross;
  if (hit && hit.feature === feature && sameMask(hit.valid, valid)) return hit;
  const G = ix.times.length;
  const start = new Int32Array(G + 1);
  for (let i = 0; i < ix.N; i++) if (valid[i] === 1) start[ix.tIdx[i]! + 1]!++;
  for (let t = 0; t < G; t++) start[t + 1] = start[t + 1]! + start[t]!;
  const fill = start.slice(0, G);
  const rows = new Int32Array(start[G]!);
  for (let i = 0; i < ix.N; i++) if (valid[i] === 1) rows[fill[ix.tIdx[i]!]!++] = i;
  const dx = new Float64Array(rows.length);
  const sxx = new Float64Array(G);
  const xs = new Float64Array(ix.A);
  const rxs = new Float64Array(ix.A);
  for (let t = 0; t < G; t++) {
    const s0 = start[t]!;
    const m = start[t + 1]! - s0;
    if (m < 3) continue;
    centredRanks(X, rows, s0, m, xs, rxs);
    let q = 0;
    for (let j = 0; j < m; j++) {
      const d = rxs[j]!;
      dx[s0 + j] = d;
      q += d * d;
    }
    sxx[t] = q;
  }
  const out: CrossX = { feature, valid: Uint8Array.from(valid), start, rows, dx, sxx };
  ix.cross = out;
  return out;
}

/** Cross-sectional Spearman IC per decision time (stats/ic crossSectionalIC, >= 3 assets) and its Newey-West t (icSummary). */
export function crossSectional(ix: GridIndex, feature: string, valid: Uint8Array, X: Float64Array, Y: Float64Array, lags: number, r: CellResult): void {
  const G = ix.times.length;
  const cx = crossX(ix, feature, valid, X);
  const { start, rows, dx } = cx;
  const ys = new Float64Array(ix.A);
  const rys = new Float64Array(ix.A);
  // the ICs per decision time, in the grid's working array (read before the next cell)
  const ic = ix.scratch.ics;
  let n = 0;
  for (let t = 0; t < G; t++) {
    const s0 = start[t]!;
    const m = start[t + 1]! - s0;
    if (m < 3) continue;
    centredRanks(Y, rows, s0, m, ys, rys);
    let sxy = 0;
    let syy = 0;
    for (let j = 0; j < m; j++) {
      const dy = rys[j]!;
      sxy += dx[s0 + j]! * dy;
      syy += dy * dy;
    }
    const sxx = cx.sxx[t]!;
    if (!(sxx > 0) || !(syy > 0)) continue;
    ic[n++] = Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
  }
  r.cs_times = n;
  if (n === 0) {
    r.cs_ic = null;
    r.cs_t_nw = null;
    return;
  }
  let s = 0;
  for (let i = 0; i < n; i++) s += ic[i]!;
  const m = s / n;
  r.cs_ic = Number.isFinite(m) ? m : null;
  const nw = Math.sqrt(longRunVarianceFast(ic.subarray(0, n), Math.max(0, Math.floor(lags + 1) - 1)).lrv / n);
  r.cs_t_nw = n > 1 && nw > 0 && Number.isFinite(m / nw) ? m / nw : null;
}
