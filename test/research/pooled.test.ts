import { describe, expect, it } from 'vitest';
import { spearman } from '../../src/stats/descriptive.js';
import { normalArray } from '../../src/stats/random.js';
import { pooledIcTest, quantileOf, sliceSpearman, sortedFinite, subsetSeries, withKeys, type PairSeries } from '../../src/services/research/pooled.js';
import { KernelHeap } from '../../src/stats/wasm/heap.js';

/** Independent pooled IC: per-asset Spearman (descriptive.spearman), contributions by plain loops, NW double loop. */
function independent(series: PairSeries[], L: number): { ic: number; t: number; effN: number; panel: number } {
  const byTime = new Map<number, number[]>();
  const ics: number[] = [];
  for (const s of series) {
    const n = s.x.length;
    const rank = (v: Float64Array): number[] => Array.from(v, (a) => {
      let less = 0;
      let eq = 0;
      for (const b of v) {
        if (b < a) less++;
        else if (b === a) eq++;
      }
      return less + (eq + 1) / 2;
    });
    const z = (r: number[]): number[] => {
      const m = r.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(r.reduce((a, b) => a + (b - m) ** 2, 0) / n);
      return r.map((v) => (v - m) / sd);
    };
    const zx = z(rank(s.x));
    const zy = z(rank(s.y));
    ics.push(spearman(s.x, s.y));
    for (let i = 0; i < n; i++) {
      const t = s.time[i]!;
      byTime.set(t, [...(byTime.get(t) ?? []), zx[i]! * zy[i]!]);
    }
  }
  const times = [...byTime.keys()].sort((a, b) => a - b);
  const u = times.map((t) => {
    const v = byTime.get(t)!;
    return v.reduce((a, b) => a + b, 0) / v.length;
  });
  const T = u.length;
  const m = u.reduce((a, b) => a + b, 0) / T;
  let g0 = 0;
  let lrv = 0;
  for (let i = 0; i < T; i++) {
    g0 += (u[i]! - m) ** 2 / T;
    for (let j = 0; j < T; j++) {
      const k = Math.abs(i - j);
      if (k <= L) lrv += ((1 - k / (L + 1)) * (u[i]! - m) * (u[j]! - m)) / T;
    }
  }
  const ic = ics.reduce((a, b) => a + b, 0) / ics.length;
  const allX = Float64Array.from(series.flatMap((s) => Array.from(s.x)));
  const allY = Float64Array.from(series.flatMap((s) => Array.from(s.y)));
  return { ic, t: ic / Math.sqrt(lrv / T), effN: (T * g0) / lrv, panel: spearman(allX, allY) };
}

function panel(seed: number, n: number, assets: number): PairSeries[] {
  return Array.from({ length: assets }, (_, a) => {
    const f = normalArray(n, seed + 10 * a);
    const e = normalArray(n, seed + 10 * a + 1);
    // Rounded values: ties; assets on partly shared clocks (asset a starts a x 7 steps later).
    const x = Float64Array.from(f, (v) => Math.round(v * 3) / 3);
    const y = Float64Array.from(f, (v, i) => 0.15 * v + e[i]!);
    return { symbol: `A${a}`, time: Float64Array.from({ length: n }, (_, i) => (i + a * 7) * 60_000), x, y };
  });
}

describe('pooled IC with overlap-aware t', () => {
  it('agrees with an independent computation to 1e-9 (per-asset Spearman, stacked panel, NW t, effective N)', () => {
    const s = panel(3, 300, 3);
    const got = pooledIcTest(s, 5);
    const want = independent(s, 5);
    expect(got.ic).toBeCloseTo(want.ic, 9);
    expect(got.ic_panel).toBeCloseTo(want.panel, 9);
    expect(got.t_nw).toBeCloseTo(want.t, 9);
    expect(got.effective_n).toBeCloseTo(Math.min(want.effN, got.time_points), 9);
    expect(got.p_value).toBeGreaterThan(0);
    expect(got.n).toBe(900);
  });
  it('regime subsets ranked by counting sort on the parent keys equal a fresh Spearman of the subset', () => {
    const keyed = withKeys(panel(5, 400, 2));
    const idx = Int32Array.from({ length: 400 }, (_, i) => i).filter((i) => i % 3 !== 0);
    const sub = keyed.map((s) => subsetSeries(s, idx));
    const fromKeys = pooledIcTest(sub, 2);
    const fresh = pooledIcTest(sub.map(({ keys: _k, ...rest }) => rest), 2);
    expect(fromKeys.ic).toBeCloseTo(fresh.ic!, 12);
    expect(fromKeys.ic_panel).toBeCloseTo(fresh.ic_panel!, 12);
    expect(fromKeys.t_nw).toBeCloseTo(fresh.t_nw!, 12);
    const s0 = sub[0]!;
    expect(sliceSpearman(s0, 10, 90)).toBeCloseTo(spearman(s0.x.subarray(10, 90), s0.y.subarray(10, 90)), 12);
  });
});

describe('sortedFinite with the grid heap (radix sort)', () => {
  const bits = (a: Float64Array): number[] => [...new Uint32Array(a.buffer, a.byteOffset, a.length * 2)];
  it('the same array as Float64Array.prototype.sort of the finite values, bit for bit: -0 before 0, duplicates, negatives', () => {
    const heap = KernelHeap.create(1 << 22)!;
    const cases: number[][] = [
      [3, -0, 0, Number.NaN, -1.5, 0, -0, Infinity, 2, -Infinity, 3, -0, 1e-300, -1e-300],
      [0, 0, -0],
      [-0],
      [Number.NaN, Infinity],
      [],
      Array.from({ length: 5000 }, (_, i) => (i % 7 === 0 ? -0 : i % 11 === 0 ? 0 : Math.round(Math.sin(i) * 50) / 10)),
    ];
    for (const c of cases) {
      const plain = sortedFinite(Float64Array.from(c));
      const radix = sortedFinite(Float64Array.from(c), heap);
      expect(bits(radix)).toEqual(bits(plain));
      expect(quantileOf(Float64Array.from(c), 0.3, heap)).toBe(quantileOf(Float64Array.from(c), 0.3));
    }
    // -0 and 0 kept apart: the first zero of the first case is -0, the last 0
    const r = sortedFinite(Float64Array.from(cases[0]!), heap);
    expect(Object.is(r[r.indexOf(0)], -0)).toBe(true);
    expect(Object.is(r[r.lastIndexOf(0)], 0)).toBe(true);
  });
});
