/**
 * Rank statistics of many groupings of the same rows in one pass per side (research grid).
 *
 * The rows' groups are laid out row-major (`table[i * K + k]` = 1 + the group of row i in grouping k,
 * as an index into the concatenated per-group arrays; 0 = in no group), uint16 when the groups are
 * at most 65,535 (half the bytes every pass reads, and half the fresh pages), else int32 (the
 * kernels read uint16 tables only: such a set runs the TypeScript loops), and for each sorted
 * column once in that column's value order (`orderedTable`: the features' tables are reused
 * across horizons, the labels' across features). Each side's pass then reads its groups sequentially; the only random accesses left
 * are one row of the X side's ranks and one row of products per row in the Y pass. The grid's
 * 20-odd groupings (regime cell, asset x cell, asset x period x cell, the rare-stress check...)
 * cost one pass per side instead of one random access per grouping and row.
 *
 * - Each side (`rankSide`): doubled average ranks (2 x rank, ties sharing their mean) within every
 *   group, stored in row order, the count per group and the tie sums sum (t^3 - t) per group. A
 *   side's ranks depend only on its column and the rows used (finite x and y), so the grid ranks a
 *   feature once for all horizons and a label once for every feature with the same usable rows
 *   (`SideRanks` carries the mask it was computed for; a cache compares it bit for bit).
 * - sum dx^2 and sum dy^2 need no pass: for doubled average ranks they are (n^3 - n - ties) / 3.
 * - One pass in row order (`groupSumsOf`) then reads both sides' ranks: sum dx dy per group, and for
 *   the pooled groupings (asset x cell) the per-row contributions u = dx dy / (sd_x sd_y) summed by
 *   decision time (the series whose Newey-West variance gives the pooled IC's t). Per row and pooled
 *   grouping that is three additions: the product, the contribution, and the hit counter (positive
 *   and negative hits packed in one number). A group's sum of u is its sum dx dy / (sd_x sd_y), and
 *   the rows counted per decision time depend on the rows used only: counted once per X ranking.
 *
 * Equal to the per-group definitions (descriptive.pearson of average ranks) up to rounding.
 *
 * With a heap (stats/wasm/heap.ts: makeGroupSet's last argument) the set's arrays and the ranks live
 * in a WebAssembly memory and the three passes (rankSide, groupSumsOf, orderedTable) run as the
 * kernels of stats/wasm/research.wat: the same operations in the same order, so the same numbers bit
 * for bit (test/stats/wasm-kernels.test.ts), 1.4-3.7x faster. Without one, or when an array is not
 * in the heap, the TypeScript loops below run.
 */
import { sortColumn, type SortedColumn } from './research-kernels.js';
import { heapArray, type KernelHeap } from './wasm/heap.js';

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
  /** 1 + each row's group in each grouping (0: none), row-major; uint16 when the groups allow */
  table: GroupTable;
  /** first index of grouping k's groups in the concatenated per-group arrays (K + 1 entries) */
  off: Int32Array;
  /** pooled groupings: where the decision-time series of each cell starts (tsum index of cell 0) */
  seriesOff: Int32Array;
  /** decision times */
  G: number;
  cells: Int32Array;
  /** per group of a pooled grouping: start of its cell's series in tsum */
  series: Int32Array;
  sums: GroupSums;
  scratch: Int32Array;
  /** per group: the centre (count + 1) and 1 / (sd_x sd_y) of the current pass (groupSumsOf) */
  c1s: Float64Array;
  inv: Float64Array;
  /** the WebAssembly heap of the set's arrays, or null (TypeScript loops) */
  heap: KernelHeap | null;
  /** working copy of the series' counts (timeCounts) */
  tcntWork?: Int32Array;
}

/** A set's table or one in a column's order: entries are 1 + the group (0: in no group). */
export type GroupTable = Uint16Array | Int32Array;

/** Groups (of every grouping together) a uint16 table holds: entries up to 65,535 = 1 + the last. */
export const U16_GROUPS = 65_535;

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
  /** pooled groupings: per cell and decision time, sum and count of u (tcnt: the X side's counts, or the set's copy without the groups lacking contributions; read only) */
  tsum: Float64Array;
  tcnt: Int32Array;
}

