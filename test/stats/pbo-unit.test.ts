import { describe, expect, it } from 'vitest';
import { binomial, forEachCombination, matrixFromColumns, probabilityOfBacktestOverfitting } from '../../src/stats/pbo.js';

/**
 * PBO's edges by hand: the matrix layout, binomial and combination bounds, the Sharpe of a constant half
 * (+Infinity, -Infinity or 0 by the sign of its mean), out-of-sample ties ranked at the midpoint, the oldest
 * rows dropped so that the blocks divide the rows, and each input refusal.
 */
describe('matrixFromColumns', () => {
  it('lays columns out row-major, refuses ragged columns, and takes none', () => {
    expect(matrixFromColumns([Float64Array.from([1, 2, 3]), Float64Array.from([4, 5, 6])])).toEqual({ values: Float64Array.from([1, 4, 2, 5, 3, 6]), rows: 3, cols: 2 });
    expect(() => matrixFromColumns([Float64Array.from([1, 2]), Float64Array.from([1])])).toThrow('column 1 has 1 rows, expected 2');
    expect(matrixFromColumns([])).toEqual({ values: new Float64Array(0), rows: 0, cols: 0 });
  });
});

describe('binomial and combinations', () => {
  it('C(n, k) is 0 outside 0..n, 1 at both ends, exact in between', () => {
    expect([binomial(5, -1), binomial(5, 6), binomial(5, 0), binomial(5, 5), binomial(6, 3), binomial(50, 25)]).toEqual([0, 0, 1, 1, 20, 126410606437752]);
  });

  it('enumerates nothing outside 0..n, one empty subset for k = 0, the subsets in lexicographic order otherwise', () => {
    const seen: number[][] = [];
    expect(forEachCombination(3, 4, (s) => seen.push([...s]))).toBe(0);
    expect(forEachCombination(3, -1, (s) => seen.push([...s]))).toBe(0);
    expect(seen).toEqual([]);
    expect(forEachCombination(3, 0, (s) => seen.push([...s]))).toBe(1);
    expect(seen).toEqual([[]]);
    seen.length = 0;
    expect(forEachCombination(3, 3, (s) => seen.push([...s]))).toBe(1);
    expect(seen).toEqual([[0, 1, 2]]);
    seen.length = 0;
    expect(forEachCombination(4, 2, (s) => seen.push([...s]))).toBe(6);
    expect(seen).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
  });
});

describe('PBO on constant halves (S = 2, 4 rows, 3 strategies)', () => {
  // A: +1 then -1 (Sharpe +Inf in block 0, -Inf in block 1); B: always 0 (Sharpe 0); C: always 2 (+Inf)
  const cols = [[1, 1, -1, -1], [0, 0, 0, 0], [2, 2, 2, 2]].map((c) => Float64Array.from(c));
  it('ranks by Sharpe with infinite values, ties at the midpoint, and counts losses', () => {
    const r = probabilityOfBacktestOverfitting(matrixFromColumns(cols), { blocks: 2 });
    // combination {block 0}: A and C tie in-sample at +Inf, the first (A) is chosen; out of sample A is -Inf, rank 1 of 3
    // combination {block 1}: C is best in-sample; out of sample C = A = +Inf > B = 0: rank 1 + 1 + 1/2 = 2.5
    expect([...r.selected]).toEqual([0, 2]);
    expect([...r.is_sharpe]).toEqual([Infinity, Infinity]);
    expect([...r.oos_sharpe]).toEqual([-Infinity, Infinity]);
    expect([...r.relative_ranks]).toEqual([1 / 4, 2.5 / 4]);
    expect(r.logits[0]).toBeCloseTo(Math.log(1 / 3), 14);
    expect(r.logits[1]).toBeCloseTo(Math.log(5 / 3), 14);
    expect(r).toMatchObject({ pbo: 0.5, prob_oos_loss: 0.5, combinations: 2, blocks: 2, block_size: 2, rows_used: 4, rows_dropped: 0, strategies: 3 });
    // no combination with finite Sharpe on both sides: no regression
    expect(r.degradation).toEqual({ slope: null, intercept: null, r_squared: null });
  });

  it('drops the oldest rows when the blocks do not divide them', () => {
    const withOld = cols.map((c, j) => Float64Array.from([1000 * (j + 1), ...c]));
    const r = probabilityOfBacktestOverfitting(matrixFromColumns(withOld), { blocks: 2 });
    expect(r).toMatchObject({ pbo: 0.5, rows_used: 4, rows_dropped: 1, block_size: 2 });
    expect([...r.selected]).toEqual([0, 2]);
  });
});

describe('PBO input refusals', () => {
  const m = matrixFromColumns([Float64Array.from([1, 2, 3, 4]), Float64Array.from([2, 1, 4, 3])]);
  it('blocks: an even integer of at least 2; rows: at least 2 per half; values: rows x cols', () => {
    for (const blocks of [3.5, 0, -2, 3]) expect(() => probabilityOfBacktestOverfitting(m, { blocks })).toThrow(`blocks must be an even integer >= 2, got ${blocks}`);
    expect(() => probabilityOfBacktestOverfitting({ ...m, rows: 3 }, { blocks: 2 })).toThrow('matrix holds 8 values, expected 3 x 2');
    const three = matrixFromColumns([Float64Array.from([1, 2, 3]), Float64Array.from([2, 1, 4])]);
    expect(() => probabilityOfBacktestOverfitting(three, { blocks: 2 })).toThrow('3 rows are too few for 2 blocks (each half needs at least 2 rows)');
    expect(() => probabilityOfBacktestOverfitting(m, { blocks: 6 })).toThrow('4 rows are too few for 6 blocks');
    expect(probabilityOfBacktestOverfitting(m, { blocks: 2 }).combinations).toBe(2);
  });
});

