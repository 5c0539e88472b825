/**
 * Rank statistics of many groupings of the same rows in one pass per side (research grid).
 *
 * The rows' groups are laid out row-major (`table[i * K + k]` = group of row i in grouping k, as an
 * index into the concatenated per-group arrays), and for each sorted column once in that column's
 * value order (`orderedTable`: the features' tables are reused across horizons, the labels' across
 * features). Each side's pass then reads its groups sequentially; the only random accesses left
 * are one row of the X side's ranks and one row of products per row in the Y pass. The grid's
 * 20-odd groupings (regime cell, asset x cell, asset x period x cell, the rare-stress check...)
 * cost one pass per side instead of one random access per grouping and row.
 *
 * - X side (`rankX`): doubled average ranks (2 x rank, ties sharing their mean) within every group,
 *   the count per group and the tie sums sum (t^3 - t) per group.
 * - Y side (in `groupSums`): the same ranks, centred on the group mean (count + 1) with the X
 *   counts, multiplied with the X side's centred ranks: sum dx dy per group, and for the first
 *   `pooled` groupings (asset x cell) the product per row.
 * - sum dx^2 and sum dy^2 need no pass: for doubled average ranks they are (n^3 - n - ties) / 3.
 * - A last pass in row order pools the per-row contributions u = dx dy / (sd_x sd_y) of the pooled
 *   groupings by decision time (the series whose Newey-West variance gives the pooled IC's t).
 *
 * Equal to the per-group definitions (descriptive.pearson of average ranks) up to rounding.
 */
import type { SortedColumn } from './research-kernels.js';

export interface GroupingSpec {
  /** group of each row (-1 = in none) */
  group: Int32Array;
  /** number of groups */
  size: number;
  /** pooled groupings only: cells per asset; the group of asset a, cell c is a * cells + c */
  cells?: number;
}

export interface GroupSet {
  N: number;
  K: number;
  /** the first `pooled` groupings are pooled (asset x cell) */
  pooled: number;
  table: Int32Array;
  /** first index of grouping k's groups in the concatenated per-group arrays (K + 1 entries) */
  off: Int32Array;
  /** pooled groupings: where the decision-time series of each cell starts (tsum index of cell 0) */
  seriesOff: Int32Array;
  /** decision times */
  G: number;
  cells: Int32Array;
  /** per group of a pooled grouping: start of its cell's series in tsum */
  series: Int32Array;
  /** buffers: X ranks in Y order, products in row order */
  rx: Int32Array;
  prod: Float64Array;
  sums: GroupSums;
  scratch: Int32Array;
}

export interface GroupSums {
  cnt: Int32Array;
  sxy: Float64Array;
  sxx: Float64Array;
  syy: Float64Array;
  tiesX: Float64Array;
  tiesY: Float64Array;
  /** pooled groups: sum of u, hits of a positive / negative direction */
  usum: Float64Array;
  pos: Float64Array;
  neg: Float64Array;
  /** pooled groupings: per cell and decision time, sum and count of u */
  tsum: Float64Array;
  tcnt: Int32Array;
}

export function makeGroupSet(N: number, groupings: readonly GroupingSpec[], pooled: number, G: number): GroupSet {
  const K = groupings.length;
  const off = new Int32Array(K + 1);
  groupings.forEach((g, k) => (off[k + 1] = off[k]! + g.size));
  const total = off[K]!;
  const table = new Int32Array(N * K);
  groupings.forEach((g, k) => {
    for (let i = 0; i < N; i++) table[i * K + k] = g.group[i]! < 0 ? -1 : off[k]! + g.group[i]!;
  });
  const seriesOff = new Int32Array(pooled + 1);
  const cells = new Int32Array(pooled);
  const series = new Int32Array(total);
  for (let k = 0; k < pooled; k++) {
    const C = groupings[k]!.cells ?? 1;
    cells[k] = C;
    seriesOff[k + 1] = seriesOff[k]! + C * G;
    for (let g = 0; g < groupings[k]!.size; g++) series[off[k]! + g] = seriesOff[k]! + (g % C) * G;
  }
  const f = (): Float64Array => new Float64Array(total);
  const sums: GroupSums = {
    cnt: new Int32Array(total),
    sxy: f(),
    sxx: f(),
    syy: f(),
    tiesX: f(),
    tiesY: f(),
    usum: f(),
    pos: f(),
    neg: f(),
    tsum: new Float64Array(seriesOff[pooled]!),
    tcnt: new Int32Array(seriesOff[pooled]!),
  };
  return { N, K, pooled, table, off, seriesOff, G, cells, series, rx: new Int32Array(N * K), prod: new Float64Array(N * pooled), sums, scratch: new Int32Array(total) };
}