export function makeGroupSet(N: number, groupings: readonly GroupingSpec[], pooled: number, G: number, heap: KernelHeap | null = null): GroupSet {
  const K = groupings.length;
  const off = new Int32Array(K + 1);
  groupings.forEach((g, k) => (off[k + 1] = off[k]! + g.size));
  const total = off[K]!;
  const table = tableArray(heap, total <= U16_GROUPS, N * K);
  groupings.forEach((g, k) => {
    for (let i = 0; i < N; i++) table[i * K + k] = g.group[i]! < 0 ? 0 : off[k]! + g.group[i]! + 1;
  });
  const seriesOff = new Int32Array(pooled + 1);
  const cells = new Int32Array(pooled);
  const series = heapArray(heap, Int32Array, total);
  for (let k = 0; k < pooled; k++) {
    const C = groupings[k]!.cells ?? 1;
    cells[k] = C;
    seriesOff[k + 1] = seriesOff[k]! + C * G;
    for (let g = 0; g < groupings[k]!.size; g++) series[off[k]! + g] = seriesOff[k]! + (g % C) * G;
  }
  const f = (): Float64Array => heapArray(heap, Float64Array, total);
  const sums: GroupSums = {
    cnt: heapArray(heap, Int32Array, total),
    sxy: f(),
    sxx: f(),
    syy: f(),
    tiesX: f(),
    tiesY: f(),
    usum: f(),
    pos: f(),
    neg: f(),
    tsum: heapArray(heap, Float64Array, seriesOff[pooled]!),
    // set by each pass to the counts it read (timeCounts)
    tcnt: new Int32Array(0),
  };
  return { N, K, pooled, table, off, seriesOff, G, cells, series, sums, scratch: heapArray(heap, Int32Array, total), c1s: f(), inv: f(), heap };
}

/** A table of `length` entries, uint16 or int32 (in the heap when there is one). */
function tableArray(heap: KernelHeap | null, u16: boolean, length: number): GroupTable {
  return u16 ? heapArray(heap, Uint16Array, length) : heapArray(heap, Int32Array, length);
}

/** The set's table in the value order of a sorted column: row p * K + k = table row order[p]. */
export function orderedTable(set: GroupSet, col: SortedColumn): GroupTable {
  const { K, table, heap } = set;
  const { order } = col;
  const out = tableArray(heap, table instanceof Uint16Array, order.length * K);
  if (heap && heap.owns(table) && heap.owns(out)) {
    const done = heap.withTemps((t) => {
      const o = t.address(order);
      if (o !== null) heap.k.reorder(order.length, K, o, table.byteOffset, out.byteOffset, table.BYTES_PER_ELEMENT);
      return o !== null;
    });
    if (done) return out;
  }
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
  table: GroupTable;
}

/** A sorted column with its ordered table. */
export function rankedColumn(set: GroupSet, col: SortedColumn): RankedColumn {
  return { col, table: orderedTable(set, col) };
}

/** End of the tie block starting at p. */
function blockEnd(bs: Uint8Array, p: number, m: number): number {
  let q = p + 1;
  while (q < m && bs[q] === 0) q++;
  return q;
}

/** Row index of sorted position p's groups in `tab`: the ordered table's own row, or the row's in the set's table. */
const rowOf = (ordered: boolean, order: Int32Array, p: number): number => (ordered ? p : order[p]!);

/** Scratch counts of the valid rows of a tie block [p, q) per group. */
function countBlock(K: number, tab: GroupTable, ordered: boolean, order: Int32Array, p: number, q: number, valid: Uint8Array, t: Int32Array): void {
  for (let r = p; r < q; r++) {
    if (valid[order[r]!] !== 1) continue;
    for (let k = 0, b = rowOf(ordered, order, r) * K; k < K; k++) {
      const idx = tab[b + k]! - 1;
      if (idx >= 0) t[idx]!++;
    }
  }
}

/** After a tie block: add its tie sums (t^3 - t) and counts, clear the scratch counts. */
function closeBlock(K: number, tab: GroupTable, ordered: boolean, order: Int32Array, p: number, q: number, valid: Uint8Array, t: Int32Array, cnt: Int32Array, ties: Float64Array): void {
  for (let r = p; r < q; r++) {
    if (valid[order[r]!] !== 1) continue;
    for (let k = 0, b = rowOf(ordered, order, r) * K; k < K; k++) {
      const idx = tab[b + k]! - 1;
      if (idx < 0) continue;
      const tt = t[idx]!;
      if (tt === 0) continue;
      ties[idx] = ties[idx]! + (tt * tt * tt - tt);
      cnt[idx] = cnt[idx]! + tt;
      t[idx] = 0;
    }
  }
}

