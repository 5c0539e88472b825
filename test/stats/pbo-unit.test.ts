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