/** The set's table in the value order of a sorted column: row p * K + k = table row order[p]. */
export function orderedTable(set: GroupSet, col: SortedColumn): Int32Array {
  const { K, table } = set;
  const { order } = col;
  const out = new Int32Array(order.length * K);
  for (let p = 0; p < order.length; p++) {
    const src = order[p]! * K;
    const dst = p * K;
    for (let k = 0; k < K; k++) out[dst + k] = table[src + k]!;
  }
  return out;
}

/** A sorted column with its ordered table. */
export interface RankedColumn {
  col: SortedColumn;
  table: Int32Array;
  /** position of each row in the column's order (-1: not finite) */
  pos: Int32Array;
}

/** A sorted column with its ordered table and the position of each row. */
export function rankedColumn(set: GroupSet, col: SortedColumn): RankedColumn {
  const pos = new Int32Array(set.N).fill(-1);
  for (let p = 0; p < col.order.length; p++) pos[col.order[p]!] = p;
  return { col, table: orderedTable(set, col), pos };
}

/** End of the tie block starting at p. */
function blockEnd(bs: Uint8Array, p: number, m: number): number {
  let q = p + 1;
  while (q < m && bs[q] === 0) q++;
  return q;
}

/** Scratch counts of the valid rows of a tie block [p, q) per group. */
function countBlock(K: number, tab: Int32Array, order: Int32Array, p: number, q: number, valid: Uint8Array, t: Int32Array): void {
  for (let r = p; r < q; r++) {
    if (valid[order[r]!] !== 1) continue;
    for (let k = 0, b = r * K; k < K; k++) {
      const idx = tab[b + k]!;
      if (idx >= 0) t[idx]!++;
    }
  }
}

/** After a tie block: add its tie sums (t^3 - t) and counts, clear the scratch counts. */
function closeBlock(K: number, tab: Int32Array, order: Int32Array, p: number, q: number, valid: Uint8Array, t: Int32Array, cnt: Int32Array, ties: Float64Array): void {
  for (let r = p; r < q; r++) {
    if (valid[order[r]!] !== 1) continue;
    for (let k = 0, b = r * K; k < K; k++) {
      const idx = tab[b + k]!;
      if (idx < 0) continue;
      const tt = t[idx]!;
      if (tt === 0) continue;
      ties[idx] = ties[idx]! + (tt * tt * tt - tt);
      cnt[idx] = cnt[idx]! + tt;
      t[idx] = 0;
    }
  }
}

/** X side: ranks (rx, stored at each row's position in the Y order), counts and tiesX (see the module comment). */
function rankX(set: GroupSet, x: RankedColumn, valid: Uint8Array, posY: Int32Array): void {
  const { K, rx } = set;
  const { cnt, tiesX } = set.sums;
  const t = set.scratch;
  const tab = x.table;
  const { order, blockStart } = x.col;
  const m = order.length;
  let p = 0;
  while (p < m) {
    const q = blockEnd(blockStart, p, m);
    if (q === p + 1) {
      const i = order[p]!;
      if (valid[i] === 1) {
        const by = posY[i]! * K;
        for (let k = 0, b = p * K; k < K; k++) {
          const idx = tab[b + k]!;
          if (idx < 0) continue;
          const c = cnt[idx]! + 1;
          cnt[idx] = c;
          rx[by + k] = 2 * c;
        }
      }
      p = q;
      continue;
    }
    countBlock(K, tab, order, p, q, valid, t);
    for (let r = p; r < q; r++) {
      const i = order[r]!;
      if (valid[i] !== 1) continue;
      const by = posY[i]! * K;
      for (let k = 0, b = r * K; k < K; k++) {
        const idx = tab[b + k]!;
        if (idx >= 0) rx[by + k] = 2 * cnt[idx]! + t[idx]! + 1;
      }
    }
    closeBlock(K, tab, order, p, q, valid, t, cnt, tiesX);
    p = q;
  }
}