/** One side's ranks within every group of a set, for the rows of a mask (see the module comment). */
export interface SideRanks {
  /** the mask the ranks are for (1 = row used); a copy, compared bit for bit by caches */
  valid: Uint8Array;
  /** doubled average ranks in row order: r[i * K + k] for row i in grouping k (valid rows in a group only) */
  r: Int32Array;
  /** valid rows per group, and the tie sums sum (t^3 - t) per group */
  cnt: Int32Array;
  ties: Float64Array;
  /** pooled groupings: valid rows per cell and decision time, for the decision times tIdx (computed once per ranking by groupSumsOf), or null */
  tcnt: { tIdx: Int32Array; counts: Int32Array } | null;
  /** the array tcnt's counts are written into (made at first use, then reused) */
  tcntBuf?: Int32Array;
}

/** Empty ranks of a set's size (buffers reused by rankSide). */
export function sideRanksFor(set: GroupSet): SideRanks {
  const total = set.off[set.K]!;
  const h = set.heap;
  return { valid: heapArray(h, Uint8Array, set.N), r: heapArray(h, Int32Array, set.N * set.K), cnt: heapArray(h, Int32Array, total), ties: heapArray(h, Float64Array, total), tcnt: null };
}

/**
 * The ranks of a column's rows with valid[i] = 1 within every group of the set, into `out` (its
 * buffers are overwritten). With a RankedColumn the column's ordered table is read sequentially;
 * with a bare SortedColumn the set's table is read at each row.
 */
export function rankSide(set: GroupSet, col: RankedColumn | SortedColumn, valid: Uint8Array, out: SideRanks = sideRanksFor(set)): SideRanks {
  const { K } = set;
  const ordered = 'table' in col;
  const tab = ordered ? col.table : set.table;
  const { order, blockStart } = ordered ? col.col : col;
  const { r, cnt, ties } = out;
  out.valid.set(valid);
  cnt.fill(0);
  ties.fill(0);
  const t = set.scratch;
  const m = order.length;
  if (rankKernel(set, ordered ? 1 : 0, tab, order, blockStart, out)) {
    out.tcnt = null;
    return out;
  }
  let p = 0;
  while (p < m) {
    const q = blockEnd(blockStart, p, m);
    if (q === p + 1) {
      const i = order[p]!;
      if (valid[i] === 1) {
        const by = i * K;
        for (let k = 0, b = rowOf(ordered, order, p) * K; k < K; k++) {
          const idx = tab[b + k]! - 1;
          if (idx < 0) continue;
          const c = cnt[idx]! + 1;
          cnt[idx] = c;
          r[by + k] = 2 * c;
        }
      }
      p = q;
      continue;
    }
    countBlock(K, tab, ordered, order, p, q, valid, t);
    for (let j = p; j < q; j++) {
      const i = order[j]!;
      if (valid[i] !== 1) continue;
      const by = i * K;
      for (let k = 0, b = rowOf(ordered, order, j) * K; k < K; k++) {
        const idx = tab[b + k]! - 1;
        if (idx >= 0) r[by + k] = 2 * cnt[idx]! + t[idx]! + 1;
      }
    }
    closeBlock(K, tab, ordered, order, p, q, valid, t, cnt, ties);
    p = q;
  }
  out.tcnt = null;
  return out;
}

/**
 * rankSide of a column over a set whose one grouping is the assets' row ranges (K = 1; the rows
 * offsets[a] .. offsets[a + 1] are group a, every row in its asset's group: the grid's `bare` set),
 * sorting and ranking each asset's rows on their own (sortColumn of the asset's part, into its part
 * of `into`): the same ranks, counts and tie sums as rankSide over one sort of every row (an asset's
 * tie blocks are the global blocks' rows of that asset, in the same ascending order), with each sort
 * and rank pass inside one asset's rows instead of random accesses over all of them. Returns the
 * per-asset sorts (new objects per call). Without the heap's kernels (arrays outside it): one sort of
 * every row and rankSide, as before.
 */
