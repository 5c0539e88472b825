import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RESEARCH_CONFIG, REGIME_DIMENSIONS, type ResearchConfig } from '../../src/domain/research.js';
import { regimeMasks } from '../../src/services/research/cells.js';
import { buildGridIndex, gridFeatureHorizon } from '../../src/services/research/grid.js';
import { mulberry32 } from '../../src/stats/random.js';
import { groupSumsOf, makeGroupSet, orderedTable, rankByAsset, rankSide, sideRanksFor, type GroupSet, type GroupingSpec } from '../../src/stats/research-fused.js';
import { DIRECT_LAGS, hacSum, longRunVarianceFast, sortColumn, type SortedColumn } from '../../src/stats/research-kernels.js';
import { KernelHeap } from '../../src/stats/wasm/heap.js';
import { walkForwardResidualsFast, type WalkForwardLabelSide } from '../../src/stats/research-incremental.js';
import type { WalkForwardResiduals } from '../../src/stats/incremental.js';
import { RESEARCH_WASM } from '../../src/stats/wasm/research-wasm.js';
// @ts-expect-error: a plain ES module script without types
import { compileWat } from '../../scripts/build-wasm.mjs';
import { panelOf, series } from '../research/grid-panel.js';

// The WebAssembly kernels (src/stats/wasm/research.wat) against the TypeScript loops they replace:
// the same results bit for bit, on awkward inputs (ties, missing values, rows in no group, special
// doubles), and the TypeScript loops whenever an array is not in the heap or the heap is full.

const bits = (a: ArrayLike<number>): string => Buffer.from(Float64Array.from(a).buffer).toString('hex');

function sameSorted(a: SortedColumn, b: SortedColumn): void {
  expect(b.order.length).toBe(a.order.length);
  expect(Array.from(b.order)).toEqual(Array.from(a.order));
  expect(Array.from(b.blockStart)).toEqual(Array.from(a.blockStart));
}

/** Random groupings over N rows: sizes 1..7 groups, about 1 row in 8 in no group; the first `pooled` have cells. */
function groupings(N: number, K: number, pooled: number, rnd: () => number): GroupingSpec[] {
  return Array.from({ length: K }, (_, k) => {
    const size = 1 + Math.floor(rnd() * 7);
    const group = Int32Array.from({ length: N }, () => (rnd() < 0.125 ? -1 : Math.floor(rnd() * size)));
    return k < pooled ? { group, size, cells: 1 } : { group, size };
  });
}

/** A column with ties (values on a coarse grid), NaN, infinities, -0 and 0. */
function awkward(N: number, rnd: () => number): Float64Array {
  return Float64Array.from({ length: N }, () => {
    const u = rnd();
    if (u < 0.05) return Number.NaN;
    if (u < 0.07) return u < 0.06 ? Infinity : -Infinity;
    if (u < 0.1) return u < 0.085 ? -0 : 0;
    return Math.round((rnd() - 0.5) * 40) / 8;
  });
}

