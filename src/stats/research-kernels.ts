/**
 * Kernels of the research grid: the same statistics as the plain definitions (descriptive.pearson
 * of average ranks, ic.longRunVariance), computed once per panel column and in one pass over
 * typed arrays for many groups at a time.
 *
 * - `sortColumn`: the finite rows of a column in value order (stable by row), with its tie blocks.
 *   One radix sort per column; every subset's average ranks follow from it without sorting again.
 * - the ranks within groups (regime cell, asset x cell, asset x period x cell...) of many groupings
 *   at once: research-fused.ts.
 * - `longRunVarianceFast`: ic.longRunVariance (Newey-West, Bartlett weights) in O(n + L) instead of
 *   O(n L): the Bartlett kernel is the self-convolution of a box of L + 1 ones, so
 *   n lrv = (1 / (L + 1)) sum_m (sum of the centred values in the window [m, m + L])^2 over every
 *   window that meets the series (m = -L .. n - 1). Exact in real arithmetic; with rounding it
 *   agrees with the direct sum to ~1e-13 relative. Up to `DIRECT_LAGS` lags the direct sum is used.
 * - `hacSum`: the same kernel on an uncentred series (the variance of a weighted sum; buckets.ts).
 */
import { mean } from './descriptive.js';
import { longRunVariance } from './ic.js';
import type { KernelHeap } from './wasm/heap.js';

/** The finite rows of a column, ordered by value (ties in row order), and where each tie block starts. */
export interface SortedColumn {
  order: Int32Array;
  /** 1 at positions of `order` that start a block of equal values */
  blockStart: Uint8Array;
}

/**
 * Working arrays of the sort, kept by the module (one set per thread) and grown as needed: a fresh
 * typed array is paid for in page faults as it is first written (on this kind of machine about as
 * much as the sort itself), and the grid sorts hundreds of panel columns of the same length.
 */
const work = { size: -1, hi: new Uint32Array(0), lo: new Uint32Array(0), row: new Int32Array(0), hi2: new Uint32Array(0), lo2: new Uint32Array(0), row2: new Int32Array(0), hist: new Int32Array(4 * 65536) };

function workFor(m: number): typeof work {
  if (work.size < m) {
    Object.assign(work, { size: m, hi: new Uint32Array(m), lo: new Uint32Array(m), row: new Int32Array(m), hi2: new Uint32Array(m), lo2: new Uint32Array(m), row2: new Int32Array(m) });
  }
  work.hist.fill(0);
  return work;
}

/**
 * The finite values as unsigned 64-bit keys (hi, lo) whose unsigned order is the numeric order
 * (-0 is 0), with their rows, into the working arrays, with the 4 histograms of the 16-bit digits
 * of the keys. Returns the number of finite values.
 */
function sortableKeys(values: Float64Array, w: typeof work): number {
  const n = values.length;
  const f = new Float64Array(1);
  const u = new Uint32Array(f.buffer);
  const { hi, lo, row, hist } = w;
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    f[0] = v === 0 ? 0 : v;
    let h = u[1]!;
    let l = u[0]!;
    // negative: flip every bit (larger magnitude sorts first); positive: set the sign bit
    if (h & 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    hi[m] = h;
    lo[m] = l;
    row[m] = i;
    hist[l & 0xffff]!++;
    hist[65536 + (l >>> 16)]!++;
    hist[131072 + (h & 0xffff)]!++;
    hist[196608 + (h >>> 16)]!++;
    m++;
  }
  return m;
}

/**
 * LSD radix sort (4 passes of 16 bits, a pass skipped when every key shares its digit) of the
 * finite values: stable, so ties stay in row order; no comparisons and no binary searches. The
 * result is written into `into` when it has room for the finite values (a caller that sorts
 * column after column and keeps none of them), else into new arrays.
 */