/** Sharpe (ddof 1) straight from the definition, two-pass. */
function sharpe(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  return m / Math.sqrt(v);
}
/** The rows of column j in the given blocks (no rows dropped). */
const rowsOf = (col: number[], blocks: number[], bs: number): number[] => blocks.flatMap((b) => col.slice(b * bs, (b + 1) * bs));

describe('PBO Sharpe ratios and degradation against the definitions', () => {
  it('is- and out-of-sample Sharpe of the chosen strategy equal the two-pass Sharpe, on returns near 1e8 (4 rows per half)', () => {
    // a large common level: sums of squares without the per-strategy shift lose every significant digit
    const dev = [
      [0.01, 0.03, -0.02, 0.05, 0.02, -0.01, 0.04, 0.0],
      [0.02, -0.01, 0.03, 0.01, -0.02, 0.06, 0.01, 0.02],
      [-0.01, 0.02, 0.0, 0.03, 0.05, 0.01, -0.03, 0.02],
    ];
    const cols = dev.map((d) => d.map((x) => 1e8 + x));
    const r = probabilityOfBacktestOverfitting(matrixFromColumns(cols.map((c) => Float64Array.from(c))), { blocks: 4 });
    expect(r.combinations).toBe(6);
    let c = 0;
    forEachCombination(4, 2, (subset) => {
      const inS = [...subset];
      const outS = [0, 1, 2, 3].filter((b) => !inS.includes(b));
      const is = cols.map((col) => sharpe(rowsOf(col, inS, 2)));
      const best = is.indexOf(Math.max(...is));
      expect(r.selected[c]).toBe(best);
      expect(r.is_sharpe[c]! / is[best]!).toBeCloseTo(1, 6);
      expect(r.oos_sharpe[c]! / sharpe(rowsOf(cols[best]!, outS, 2))).toBeCloseTo(1, 6);
      c++;
    });
  });

  it('the chosen strategy with an out-of-sample Sharpe of exactly 0 is not a loss', () => {
    // D: +1 then 0 (Sharpe +Inf, then 0); E: always 0
    const r = probabilityOfBacktestOverfitting(matrixFromColumns([Float64Array.from([1, 1, 0, 0]), Float64Array.from([0, 0, 0, 0])]), { blocks: 2 });
    expect([...r.selected]).toEqual([0, 0]);
    expect([...r.oos_sharpe]).toEqual([0, Infinity]);
    expect(r.prob_oos_loss).toBe(0);
    expect([...r.relative_ranks]).toEqual([1.5 / 3, 2 / 3]);
    expect(r.pbo).toBe(0.5);
  });

  it('degradation: OLS of out-of-sample on in-sample Sharpe over the combinations finite on both sides only', () => {
    // a 4 x 3 matrix with finite Sharpes everywhere (the hand-checked case of pbo.test.ts): slope 1, intercept -sqrt(2), R^2 1
    const m = matrixFromColumns([
      Float64Array.from([0.01, 0.03, -0.01, 0.01]),
      Float64Array.from([0.0, 0.02, 0.02, 0.04]),
      Float64Array.from([-0.02, 0.0, 0.0, 0.02]),
    ]);
    const r = probabilityOfBacktestOverfitting(m, { blocks: 2 });
    expect(r.degradation.slope!).toBeCloseTo(1, 9);
    expect(r.degradation.intercept!).toBeCloseTo(-Math.SQRT2, 9);
    expect(r.degradation.r_squared!).toBeCloseTo(1, 9);
    expect(r.prob_oos_loss).toBe(0);

    // A is constant over blocks 0 and 1 (Sharpe +Inf when they are the in-sample half or the out-of-sample half)
    const a = [1, 1, 1, 1, 0, 2, 3, 1];
    const b = [0, 1, 2, 0, 1, 1.5, 0.5, 0];
    const g = [0.5, 0, 1, 2, 0, 1, 2, 2.5];
    const q = probabilityOfBacktestOverfitting(matrixFromColumns([a, b, g].map((x) => Float64Array.from(x))), { blocks: 4 });
    const keep = [...q.is_sharpe.keys()].filter((i) => Number.isFinite(q.is_sharpe[i]!) && Number.isFinite(q.oos_sharpe[i]!));
    expect(keep.length).toBeGreaterThanOrEqual(2);
    expect(keep.length).toBeLessThan(q.combinations);
    const x = keep.map((i) => q.is_sharpe[i]!);
    const y = keep.map((i) => q.oos_sharpe[i]!);
    const mx = x.reduce((s, v) => s + v, 0) / x.length;
    const my = y.reduce((s, v) => s + v, 0) / y.length;
    const sxy = x.reduce((s, v, i) => s + (v - mx) * (y[i]! - my), 0);
    const sxx = x.reduce((s, v) => s + (v - mx) ** 2, 0);
    const syy = y.reduce((s, v) => s + (v - my) ** 2, 0);
    expect(q.degradation.slope!).toBeCloseTo(sxy / sxx, 9);
    expect(q.degradation.intercept!).toBeCloseTo(my - (sxy / sxx) * mx, 9);
    expect(q.degradation.r_squared!).toBeCloseTo((sxy * sxy) / (sxx * syy), 9);
  });

  it('one row per block is enough when each half has two', () => {
    const r = probabilityOfBacktestOverfitting(matrixFromColumns([Float64Array.from([1, 2, 3, 5]), Float64Array.from([2, 1, 4, 3])]), { blocks: 4 });
    expect(r).toMatchObject({ combinations: 6, block_size: 1, rows_used: 4 });
  });
});