/** Y side: running counts in `run`, sxy, the pooled products and tiesY (see the module comment). */
function rankY(set: GroupSet, y: RankedColumn, valid: Uint8Array, run: Int32Array): void {
  const { K, rx, prod, pooled } = set;
  const { cnt, sxy, tiesY } = set.sums;
  const t = set.scratch;
  const tab = y.table;
  const { order, blockStart } = y.col;
  const m = order.length;
  let p = 0;
  while (p < m) {
    const q = blockEnd(blockStart, p, m);
    const single = q === p + 1;
    if (!single) countBlock(K, tab, order, p, q, valid, t);
    for (let r = p; r < q; r++) {
      const i = order[r]!;
      if (valid[i] !== 1) continue;
      const bp = i * pooled;
      for (let k = 0, b = r * K; k < K; k++) {
        const idx = tab[b + k]!;
        if (idx < 0) continue;
        let ry: number;
        if (single) {
          const c = run[idx]! + 1;
          run[idx] = c;
          ry = 2 * c;
        } else ry = 2 * run[idx]! + t[idx]! + 1;
        const c1 = cnt[idx]! + 1;
        const d = (rx[b + k]! - c1) * (ry - c1);
        sxy[idx] = sxy[idx]! + d;
        if (k < pooled) prod[bp + k] = d;
      }
    }
    if (!single) closeBlock(K, tab, order, p, q, valid, t, run, tiesY);
    p = q;
  }
}

/**
 * Sums of every group of the set for the rows with valid[i] = 1 (finite x and y), x and y sorted
 * by sortColumn with their ordered tables. tIdx: decision-time index of each row (0..G-1); sign:
 * per row, the sign agreement for the hit rate (counted into pos / neg of the pooled groups), or
 * null. The returned arrays are the set's own buffers: read them before the next call.
 */
export function groupSums(set: GroupSet, x: RankedColumn, y: RankedColumn, valid: Uint8Array, tIdx: Int32Array, sign: Int8Array | null): GroupSums {
  const s = set.sums;
  for (const a of [s.cnt, s.sxy, s.tiesX, s.tiesY, s.usum, s.pos, s.neg, s.tsum, s.tcnt]) a.fill(0);
  rankX(set, x, valid, y.pos);
  const run = new Int32Array(s.cnt.length);
  rankY(set, y, valid, run);
  const total = s.cnt.length;
  const inv = new Float64Array(total);
  for (let idx = 0; idx < total; idx++) {
    const n = s.cnt[idx]!;
    const cube = n * n * n - n;
    s.sxx[idx] = (cube - s.tiesX[idx]!) / 3;
    s.syy[idx] = (cube - s.tiesY[idx]!) / 3;
    if (n < 3) continue;
    const sdx = Math.sqrt(s.sxx[idx]! / n);
    const sdy = Math.sqrt(s.syy[idx]! / n);
    if (sdx > 0 && sdy > 0) inv[idx] = 1 / (sdx * sdy);
  }
  poolRows(set, valid, tIdx, sign, inv);
  return s;
}

/** Row-order pass over the pooled groupings: u per row into usum and the decision-time series. */
function poolRows(set: GroupSet, valid: Uint8Array, tIdx: Int32Array, sign: Int8Array | null, inv: Float64Array): void {
  const { N, K, pooled, table, prod, series } = set;
  const { usum, pos, neg, tsum, tcnt } = set.sums;
  for (let i = 0; i < N; i++) {
    if (valid[i] !== 1) continue;
    const b = i * K;
    const bp = i * pooled;
    const sg = sign ? sign[i]! : 0;
    const t = tIdx[i]!;
    for (let k = 0; k < pooled; k++) {
      const idx = table[b + k]!;
      if (idx < 0) continue;
      if (sg > 0) pos[idx]!++;
      else if (sg < 0) neg[idx]!++;
      const w = inv[idx]!;
      if (w === 0) continue;
      const u = prod[bp + k]! * w;
      usum[idx] = usum[idx]! + u;
      const e = series[idx]! + t;
      tsum[e] = tsum[e]! + u;
      tcnt[e]!++;
    }
  }
}

/** Spearman correlation of one group from its sums (descriptive.pearson of the ranks); NaN when undefined. */
export function groupPearsonOf(s: GroupSums, idx: number): number {
  if (s.cnt[idx]! < 2 || !(s.sxx[idx]! > 0) || !(s.syy[idx]! > 0)) return Number.NaN;
  return Math.max(-1, Math.min(1, s.sxy[idx]! / Math.sqrt(s.sxx[idx]! * s.syy[idx]!)));
}