export function rankByAsset(set: GroupSet, offsets: Int32Array, values: Float64Array, into: SortedColumn, valid: Uint8Array, out: SideRanks): SortedColumn[] {
  const heap = set.heap;
  const A = offsets.length - 1;
  const kernels =
    heap !== null &&
    set.K === 1 &&
    set.table instanceof Uint16Array &&
    offsets[A] === set.N &&
    values.length === set.N &&
    into.order.length >= set.N &&
    into.blockStart.length >= set.N &&
    [set.table, set.scratch, out.valid, out.r, out.cnt, out.ties, into.order, into.blockStart].every((a) => heap.owns(a));
  if (!kernels) {
    const sorted = sortColumn(values, into, heap);
    rankSide(set, sorted, valid, out);
    return [sorted];
  }
  out.valid.set(valid);
  out.cnt.fill(0);
  out.ties.fill(0);
  out.tcnt = null;
  const parts: SortedColumn[] = [];
  for (let a = 0; a < A; a++) {
    const o0 = offsets[a]!;
    const o1 = offsets[a + 1]!;
    // the asset's finite values in order: positions local to its rows (the kernel's row base is its first row)
    const part = sortColumn(values.subarray(o0, o1), { order: into.order.subarray(o0, o1), blockStart: into.blockStart.subarray(o0, o1) }, heap);
    parts.push(part);
    if (!heap.owns(part.order) || !heap.owns(part.blockStart)) throw new Error('rankByAsset: a sort left the heap');
    heap.k.rank(part.order.length, 1, 0, part.order.byteOffset, part.blockStart.byteOffset, set.table.byteOffset + 2 * o0, out.valid.byteOffset + o0, out.r.byteOffset + 4 * o0, out.cnt.byteOffset, set.scratch.byteOffset, out.ties.byteOffset);
  }
  return parts;
}

/** rankSide's pass as the WebAssembly kernel, when the set, the table and the ranks are in its heap (false: not run). */
function rankKernel(set: GroupSet, ordered: number, tab: GroupTable, order: Int32Array, blockStart: Uint8Array, out: SideRanks): boolean {
  const heap = set.heap;
  if (!heap || !(tab instanceof Uint16Array) || ![tab, out.valid, out.r, out.cnt, out.ties, set.scratch].every((a) => heap.owns(a))) return false;
  return heap.withTemps((t) => {
    const o = t.address(order);
    const bs = t.address(blockStart);
    if (o === null || bs === null) return false;
    heap.k.rank(order.length, set.K, ordered, o, bs, tab.byteOffset, out.valid.byteOffset, out.r.byteOffset, out.cnt.byteOffset, set.scratch.byteOffset, out.ties.byteOffset);
    return true;
  });
}

