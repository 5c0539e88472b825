import { longRunVarianceFast } from '../../stats/research-kernels.js';
import type { CellResult } from './cells.js';
import type { GridIndex } from './grid-index.js';
import { sameMask } from '../../stats/research-fused.js';

/**
 * The cross-sectional IC of the research grid (weak with 3-5 assets; reported, flagged): the
 * Spearman IC across assets at each decision time and its Newey-West t.
 */

/**
 * The feature side of the cross-section for one set of usable rows: the rows grouped by decision
 * time (assets in panel order), each time's centred ranks of the feature and their sum of squares.
 * It does not depend on the horizon: kept for the feature's horizons while the rows are the same.
 */
export interface CrossX {
  /** null once the feature's columns are released (the arrays stay for the next feature) */
  feature: string | null;
  valid: Uint8Array;
  /** rows of time t: rows[start[t] .. start[t + 1]) */
  start: Int32Array;
  rows: Int32Array;
  /** centred average ranks of the feature within each time (aligned with rows) */
  dx: Float64Array;
  sxx: Float64Array;
  /** the arrays rows and dx are the start of (room for every row: reused by the next feature) */
  rowsAll: Int32Array;
  dxAll: Float64Array;
}

/**
 * One side of the cross-section: each time's centred average ranks of a column over its rows (into
 * d, aligned with rows) and their sum of squares (into sq; both 0 for times with fewer than 3 rows). A
 * row's average rank among a time's few values (descriptive.rankAverage: ties share their mean) is
 * the values below it plus (the values equal to it + 1) / 2; the mean is summed in row order, then
 * subtracted, and the squares summed in row order.
 */
function centredSide(ix: GridIndex, V: Float64Array, start: Int32Array, rows: Int32Array, d: Float64Array, sq: Float64Array): void {
  const vs = new Float64Array(ix.A);
  const rs = new Float64Array(ix.A);
  const G = start.length - 1;
  for (let t = 0; t < G; t++) {
    const s0 = start[t]!;
    const m = start[t + 1]! - s0;
    if (m < 3) {
      // no IC at this time: its rows' entries are 0 (the arrays are reused: nothing stale is left)
      for (let j = 0; j < m; j++) d[s0 + j] = 0;
      sq[t] = 0;
      continue;
    }
    for (let j = 0; j < m; j++) vs[j] = V[rows[s0 + j]!]!;
    let mean = 0;
    for (let i = 0; i < m; i++) {
      const v = vs[i]!;
      let below = 0;
      let eq = 0;
      for (let j = 0; j < m; j++) {
        const w = vs[j]!;
        if (w < v) below++;
        else if (w === v) eq++;
      }
      const r = below + (eq + 1) / 2;
      rs[i] = r;
      mean += r;
    }
    mean /= m;
    let q = 0;
    for (let j = 0; j < m; j++) {
      const r = rs[j]! - mean;
      d[s0 + j] = r;
      q += r * r;
    }
    sq[t] = q;
  }
}

function crossX(ix: GridIndex, feature: string, valid: Uint8Array, X: Float64Array): CrossX {
  const hit = ix.cross;
  if (hit && hit.feature === feature && sameMask(hit.valid, valid)) return hit;
  const G = ix.times.length;
  // the last feature's arrays are reused (a fresh array costs its page faults): rows and dx hold up
  // to every row, the rows used are their start
  const start = hit ? hit.start.fill(0) : new Int32Array(G + 1);
  for (let i = 0; i < ix.N; i++) if (valid[i] === 1) start[ix.tIdx[i]! + 1]!++;
  for (let t = 0; t < G; t++) start[t + 1] = start[t + 1]! + start[t]!;
  const n = start[G]!;
  const rowsAll = hit ? hit.rowsAll : new Int32Array(ix.N);
  const dxAll = hit ? hit.dxAll : new Float64Array(ix.N);
  const fill = ix.scratch.crossFill;
  fill.set(start.subarray(0, G));
  const rows = rowsAll.subarray(0, n);
  for (let i = 0; i < ix.N; i++) if (valid[i] === 1) rows[fill[ix.tIdx[i]!]!++] = i;
  const dx = dxAll.subarray(0, n);
  const sxx = hit ? hit.sxx : new Float64Array(G);
  centredSide(ix, X, start, rows, dx, sxx);
  const mask = hit ? hit.valid : new Uint8Array(valid.length);
  mask.set(valid);
  const out: CrossX = { feature, valid: mask, start, rows, dx, sxx, rowsAll, dxAll };
  ix.cross = out;
  return out;
}

/**
 * The label side of the cross-section for one horizon and set of usable rows (the rows of CrossX):
 * each time's centred ranks of the label and their sum of squares. It does not depend on the
 * feature: kept per horizon for the next feature with the same usable rows (bit for bit the same
 * sums as computing it per feature).
 */
export interface CrossY {
  /** the label column and the usable rows it was computed for */
  label: Float64Array;
  valid: Uint8Array;
  /** centred average ranks of the label within each time (aligned with CrossX rows) */
  dy: Float64Array;
  syy: Float64Array;
  /** the array dy is the start of (room for every row) */
  dyAll: Float64Array;
}

function crossY(ix: GridIndex, horizon: string, cx: CrossX, Y: Float64Array): CrossY {
  const hit = ix.crossY.get(horizon);
  if (hit && hit.label === Y && sameMask(hit.valid, cx.valid)) return hit;
  const G = ix.times.length;
  const { start, rows } = cx;
  // the arrays of the horizon's previous entry are reused (a fresh array costs its page faults)
  const dyAll = hit ? hit.dyAll : new Float64Array(ix.N);
  const dy = dyAll.subarray(0, rows.length);
  const syy = hit ? hit.syy : new Float64Array(G);
  const valid = hit ? hit.valid : new Uint8Array(cx.valid.length);
  valid.set(cx.valid);
  centredSide(ix, Y, start, rows, dy, syy);
  const out: CrossY = { label: Y, valid, dy, syy, dyAll };
  ix.crossY.set(horizon, out);
  return out;
}

/** Cross-sectional Spearman IC per decision time (stats/ic crossSectionalIC, >= 3 assets) and its Newey-West t (icSummary). */
export function crossSectional(ix: GridIndex, feature: string, horizon: string, valid: Uint8Array, X: Float64Array, Y: Float64Array, lags: number, r: CellResult): void {
  const G = ix.times.length;
  const cx = crossX(ix, feature, valid, X);
  const { start, dx } = cx;
  const cy = crossY(ix, horizon, cx, Y);
  const dyAll = cy.dy;
  // the ICs per decision time, in the grid's working array (read before the next cell)
  const ic = ix.scratch.ics;
  let n = 0;
  for (let t = 0; t < G; t++) {
    const s0 = start[t]!;
    const m = start[t + 1]! - s0;
    if (m < 3) continue;
    let sxy = 0;
    for (let j = 0; j < m; j++) sxy += dx[s0 + j]! * dyAll[s0 + j]!;
    const syy = cy.syy[t]!;
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