export function sortColumn(values: Float64Array, into?: SortedColumn, heap?: KernelHeap | null): SortedColumn {
  const fast = heap ? sortKernel(values, into, heap) : null;
  if (fast) return fast;
  const w = workFor(values.length);
  const m = sortableKeys(values, w);
  let { hi, lo, row, hi2, lo2, row2 } = w;
  const hist = w.hist;
  for (let pass = 0; pass < 4 && m > 0; pass++) {
    const base = pass * 65536;
    let shared = false;
    for (let d = 0; d < 65536; d++) {
      const c = hist[base + d]!;
      if (c !== 0) {
        shared = c === m;
        break;
      }
    }
    if (shared) continue;
    let s = 0;
    for (let d = 0; d < 65536; d++) {
      const c = hist[base + d]!;
      hist[base + d] = s;
      s += c;
    }
    const src = pass < 2 ? lo : hi;
    const shift = (pass & 1) * 16;
    for (let j = 0; j < m; j++) {
      const p = hist[base + ((src[j]! >>> shift) & 0xffff)]!++;
      hi2[p] = hi[j]!;
      lo2[p] = lo[j]!;
      row2[p] = row[j]!;
    }
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
    [row, row2] = [row2, row];
  }
  const { order, blockStart } = resultArrays(into, m);
  order.set(row.subarray(0, m));
  for (let j = 0; j < m; j++) blockStart[j] = j === 0 || hi[j] !== hi[j - 1] || lo[j] !== lo[j - 1] ? 1 : 0;
  return { order, blockStart };
}

/** Where a sort of m finite values goes: the start of `into` when it has room, else new arrays. */
function resultArrays(into: SortedColumn | undefined, m: number): SortedColumn {
  const fits = into !== undefined && into.order.length >= m && into.blockStart.length >= m;
  return fits ? { order: into.order.subarray(0, m), blockStart: into.blockStart.subarray(0, m) } : { order: new Int32Array(m), blockStart: new Uint8Array(m) };
}

/**
 * Digits of the kernel's radix sort: RADIX_PASSES passes of RADIX_BITS bits (66 bits: all 64 of a
 * key). 2,048 buckets a pass: with 16-bit digits an asset's 84,000 residuals were scattered over
 * 65,536 buckets (about one row each) and each sort took 2.5 ms instead of 1.9 ms (W1, per call).
 */
const RADIX_BITS = 11;
const RADIX_PASSES = 6;

/**
 * sortColumn as the WebAssembly kernel (stats/wasm/research.wat `sort`): the same order and tie
 * blocks (a stable sort by the same keys). Its working arrays are taken from the heap and given
 * back; the result goes into `into` when it is in the heap and long enough, else it is copied out as
 * sortColumn would return it. null: the heap is full (sortColumn then sorts in TypeScript).
 */
function sortKernel(values: Float64Array, into: SortedColumn | undefined, heap: KernelHeap): SortedColumn | null {
  const n = values.length;
  return heap.withTemps((t) => {
    const v = t.address(values);
    // working arrays written before they are read (not cleared); the histograms start at zero
    const keys = t.alloc(Float64Array, n, false);
    const keys2 = t.alloc(Float64Array, n, false);
    const rows = t.alloc(Int32Array, n, false);
    const rows2 = t.alloc(Int32Array, n, false);
    const hist = t.alloc(Int32Array, RADIX_PASSES << RADIX_BITS);
    const direct = into !== undefined && heap.owns(into.order) && heap.owns(into.blockStart) && into.order.length >= n && into.blockStart.length >= n;
    const order = direct ? into.order : t.alloc(Int32Array, n, false);
    const bs = direct ? into.blockStart : t.alloc(Uint8Array, n, false);
    if (v === null || !keys || !keys2 || !rows || !rows2 || !hist || !order || !bs) return null;
    const m = heap.k.sort(n, v, keys.byteOffset, keys2.byteOffset, rows.byteOffset, rows2.byteOffset, hist.byteOffset, RADIX_BITS, RADIX_PASSES, order.byteOffset, bs.byteOffset);
    if (direct) return { order: order.subarray(0, m), blockStart: bs.subarray(0, m) };
    const out = resultArrays(into, m);
    out.order.set(order.subarray(0, m));
    out.blockStart.set(bs.subarray(0, m));
    return out;
  });
}

/**
 * longRunVarianceFast (hac = 0) or hacSum (hac = 1: lrv is the sum) as the kernel `lrv` (x in the
 * heap, n > 0, L an integer); null when its working arrays do not fit.
 */
function lrvKernel(x: Float64Array, L: number, heap: KernelHeap, hac: 0 | 1): { gamma0: number; lrv: number } | null {
  const n = x.length;
  const direct = L <= DIRECT_LAGS;
  // working arrays kept by the heap (the series' length changes from cell to cell)
  const out = heap.scratch('lrv.out', Float64Array, 2);
  const z = direct ? out : heap.scratch('lrv.z', Float64Array, n);
  const P = direct ? out : heap.scratch('lrv.P', Float64Array, n + 1);
  if (!out || !z || !P) return null;
  heap.k.lrv(x.byteOffset, n, L, direct ? 1 : 0, z.byteOffset, P.byteOffset, out.byteOffset, hac);
  return { gamma0: out[0]!, lrv: out[1]! };
}