/** Equal masks, bit for bit. */
export function sameMask(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length % 4 === 0 && a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const x = new Uint32Array(a.buffer, a.byteOffset, a.length / 4);
    const y = new Uint32Array(b.buffer, b.byteOffset, b.length / 4);
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Sums of every group of the set for the rows with valid[i] = 1 (finite x and y), x and y sorted
 * by sortColumn with their ordered tables. tIdx: decision-time index of each row (0..G-1); sign:
 * per row, the sign agreement for the hit rate (counted into pos / neg of the pooled groups), or
 * null. The returned arrays are the set's own buffers: read them before the next call.
 */
export function groupSums(set: GroupSet, x: RankedColumn, y: RankedColumn, valid: Uint8Array, tIdx: Int32Array, sign: Int8Array | null): GroupSums {
  return groupSumsOf(set, rankSide(set, x, valid), rankSide(set, y, valid), tIdx, sign);
}

/**
 * groupSums from both sides' ranks (computed for the same rows: their masks must be equal). One
 * pass in row order: sum dx dy per group, and over the pooled groupings the contributions u per
 * group and decision time, with the hit counts (one counter per group: pos + HIT_BASE x neg).
 */
export function groupSumsOf(set: GroupSet, xr: SideRanks, yr: SideRanks, tIdx: Int32Array, sign: Int8Array | null): GroupSums {
  const s = set.sums;
  const { N, K, pooled, table, series } = set;
  const { c1s, inv } = startSums(set, xr, yr, s);
  if (sumsKernel(set, xr, yr, tIdx, sign)) {
    finishSums(set, xr, inv, tIdx, s);
    return s;
  }
  const { sxy, pos, tsum } = s;
  const valid = xr.valid;
  const rx = xr.r;
  const ry = yr.r;
  for (let i = 0; i < N; i++) {
    if (valid[i] !== 1) continue;
    const b = i * K;
    const t = tIdx[i]!;
    const hv = hitValue(sign, i);
    // the pooled groupings (asset x cell): products, contributions by decision time and hits
    for (let k = 0; k < pooled; k++) {
      const idx = table[b + k]! - 1;
      if (idx < 0) continue;
      const c1 = c1s[idx]!;
      const d = (rx[b + k]! - c1) * (ry[b + k]! - c1);
      sxy[idx] = sxy[idx]! + d;
      pos[idx] = pos[idx]! + hv;
      const e = series[idx]! + t;
      tsum[e] = tsum[e]! + d * inv[idx]!;
    }
    // the others: the products only
    for (let k = pooled; k < K; k++) {
      const idx = table[b + k]! - 1;
      if (idx < 0) continue;
      const c1 = c1s[idx]!;
      sxy[idx] = sxy[idx]! + (rx[b + k]! - c1) * (ry[b + k]! - c1);
    }
  }
  finishSums(set, xr, inv, tIdx, s);
  return s;
}

/** groupSumsOf's pass as the WebAssembly kernel, when the set, both sides' ranks and the sums are in its heap (false: not run). */
function sumsKernel(set: GroupSet, xr: SideRanks, yr: SideRanks, tIdx: Int32Array, sign: Int8Array | null): boolean {
  const heap = set.heap;
  const s = set.sums;
  if (!heap || !(set.table instanceof Uint16Array) || ![set.table, xr.r, yr.r, xr.valid, set.c1s, set.inv, set.series, s.sxy, s.pos, s.tsum].every((a) => heap.owns(a))) return false;
  return heap.withTemps((tmp) => {
    const t = tmp.address(tIdx);
    const sg = sign ? tmp.address(sign) : 0;
    if (t === null || sg === null) return false;
    const { N, K, pooled } = set;
    heap.k.sums(N, K, pooled, set.table.byteOffset, xr.r.byteOffset, yr.r.byteOffset, xr.valid.byteOffset, t, sign ? 1 : 0, sg, set.c1s.byteOffset, set.inv.byteOffset, set.series.byteOffset, s.sxy.byteOffset, s.pos.byteOffset, s.tsum.byteOffset, HIT_BASE);
    return true;
  });
}

/** A row's packed hit: 1 for a positive sign agreement, HIT_BASE for a negative one, 0 for none. */
function hitValue(sign: Int8Array | null, i: number): number {
  const sg = sign ? sign[i]! : 0;
  return sg > 0 ? 1 : sg < 0 ? HIT_BASE : 0;
}

/**
 * Clears the sums of a pass and sets what needs no pass: counts, tie sums, sxx and syy. Returns each
 * group's centre (count + 1 in doubled ranks, read once per row and grouping) and 1 / (sd_x sd_y)
 * (0 where the contributions are undefined: fewer than 3 rows or a constant side).
 */
function startSums(set: GroupSet, xr: SideRanks, yr: SideRanks, s: GroupSums): { c1s: Float64Array; inv: Float64Array } {
  if (!sameMask(xr.valid, yr.valid)) throw new Error('research grid: the two sides were ranked over different rows');
  if (set.N >= HIT_BASE) throw new Error(`research grid: ${set.N} rows exceed the hit counters' ${HIT_BASE}`);
  const { cnt, sxy, pos, tsum } = s;
  for (const a of [sxy, pos, tsum]) a.fill(0);
  cnt.set(xr.cnt);
  s.tiesX.set(xr.ties);
  s.tiesY.set(yr.ties);
  const total = cnt.length;
  const { inv, c1s } = set;
  inv.fill(0);
  for (let idx = 0; idx < total; idx++) {
    const n = cnt[idx]!;
    c1s[idx] = n + 1;
    const cube = n * n * n - n;
    s.sxx[idx] = (cube - s.tiesX[idx]!) / 3;
    s.syy[idx] = (cube - s.tiesY[idx]!) / 3;
    if (n < 3) continue;
    const sdx = Math.sqrt(s.sxx[idx]! / n);
    const sdy = Math.sqrt(s.syy[idx]! / n);
    if (sdx > 0 && sdy > 0) inv[idx] = 1 / (sdx * sdy);
  }
  return { c1s, inv };
}

/** After the pass: the pooled groups' sums of contributions (u = dx dy / (sd_x sd_y)), the hits unpacked, the series' counts. */
function finishSums(set: GroupSet, xr: SideRanks, inv: Float64Array, tIdx: Int32Array, s: GroupSums): void {
  const total = s.cnt.length;
  const pooledEnd = set.off[set.pooled]!;
  for (let idx = 0; idx < total; idx++) {
    s.usum[idx] = idx < pooledEnd && inv[idx] !== 0 ? s.sxy[idx]! * inv[idx]! : 0;
    const h = s.pos[idx]!;
    const ng = Math.floor(h / HIT_BASE);
    s.neg[idx] = ng;
    s.pos[idx] = h - ng * HIT_BASE;
  }
  s.tcnt = timeCounts(set, xr, inv, tIdx);
}

/** Base of the packed hit counters (pos + HIT_BASE x neg stays an exact double below 2^52). */
const HIT_BASE = 2 ** 26;

/**
 * Rows per cell and decision time of the pooled groupings that count in the series (valid, in a
 * group whose contributions are defined): the valid rows' counts are kept with the side's ranks
 * (they depend on the mask only); rows of groups without contributions (fewer than 3 rows, or a
 * constant side) are taken out of a copy.
 */
function timeCounts(set: GroupSet, xr: SideRanks, inv: Float64Array, tIdx: Int32Array): Int32Array {
  const { N, K, pooled, table, series } = set;
  const valid = xr.valid;
  const len = set.seriesOff[pooled]!;
  if (!xr.tcnt || xr.tcnt.tIdx !== tIdx) {
    xr.tcntBuf ??= heapArray(set.heap, Int32Array, len);
    const c = xr.tcntBuf;
    c.fill(0);
    if (!countKernel(set, xr.valid, tIdx, inv, c, 0)) {
      for (let i = 0; i < N; i++) {
        if (valid[i] !== 1) continue;
        for (let k = 0, b = i * K; k < pooled; k++) {
          const idx = table[b + k]! - 1;
          if (idx >= 0) c[series[idx]! + tIdx[i]!]!++;
        }
      }
    }
    xr.tcnt = { tIdx, counts: c };
  }
  let none = false;
  for (let idx = 0; idx < set.off[pooled]!; idx++) if (xr.cnt[idx]! > 0 && inv[idx] === 0) none = true;
  if (!none) return xr.tcnt.counts;
  // a copy in the set's working array (the ranks keep theirs)
  set.tcntWork ??= heapArray(set.heap, Int32Array, len);
  const c = set.tcntWork;
  c.set(xr.tcnt.counts);
  if (countKernel(set, xr.valid, tIdx, inv, c, 1)) return c;
  for (let i = 0; i < N; i++) {
    if (valid[i] !== 1) continue;
    for (let k = 0, b = i * K; k < pooled; k++) {
      const idx = table[b + k]! - 1;
      if (idx >= 0 && inv[idx] === 0) c[series[idx]! + tIdx[i]!]!--;
    }
  }
  return c;
}

/** timeCounts' pass as the WebAssembly kernel (sub = 0: count the valid rows; 1: take out those of groups with inv = 0); false: not run. */
function countKernel(set: GroupSet, valid: Uint8Array, tIdx: Int32Array, inv: Float64Array, c: Int32Array, sub: number): boolean {
  const heap = set.heap;
  if (!heap || !(set.table instanceof Uint16Array) || ![set.table, valid, set.series, inv, c].every((a) => heap.owns(a))) return false;
  return heap.withTemps((tmp) => {
    const t = tmp.address(tIdx);
    if (t === null) return false;
    heap.k.tcount(set.N, set.K, set.pooled, set.table.byteOffset, valid.byteOffset, t, set.series.byteOffset, inv.byteOffset, c.byteOffset, sub);
    return true;
  });
}

/** Spearman correlation of one group from its sums (descriptive.pearson of the ranks); NaN when undefined. */
export function groupPearsonOf(s: GroupSums, idx: number): number {
  if (s.cnt[idx]! < 2 || !(s.sxx[idx]! > 0) || !(s.syy[idx]! > 0)) return Number.NaN;
  return Math.max(-1, Math.min(1, s.sxy[idx]! / Math.sqrt(s.sxx[idx]! * s.syy[idx]!)));
}
