import { describe, it, expect } from 'vitest';
import {
  binomial,
  forEachCombination,
  matrixFromColumns,
  probabilityOfBacktestOverfitting,
  type ReturnMatrix,
} from '../../src/stats/pbo.js';
import { normalArray } from '../../src/stats/random.js';

/** Sharpe (ddof 1) of a plain array, straight from the definition. */
function sharpe(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  return m / Math.sqrt(v);
}

/** CSCV written out literally: concatenate the blocks' rows, compute every Sharpe, rank. */
function referencePbo(m: ReturnMatrix, S: number): { pbo: number; logits: number[] } {
  const bs = Math.floor(m.rows / S);
  const drop = m.rows - bs * S;
  const col = (j: number, blocks: number[]): number[] =>
    blocks.flatMap((b) => Array.from({ length: bs }, (_, i) => m.values[(drop + b * bs + i) * m.cols + j]!));
  const logits: number[] = [];
  forEachCombination(S, S / 2, (subset) => {
    const inS = Array.from(subset);
    const outS = [...Array(S).keys()].filter((b) => !inS.includes(b));
    const isSr = [...Array(m.cols).keys()].map((j) => sharpe(col(j, inS)));
    const oosSr = [...Array(m.cols).keys()].map((j) => sharpe(col(j, outS)));
    const best = isSr.indexOf(Math.max(...isSr));
    const rank = 1 + oosSr.filter((x) => x < oosSr[best]!).length;
    const w = rank / (m.cols + 1);
    logits.push(Math.log(w / (1 - w)));
  });
  return { pbo: logits.filter((l) => l <= 0).length / logits.length, logits };
}

function noise(T: number, N: number, seed: number): ReturnMatrix {
  return { values: normalArray(T * N, seed, 0, 0.01), rows: T, cols: N };
}

describe('combinations', () => {
  it('C(16, 8) = 12,870 and the enumeration visits each subset once', () => {
    expect(binomial(16, 8)).toBe(12870);
    const seen = new Set<string>();
    const n = forEachCombination(16, 8, (s) => seen.add(Array.from(s).join(',')));
    expect(n).toBe(12870);
    expect(seen.size).toBe(12870);
    const r = probabilityOfBacktestOverfitting(noise(160, 3, 1), { blocks: 16 });
    expect(r.combinations).toBe(12870);
    expect(r.logits.length).toBe(12870);
  });
});

describe('PBO hand-checked on a 4 x 3 matrix, S = 2', () => {
  // Block A = rows 0-1, block B = rows 2-3.
  //   strategy 0: A (0.01, 0.03) SR 1.414;  B (-0.01, 0.01) SR 0
  //   strategy 1: A (0.00, 0.02) SR 0.707;  B (0.02, 0.04) SR 2.121
  //   strategy 2: A (-0.02, 0.00) SR -0.707; B (0.00, 0.02) SR 0.707
  // IS = A: best is 0, OOS (B) SRs 0, 2.121, 0.707 -> rank 1, omega 1/4, lambda ln(1/3).
  // IS = B: best is 1, OOS (A) SRs 1.414, 0.707, -0.707 -> rank 2, omega 1/2, lambda 0.
  // Both lambdas <= 0, so PBO = 1.
  const m = matrixFromColumns([
    Float64Array.from([0.01, 0.03, -0.01, 0.01]),
    Float64Array.from([0.0, 0.02, 0.02, 0.04]),
    Float64Array.from([-0.02, 0.0, 0.0, 0.02]),
  ]);
  const r = probabilityOfBacktestOverfitting(m, { blocks: 2 });
  it('logits, ranks and PBO', () => {
    expect(r.combinations).toBe(2);
    expect(Array.from(r.selected)).toEqual([0, 1]);
    expect(r.logits[0]).toBeCloseTo(Math.log(1 / 3), 12);
    expect(Math.abs(r.logits[1]!)).toBeLessThan(1e-12);
    expect(Array.from(r.relative_ranks)).toEqual([0.25, 0.5]);
    expect(r.pbo).toBe(1);
  });
  it('degradation and probability of loss', () => {
    expect(r.is_sharpe[0]).toBeCloseTo(Math.SQRT2, 12);
    expect(r.oos_sharpe[0]).toBeCloseTo(0, 12);
    expect(r.is_sharpe[1]).toBeCloseTo(3 / Math.SQRT2, 12);
    expect(r.oos_sharpe[1]).toBeCloseTo(1 / Math.SQRT2, 12);
    // Two points (1.414, 0) and (2.121, 0.707): slope 1.
    expect(r.degradation.slope!).toBeCloseTo(1, 12);
    expect(r.prob_oos_loss).toBe(0);
  });
});

describe('PBO matches a literal implementation of CSCV', () => {
  it('on random matrices, with dropped rows', () => {
    for (const [T, N, S, seed] of [
      [83, 5, 4, 1],
      [120, 7, 6, 2],
      [64, 4, 8, 3],
    ] as const) {
      const m = noise(T, N, seed);
      const fast = probabilityOfBacktestOverfitting(m, { blocks: S });
      const ref = referencePbo(m, S);
      expect(fast.pbo).toBe(ref.pbo);
      expect(fast.rows_dropped).toBe(T % S);
      ref.logits.forEach((l, i) => expect(Math.abs(fast.logits[i]! - l)).toBeLessThan(1e-9));
    }
  });
});

describe('PBO behaviour', () => {
  it('is near 0.5 on pure noise (mean over 20 matrices, T 480, N 20, S 16)', () => {
    const pbos: number[] = [];
    for (let seed = 1; seed <= 20; seed++) pbos.push(probabilityOfBacktestOverfitting(noise(480, 20, seed), { blocks: 16 }).pbo);
    const avg = pbos.reduce((a, b) => a + b, 0) / pbos.length;
    expect(avg).toBeGreaterThan(0.4);
    expect(avg).toBeLessThan(0.6);
  });

  it('is near 0 when one strategy truly dominates', () => {
    const m = noise(480, 20, 7);
    for (let t = 0; t < m.rows; t++) m.values[t * m.cols + 3]! += 0.005; // Sharpe 0.5 per period vs 0
    const r = probabilityOfBacktestOverfitting(m, { blocks: 16 });
    expect(r.pbo).toBeLessThan(0.01);
    expect(Array.from(r.selected).every((j) => j === 3)).toBe(true);
    expect(r.prob_oos_loss).toBe(0);
  });

  it('validates its inputs', () => {
    expect(() => probabilityOfBacktestOverfitting(noise(100, 5, 1), { blocks: 5 })).toThrow(/even/);
    expect(() => probabilityOfBacktestOverfitting(noise(100, 1, 1), { blocks: 4 })).toThrow(/2 strategies/);
    expect(() => probabilityOfBacktestOverfitting(noise(10, 3, 1), { blocks: 16 })).toThrow(/too few/);
  });

  it('runs the benchmark workload T 1000, N 50, S 16 through all 12,870 combinations', () => {
    // Its speed is measured in bench/pbo.bench.ts, not asserted here (shared, noisy machines).
    const r = probabilityOfBacktestOverfitting(noise(1000, 50, 42), { blocks: 16 });
    expect(r.combinations).toBe(12870);
    expect(r.pbo).toBeGreaterThan(0.2);
    expect(r.pbo).toBeLessThan(0.8);
  });
});