describe('WebAssembly research kernels', () => {
  it('the committed module is the compile of research.wat (run `npm run build:wasm` after editing it)', async () => {
    const bytes = (await compileWat()) as Buffer;
    expect(Buffer.from(RESEARCH_WASM, 'base64').equals(bytes)).toBe(true);
    expect(readFileSync(new URL('../../src/stats/wasm/research.wat', import.meta.url), 'utf8')).toContain('(export "rank")');
  });

  it('rankByAsset: each asset sorted and ranked on its own gives rankSide\'s ranks, counts and tie sums over one sort of every row, bit for bit', () => {
    const rnd = mulberry32(17);
    // assets of unequal lengths (one empty, one of a single row), values tied within and across assets
    const lengths = [700, 0, 1, 950, 333];
    const offsets = Int32Array.from([0, ...lengths.map((_, k) => lengths.slice(0, k + 1).reduce((a, b) => a + b, 0))]);
    const N = offsets[offsets.length - 1]!;
    const assetOf = Int32Array.from({ length: N }, (_, i) => offsets.findIndex((o, k) => i >= o && i < offsets[k + 1]!));
    const values = awkward(N, rnd);
    const valid = Uint8Array.from(values, (v) => (Number.isFinite(v) && rnd() < 0.9 ? 1 : 0));
    const plainSet = makeGroupSet(N, [{ group: assetOf, size: lengths.length, cells: 1 }], 1, 10);
    const want = rankSide(plainSet, sortColumn(values), valid);
    const heap = KernelHeap.create(1 << 24)!;
    const set = makeGroupSet(N, [{ group: assetOf, size: lengths.length, cells: 1 }], 1, 10, heap);
    const into = { order: heap.alloc(Int32Array, N)!, blockStart: heap.alloc(Uint8Array, N)! };
    const out = sideRanksFor(set);
    // garbage in the outputs and the sort arrays: every entry read is written first
    out.r.fill(-7);
    out.cnt.fill(3);
    out.ties.fill(2.5);
    into.order.fill(99);
    const parts = rankByAsset(set, offsets, values, into, valid, out);
    expect(parts.length).toBe(lengths.length);
    parts.forEach((p, a) => expect(p.order.length).toBe(Array.from(values.subarray(offsets[a]!, offsets[a + 1]!)).filter(Number.isFinite).length));
    const r = (x: typeof out): number[] => Array.from(x.r).map((v, i) => (x.valid[i] === 1 ? v : 0));
    expect(r(out)).toEqual(r(want));
    expect(Array.from(out.cnt)).toEqual(Array.from(want.cnt));
    expect(bits(out.ties)).toBe(bits(want.ties));
    expect(want.ties.some((t) => t > 0)).toBe(true);
    // without the heap: one sort of every row, the same numbers
    const again = sideRanksFor(plainSet);
    rankByAsset(plainSet, offsets, values, { order: new Int32Array(N), blockStart: new Uint8Array(N) }, valid, again);
    expect(r(again)).toEqual(r(want));
    expect(bits(again.ties)).toBe(bits(want.ties));
  });

  it('sort: the same order and tie blocks as the TypeScript radix sort, into the heap or copied out', () => {
    const heap = KernelHeap.create(1 << 24)!;
    const rnd = mulberry32(7);
    const cols = [
      awkward(5000, rnd),
      Float64Array.from({ length: 3000 }, () => rnd() - 0.5),
      // as long as the one before: its working arrays are reused as that sort left them
      Float64Array.from({ length: 3000 }, () => (rnd() < 0.1 ? -0 : Math.round(rnd() * 30) - 15)),
      Float64Array.from([5e-324, -5e-324, 0, -0, 1.7976931348623157e308, -1.7976931348623157e308, Number.NaN, 2, 2, -2, -2]),
      new Float64Array(0),
      Float64Array.from([Number.NaN, Infinity]),
    ];
    for (const v of cols) {
      const want = sortColumn(v);
      sameSorted(want, sortColumn(v, undefined, heap));
      const into = { order: heap.alloc(Int32Array, v.length)!, blockStart: heap.alloc(Uint8Array, v.length)! };
      const got = sortColumn(v, into, heap);
      sameSorted(want, got);
      if (want.order.length) expect(got.order.buffer).toBe(into.order.buffer);
      // a caller's plain arrays: the result is written into them
      const plain = { order: new Int32Array(v.length + 3), blockStart: new Uint8Array(v.length + 3) };
      const got2 = sortColumn(v, plain, heap);
      sameSorted(want, got2);
      expect(got2.order.buffer).toBe(plain.order.buffer);
    }
  });

  it('Newey-West long-run variance: the direct sum and the box kernel, equal to the TypeScript sums bit for bit', () => {
    const heap = KernelHeap.create(1 << 22)!;
    const rnd = mulberry32(3);
    let box = 0;
    // the kernel's working arrays hold garbage before it writes them
    for (const key of ['lrv.out', 'lrv.z', 'lrv.P']) heap.scratch(key, Float64Array, 2000)!.fill(Number.NaN);
    for (const n of [1, 2, 3, 40, 1200]) {
      const plain = Float64Array.from({ length: n }, (_, i) => Math.sin(i / 7) + rnd() - 0.5);
      const x = heap.alloc(Float64Array, n)!;
      x.set(plain);
      for (const lags of [0, 1, 5, DIRECT_LAGS, DIRECT_LAGS + 1, 100, n - 1, n + 10, 2.7, Number.NaN]) {
        const want = longRunVarianceFast(plain, lags);
        const got = longRunVarianceFast(x, lags, heap);
        expect(bits([got.gamma0, got.lrv])).toBe(bits([want.gamma0, want.lrv]));
        if (Math.min(Math.floor(lags), n - 1) > DIRECT_LAGS) box++;
      }
    }
    expect(box).toBeGreaterThan(3);
    // hacSum (uncentred, not divided by n), direct and box, lags beyond the series too
    for (const n of [1, 7, 900]) {
      const plain = Float64Array.from({ length: n }, () => rnd() - 0.3);
      const x = heap.alloc(Float64Array, n)!;
      x.set(plain);
      for (const lags of [0, 3, DIRECT_LAGS, DIRECT_LAGS + 1, 250, n + 40]) expect(bits([hacSum(x, lags, heap)])).toBe(bits([hacSum(plain, lags)]));
    }
    // an empty series and a series outside the heap: the TypeScript sums
    expect(longRunVarianceFast(new Float64Array(0), 3, heap).gamma0).toBeNaN();
  });

  it('sort: -0 ties with 0, and ties keep row order', () => {
    const heap = KernelHeap.create(1 << 22)!;
    const s = sortColumn(Float64Array.from([0, -1, -0, 3, 0, -1]), undefined, heap);
    expect(Array.from(s.order)).toEqual([1, 5, 0, 2, 4, 3]);
    expect(Array.from(s.blockStart)).toEqual([1, 0, 1, 0, 0, 1]);
  });

  const N = 4000;
  /** wide: one more grouping of 70,000 groups (more than a uint16 table holds: the int32 table) */
  const make = (heap: KernelHeap | null, seed: number, wide = false): { set: GroupSet; x: Float64Array; y: Float64Array; valid: Uint8Array; tIdx: Int32Array; sign: Int8Array } => {
    const rnd = mulberry32(seed);
    // x without ties (the rank kernel's single-value path), y with many
    const x = Float64Array.from({ length: N }, () => (rnd() < 0.05 ? Number.NaN : rnd() - 0.5));
    const y = awkward(N, rnd);
    const valid = Uint8Array.from(x, (v, i) => (Number.isFinite(v) && Number.isFinite(y[i]!) && rnd() > 0.1 ? 1 : 0));
    // a pooled group with 2 valid rows: no contributions (its rows are taken out of the series' counts)
    const gs = groupings(N, 9, 4, mulberry32(seed + 1));
    let kept = 0;
    for (let i = 0; i < N; i++) if (gs[1]!.group[i] === 0 && (valid[i] !== 1 || kept++ >= 2)) gs[1]!.group[i] = -1;
    // rows spread over the high groups too (the last ones need 17 bits), some in none
    if (wide) gs.push({ group: Int32Array.from({ length: N }, (_, i) => (i % 11 === 0 ? -1 : (i * 7919) % 70_000)), size: 70_000 });
    const set = makeGroupSet(N, gs, 4, 37, heap);
    const tIdx = Int32Array.from({ length: N }, (_, i) => Math.floor((i * 37) / N));
    const sign = Int8Array.from(x, (v, i) => Math.sign(v) * Math.sign(y[i]!));
    return { set, x, y, valid, tIdx, sign };
  };

  it('rank, reorder and sums: equal to the TypeScript loops bit for bit (uint16 tables; int32 ones, which only the TypeScript loops read, from the heap; ordered and unordered, with and without signs)', () => {
    for (const [seed, wide] of [[1, false], [2, false], [3, false], [4, true], [5, true]] as const) {
      const heap = KernelHeap.create(1 << 26)!;
      const w = make(heap, seed, wide);
      const t = make(null, seed, wide);
      expect(w.set.heap).toBe(heap);
      expect(heap.owns(w.set.table)).toBe(true);
      // up to 65,535 groups a uint16 table (entries: 1 + the group, 0 = none), else int32
      expect(w.set.table).toBeInstanceOf(wide ? Int32Array : Uint16Array);
      expect(t.set.table).toBeInstanceOf(wide ? Int32Array : Uint16Array);
      expect(Array.from(w.set.table)).toEqual(Array.from(t.set.table));
      const sx = sortColumn(w.x);
      const sy = sortColumn(w.y);
      // ordered tables
      const otW = orderedTable(w.set, sy);
      const otT = orderedTable(t.set, sy);
      expect(heap.owns(otW)).toBe(true);
      expect(Array.from(otW)).toEqual(Array.from(otT));
      // ranks: the feature side over the set's table, the label side over its ordered table
      const side = (set: GroupSet, ordered: boolean): ReturnType<typeof rankSide>[] => [
        rankSide(set, sx, w.valid, sideRanksFor(set)),
        rankSide(set, ordered ? { col: sy, table: orderedTable(set, sy) } : sy, w.valid, sideRanksFor(set)),
      ];
      const rw = side(w.set, true);
      const rt = side(t.set, true);
      for (let s = 0; s < 2; s++) {
        expect(heap.owns(rw[s]!.r)).toBe(true);
        // ranks are defined for valid rows in a group only: compare those
        const K = w.set.K;
        const diff: string[] = [];
        for (let i = 0; i < N; i++) {
          if (w.valid[i] !== 1) continue;
          for (let k = 0; k < K; k++) if (w.set.table[i * K + k]! > 0 && rw[s]!.r[i * K + k] !== rt[s]!.r[i * K + k]) diff.push(`${s}:${i}:${k}`);
        }
        expect(diff).toEqual([]);
        expect(Array.from(rw[s]!.cnt)).toEqual(Array.from(rt[s]!.cnt));
        expect(bits(rw[s]!.ties)).toBe(bits(rt[s]!.ties));
      }
      // there are ties to average on the label side, none on the feature side
      expect(rt[1]!.ties.some((v) => v > 0)).toBe(true);
      expect(rt[0]!.ties.every((v) => v === 0)).toBe(true);
      // the label side over the unordered table gives the same ranks
      const ru = side(w.set, false)[1]!;
      expect(Array.from(ru.cnt)).toEqual(Array.from(rt[1]!.cnt));
      for (const sign of [w.sign, null]) {
        const a = groupSumsOf(w.set, rw[0]!, rw[1]!, w.tIdx, sign);
        const snap = (s: typeof a): Record<string, string> => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, bits(v as ArrayLike<number>)]));
        const gotW = snap(a);
        const gotT = snap(groupSumsOf(t.set, rt[0]!, rt[1]!, t.tIdx, sign));
        expect(gotW).toEqual(gotT);
        if (sign) expect(a.neg.some((v) => v > 0) && a.pos.some((v) => v > 0)).toBe(true);
        else expect(a.pos.every((v) => v === 0)).toBe(true);
        // the small group's 2 rows are counted with the ranks and taken out of the series' counts (the kernel's subtracting pass)
        expect(a.cnt[w.set.off[1]!]).toBe(2);
        expect(Array.from(a.tcnt)).not.toEqual(Array.from(rw[0]!.tcnt!.counts));
      }
    }
  });

  it('a table is uint16 up to 65,535 groups in all (the last group stored as 65,535), int32 from 65,536; the kernels read the uint16 one', () => {
    for (const [size, type] of [[65_535, Uint16Array], [65_536, Int32Array]] as const) {
      // two groupings: 35 groups, then the rest; rows in the last group, the first, and none
      const n = 64;
      const a = Int32Array.from({ length: n }, (_, i) => i % 35);
      const b = Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? size - 36 : i % 3 === 1 ? 0 : -1));
      const heap = KernelHeap.create(1 << 24)!;
      const set = makeGroupSet(n, [{ group: a, size: 35, cells: 1 }, { group: b, size: size - 35 }], 1, 4, heap);
      const plain = makeGroupSet(n, [{ group: a, size: 35, cells: 1 }, { group: b, size: size - 35 }], 1, 4, null);
      expect(set.table).toBeInstanceOf(type);
      expect(set.table[0 * 2 + 1]).toBe(size); // row 0: the last group, 35 + (size - 36), stored + 1
      expect(set.table[1 * 2 + 1]).toBe(36);
      expect(set.table[2 * 2 + 1]).toBe(0);
      // the same ranks by the kernel (uint16) or the loops (int32) as without the heap
      const x = Float64Array.from({ length: n }, (_, i) => ((i * 37) % 64) / 7);
      const sx = sortColumn(x);
      const valid = new Uint8Array(n).fill(1);
      const got = rankSide(set, sx, valid, sideRanksFor(set));
      const want = rankSide(plain, sx, valid, sideRanksFor(plain));
      expect(Array.from(got.cnt)).toEqual(Array.from(want.cnt));
      expect(got.cnt[35 + size - 36]).toBe(22);
      for (let i = 0; i < n; i++) for (let k = 0; k < 2; k++) if (set.table[i * 2 + k]! > 0) expect(got.r[i * 2 + k]).toBe(want.r[i * 2 + k]);
    }
  });

  it('arrays across and above 2 GiB in the heap (addresses past 2^31 are negative as int32): the same sorts, ranks and sums', () => {
    const heap = KernelHeap.create(2 ** 31 + (1 << 24));
    expect(heap).not.toBeNull();
    // a block of almost 2 GiB never written (its pages are not backed), then the set: its table
    // crosses 2^31 inside a row (uint16: 18 bytes a row), the arrays after it are above
    expect(heap!.alloc(Uint8Array, 2 ** 31 - 36_864)).not.toBeNull();
    const w = make(heap, 10);
    const t = make(null, 10);
    const tab = w.set.table;
    expect(tab.byteOffset).toBeLessThan(2 ** 31);
    expect(tab.byteOffset + tab.byteLength).toBeGreaterThan(2 ** 31);
    // the row that crosses 2^31 is used (valid): its end address is negative as int32
    const cross = Math.floor((2 ** 31 - tab.byteOffset) / (tab.BYTES_PER_ELEMENT * w.set.K));
    expect((2 ** 31 - tab.byteOffset) % (tab.BYTES_PER_ELEMENT * w.set.K)).not.toBe(0);
    expect(w.valid[cross]).toBe(1);
    const into = { order: heap!.alloc(Int32Array, N)!, blockStart: heap!.alloc(Uint8Array, N)! };
    const sx = sortColumn(w.x, into, heap);
    sameSorted(sortColumn(t.x), sx);
    const sy = sortColumn(t.y);
    const rw = [rankSide(w.set, sx, w.valid, sideRanksFor(w.set)), rankSide(w.set, { col: sy, table: orderedTable(w.set, sy) }, w.valid, sideRanksFor(w.set))];
    const rt = [rankSide(t.set, sx, t.valid, sideRanksFor(t.set)), rankSide(t.set, { col: sy, table: orderedTable(t.set, sy) }, t.valid, sideRanksFor(t.set))];
    expect(heap!.owns(rw[1]!.r) && rw[1]!.r.byteOffset > 2 ** 31).toBe(true);
    for (let s = 0; s < 2; s++) {
      expect(Array.from(rw[s]!.cnt)).toEqual(Array.from(rt[s]!.cnt));
      expect(bits(rw[s]!.ties)).toBe(bits(rt[s]!.ties));
    }
    expect(bits(groupSumsOf(w.set, rw[0]!, rw[1]!, w.tIdx, w.sign).sxy)).toBe(bits(groupSumsOf(t.set, rt[0]!, rt[1]!, t.tIdx, t.sign).sxy));
  });

  it('a full heap: allocations fall back to plain arrays and the TypeScript loops give the same sums', () => {
    const tiny = KernelHeap.create(0)!; // two pages: the set's table (int32, 144 KB) does not fit
    const w = make(tiny, 4, true);
    const t = make(null, 4, true);
    expect(tiny.owns(w.set.table)).toBe(false);
    const a = groupSumsOf(w.set, rankSide(w.set, sortColumn(w.x, undefined, tiny), w.valid), rankSide(w.set, sortColumn(w.y, undefined, tiny), w.valid), w.tIdx, w.sign);
    const b = groupSumsOf(t.set, rankSide(t.set, sortColumn(t.x), t.valid), rankSide(t.set, sortColumn(t.y), t.valid), t.tIdx, t.sign);
    expect(bits(a.sxy)).toBe(bits(b.sxy));
    expect(bits(a.tsum)).toBe(bits(b.tsum));
  });

  it('heap: blocks are reused by size and zeroed, plain arrays are not taken back, an oversized request is null', () => {
    const heap = KernelHeap.create(1 << 20)!;
    const a = heap.alloc(Int32Array, 1000)!;
    a.fill(7);
    const at = a.byteOffset;
    heap.release(a);
    const b = heap.alloc(Int32Array, 1000)!;
    expect(b.byteOffset).toBe(at);
    expect(b.every((v) => v === 0)).toBe(true);
    const c = heap.alloc(Float64Array, 10)!;
    expect(c.byteOffset).not.toBe(at);
    heap.release(new Int32Array(1000)); // ignored
    expect(heap.alloc(Int32Array, 1000)!.byteOffset).not.toBe(at);
    expect(heap.alloc(Uint8Array, heap.bytes)).toBeNull();
    expect(heap.array(Uint8Array, heap.bytes).buffer).not.toBe(b.buffer);
    const temps: Int32Array[] = [];
    const src = Int32Array.from([1, 2, 3]);
    const addr = heap.addressOf(src, temps)!;
    expect(temps).toHaveLength(1);
    expect(Array.from(new Int32Array(b.buffer, addr, 3))).toEqual([1, 2, 3]);
    expect(heap.addressOf(b, temps)).toBe(b.byteOffset);
    expect(temps).toHaveLength(1);
    expect(KernelHeap.create(2 ** 33)).toBeNull();
    expect(KernelHeap.create(KernelHeap.MAX_BYTES)!.bytes).toBeGreaterThanOrEqual(KernelHeap.MAX_BYTES);
    // a view from a block's start gives the whole block back; a view from inside it, or a second release, is ignored
    const big = heap.alloc(Float64Array, 500)!;
    heap.release(big.subarray(100));
    heap.release(big.subarray(0, 10));
    heap.release(big.subarray(0, 10));
    const again = heap.alloc(Float64Array, 500)!;
    expect(again.byteOffset).toBe(big.byteOffset);
    expect(heap.alloc(Float64Array, 500)!.byteOffset).not.toBe(big.byteOffset);
  });

  it('heap scratch: one block per key, grown only when a longer array is asked for', () => {
    const heap = KernelHeap.create(1 << 20)!;
    const a = heap.scratch('k', Float64Array, 100)!;
    const used = heap.used;
    for (const n of [10, 99, 100, 37]) {
      const b = heap.scratch('k', Float64Array, n)!;
      expect(b.length).toBe(n);
      expect(b.byteOffset).toBe(a.byteOffset);
    }
    expect(heap.used).toBe(used);
    const c = heap.scratch('k', Float64Array, 101)!;
    expect(c.length).toBe(101);
    expect(heap.scratch('k', Float64Array, 150)!.byteOffset).toBe(c.byteOffset); // grown by half
    expect(heap.scratch('other', Int32Array, 100)!.byteOffset).not.toBe(c.byteOffset);
    expect(heap.scratch('k', Float64Array, 1 << 20)).toBeNull();
  });

  it('walk-forward loops: equal to the TypeScript loops bit for bit, with the label side kept or rebuilt, the columns in the heap or copied there, and a full heap', () => {
    const rnd = mulberry32(31);
    const z = (): number => rnd() + rnd() + rnd() - 1.5;
    const n = 1500;
    const heap = KernelHeap.create(1 << 24)!;
    const inHeap = (a: Float64Array): Float64Array => {
      const v = heap.alloc(Float64Array, a.length)!;
      v.set(a);
      return v;
    };
    const time = Float64Array.from({ length: n }, (_, i) => i * 60_000 + (i > 700 ? 3_600_000 : 0));
    // rows the regressions cannot use: NaN and infinite labels, an infinite time, NaN and infinite baselines
    const label = Float64Array.from({ length: n }, (_, i) => (i % 89 === 3 ? Number.NaN : i % 97 === 5 ? -Infinity : z()));
    time[n - 1] = Infinity; // (the last: the times stay in order, else both paths take the plain loops)
    const baseline = [0, 1, 2].map((b) => Float64Array.from({ length: n }, (_, i) => (rnd() < 0.02 ? Number.NaN : i % 101 === 7 + b ? Infinity : z() * (b + 1))));
    // the feature finite where the label is not (only the label's check drops those rows)
    const f1 = Float64Array.from({ length: n }, (_, i) => (i < 40 ? Number.NaN : 0.3 * (Number.isFinite(label[i]!) ? label[i]! : 0) + z()));
    const f2 = Float64Array.from(f1, (v) => (Number.isFinite(v) ? -0.7 * v + z() : Number.NaN));
    const f3 = Float64Array.from(f2, (v, i) => (i === 900 || i === 1200 ? Infinity : v));
    const hTime = inHeap(time);
    const hLabel = inHeap(label);
    const hBase = baseline.map(inHeap);
    const cacheW: { side: WalkForwardLabelSide | null } = { side: null };
    const cacheT: { side: WalkForwardLabelSide | null } = { side: null };
    let intoW: WalkForwardResiduals | undefined;
    let intoT: WalkForwardResiduals | undefined;
    const same = (a: WalkForwardResiduals, b: WalkForwardResiduals): void => {
      for (const k of ['feature_resid', 'label_resid', 'pred_base', 'pred_full'] as const) expect(bits(a[k])).toBe(bits(b[k]));
      expect(Array.from(a.fold)).toEqual(Array.from(b.fold));
      expect([a.folds_used, a.r2_oos_base, a.r2_oos_full, a.r2_lift]).toEqual([b.folds_used, b.r2_oos_base, b.r2_oos_full, b.r2_lift]);
    };
    const sides: Array<WalkForwardLabelSide | null> = [];
    for (const [f, heapCols] of [
      [f1, true],
      [f2, true], // the same rows: the label side is kept
      [f3, true], // two rows fewer: rebuilt
      [f1, false], // columns outside the heap: copied there for the call
      [f2, true],
    ] as const) {
      const x = heapCols ? inHeap(f) : f;
      const inpW = heapCols ? { time: hTime, feature: x, label: hLabel, baseline: hBase } : { time, feature: x, label, baseline };
      const w = walkForwardResidualsFast(inpW, 4, 300_000, cacheW, intoW, heap);
      const t = walkForwardResidualsFast({ time, feature: f, label, baseline }, 4, 300_000, cacheT, intoT);
      same(w, t);
      expect(w.folds_used).toBe(4);
      expect(heap.owns(w.feature_resid)).toBe(true);
      expect(heap.owns(cacheW.side!.okRows) && heap.owns(cacheW.side!.pb)).toBe(true);
      expect(bits(cacheW.side!.pb)).toBe(bits(cacheT.side!.pb));
      sides.push(cacheW.side);
      intoW = w;
      intoT = t;
    }
    expect(sides[1]).toBe(sides[0]);
    expect(sides[2]).not.toBe(sides[1]);
    // a label side kept from a run without the heap (plain arrays), used and then rebuilt with the
    // same number of rows by runs with it: the kernels that would read its arrays run the TypeScript loops
    const mixed: { side: WalkForwardLabelSide | null } = { side: null };
    const inpH = (f: Float64Array): Parameters<typeof walkForwardResidualsFast>[0] => ({ time: hTime, feature: inHeap(f), label: hLabel, baseline: hBase });
    walkForwardResidualsFast(inpH(f1), 4, 300_000, mixed);
    const plainSide = mixed.side!;
    expect(heap.owns(plainSide.okRows)).toBe(false);
    same(walkForwardResidualsFast(inpH(f2), 4, 300_000, mixed, undefined, heap), walkForwardResidualsFast({ time, feature: f2, label, baseline }, 4, 300_000));
    expect(mixed.side).toBe(plainSide);
    // other rows, as many: one usable row gains the feature, another loses it
    const usable = (i: number): boolean => [label[i]!, time[i]!, ...baseline.map((b) => b[i]!)].every((v) => Number.isFinite(v));
    const gain = [...Array(40).keys()].find(usable)!;
    const lose = [...Array(n).keys()].find((i) => i >= 40 && usable(i) && Number.isFinite(f2[i]!))!;
    const f4 = Float64Array.from(f2, (v, i) => (i === gain ? 0.25 : i === lose ? Number.NaN : v));
    same(walkForwardResidualsFast(inpH(f4), 4, 300_000, mixed, undefined, heap), walkForwardResidualsFast({ time, feature: f4, label, baseline }, 4, 300_000));
    expect(mixed.side).not.toBe(plainSide);
    expect(mixed.side!.okRows.length).toBe(plainSide.okRows.length);
    // a full heap: the TypeScript loops, the same numbers
    const tiny = KernelHeap.create(0)!;
    same(walkForwardResidualsFast({ time, feature: f2, label, baseline }, 4, 300_000, { side: null }, undefined, tiny), walkForwardResidualsFast({ time, feature: f2, label, baseline }, 4, 300_000));
  });

  it('the research grid with and without the kernels: the same cells, bit for bit', () => {
    const evalP = panelOf([series('AAA', 1600, 0, 1), series('BBB', 1500, 150, 2), series('CCC', 1600, 0, 3)]);
    const trainP = panelOf([series('AAA', 700, -1000, 11), series('BBB', 700, -1000, 12), series('CCC', 700, -1000, 13)]);
    const train = new Map(trainP.assets.map((a) => [a.symbol, a.features]));
    const cfg: ResearchConfig = { ...DEFAULT_RESEARCH_CONFIG, min_obs_per_cell: 400, ic_period: 'day', min_obs_per_period: 40 };
    const dims = [...REGIME_DIMENSIONS];
    const masks = regimeMasks(evalP, train, dims, cfg);
    const fast = buildGridIndex(evalP, train, masks, dims, cfg);
    const plain = buildGridIndex(evalP, train, masks, dims, cfg, { wasm: false });
    expect(fast.heap).not.toBeNull();
    expect(plain.heap).toBeNull();
    for (const [feature, horizon] of [
      ['basis', '15m'],
      ['basis_z_168', '15m'],
      ['basis', '4h'],
    ] as const) {
      const o = { dims, feature, horizon, horizon_ms: horizon === '15m' ? 900_000 : 14_400_000, lags: 40, cfg };
      const a = gridFeatureHorizon(fast, o);
      const b = gridFeatureHorizon(plain, o);
      expect(a.filter((c) => c.status === 'ok').length).toBeGreaterThan(5);
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    }
    // the heap is sized for the panel: every rank pass ran in it (no fallback to plain arrays)
    const h = fast.heap!;
    expect(h.owns(fast.set.table)).toBe(true);
    expect([...fast.ranks.values()].every((r) => h.owns(r.ranks.r))).toBe(true);
    expect([...fast.cols.values()].every((c) => !c.ranked || h.owns(c.ranked.table))).toBe(true);
    expect(h.used).toBeLessThan(h.bytes);
  });
});