/** One grouping: a group id per row (-1 = not in any group) and the number of groups. */
export interface Grouping {
  group: Int32Array;
  size: number;
}

/** Up to this many lags the long-run variance is the direct O(n L) sum (ic.longRunVariance). */
export const DIRECT_LAGS = 32;

/** Working arrays of the Newey-West sums (one set per thread, grown as needed; see `work`). */
const lrvWork = { z: new Float64Array(0), P: new Float64Array(0) };

/** Box-kernel form of sum_{s,t} w(|s - t|) z_s z_t with Bartlett weights w(k) = 1 - k / (L + 1). */
function boxKernelSum(z: Float64Array, L: number): number {
  const n = z.length;
  if (lrvWork.P.length < n + 1) lrvWork.P = new Float64Array(n + 1);
  const P = lrvWork.P;
  P[0] = 0;
  for (let i = 0; i < n; i++) P[i + 1] = P[i]! + z[i]!;
  let s = 0;
  for (let m = -L; m < n; m++) {
    const a = m < 0 ? 0 : m;
    const b = m + L + 1 > n ? n : m + L + 1;
    const w = P[b]! - P[a]!;
    s += w * w;
  }
  return s / (L + 1);
}

/**
 * ic.longRunVariance in O(n + L) (see the module comment). With a heap that holds `x`, the same
 * sums (direct or box kernel) as the WebAssembly kernel `lrv`, bit for bit.
 */
export function longRunVarianceFast(x: Float64Array, lags: number, heap?: KernelHeap | null): { gamma0: number; lrv: number } {
  const n = x.length;
  const L = Math.max(0, Math.min(Math.floor(lags), n - 1));
  if (heap && n > 0 && Number.isInteger(L) && heap.owns(x)) {
    const r = lrvKernel(x, L, heap, 0);
    if (r) return r;
  }
  if (n === 0 || L <= DIRECT_LAGS) return longRunVariance(x, lags);
  const m = mean(x);
  if (lrvWork.z.length < n) lrvWork.z = new Float64Array(n);
  const z = lrvWork.z.subarray(0, n);
  let g0 = 0;
  for (let t = 0; t < n; t++) {
    const d = x[t]! - m;
    z[t] = d;
    g0 += d * d;
  }
  return { gamma0: g0 / n, lrv: Math.max(boxKernelSum(z, L) / n, 0) };
}

/**
 * sum_t d_t^2 + 2 sum_{k=1}^{L} (1 - k / (L + 1)) sum_t d_t d_{t-k} of an uncentred series (the
 * Newey-West variance of a sum, as buckets.bucketStats computes it per asset).
 */
export function hacSum(d: Float64Array, lags: number, heap?: KernelHeap | null): number {
  const L = Math.max(0, Math.floor(lags));
  const n = d.length;
  // (the kernel's window ends reach n + L: int32)
  if (heap && n > 0 && Number.isInteger(L) && L + n < 2 ** 31 - 2 && heap.owns(d)) {
    const r = lrvKernel(d, L, heap, 1);
    if (r) return r.lrv;
  }
  if (L > DIRECT_LAGS && n > 0) return boxKernelSum(d, L);
  let v = 0;
  for (let i = 0; i < n; i++) v += d[i]! * d[i]!;
  for (let lag = 1; lag <= L; lag++) {
    const w = 1 - lag / (L + 1);
    let s = 0;
    for (let i = lag; i < n; i++) s += d[i]! * d[i - lag]!;
    v += 2 * w * s;
  }
  return v;
}

/** Dense integer rank keys 0..d-1 of finite values (equal values share a key; -1 where not finite). */
export function denseKeys(values: Float64Array): Int32Array {
  const { order, blockStart } = sortColumn(values);
  const out = new Int32Array(values.length).fill(-1);
  let k = -1;
  for (let p = 0; p < order.length; p++) {
    if (blockStart[p] === 1) k++;
    out[order[p]!] = k;
  }
  return out;
}

/** Sorted distinct values of an array and the index of each value among them. */
export function uniqueIndex(values: Float64Array): { unique: Float64Array; index: Int32Array } {
  const s = Float64Array.from(values).sort();
  const u: number[] = [];
  for (let i = 0; i < s.length; i++) if (i === 0 || s[i] !== s[i - 1]) u.push(s[i]!);
  const unique = Float64Array.from(u);
  const index = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    let lo = 0;
    let hi = unique.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (unique[mid]! < v) lo = mid + 1;
      else hi = mid;
    }
    index[i] = lo;
  }
  return { unique, index };
}
