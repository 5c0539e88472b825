import { describe, expect, it } from 'vitest';
import { ColumnSource } from '../../src/store/columns.js';
import { testContext } from '../helpers.js';

describe('ColumnSource: typed arrays read by DuckDB as a table', () => {
  it('reads every row of the slice in order, NaN as NULL, across chunk boundaries', async () => {
    const ctx = await testContext();
    const n = 5000;
    const a = new Float64Array(n + 7);
    const b = new Float64Array(n + 7);
    for (let i = 0; i < a.length; i++) {
      a[i] = i;
      // NaN on every 3rd row of the first chunk only, and at the last row
      b[i] = (i < 2048 + 7 && i % 3 === 0) || i === n + 6 ? NaN : i * 0.5;
    }
    const src = ColumnSource.open(ctx.db, 'cs_test', ['a', 'b']);
    src.set([a, b], 7, n);
    const rows = await ctx.db.all(`SELECT a, b FROM ${src.sql}`);
    expect(rows.length).toBe(n);
    let nulls = 0;
    rows.forEach((r, k) => {
      const i = k + 7;
      expect(r['a']).toBe(i);
      if (Number.isNaN(b[i] as number)) {
        expect(r['b']).toBeNull();
        nulls++;
      } else expect(r['b']).toBe(i * 0.5);
    });
    // rows 7..2054 hold the NaNs of the first chunk; none leak into the later chunks
    expect(nulls).toBe(Array.from(b.subarray(7, n + 7)).filter((x) => Number.isNaN(x)).length);
    const [agg] = await ctx.db.all(`SELECT count(b)::BIGINT AS nb, sum(a)::DOUBLE AS sa FROM ${src.sql}`);
    expect(Number(agg?.['nb'])).toBe(n - nulls);
    expect(agg?.['sa']).toBe(((7 + n + 6) * n) / 2);
  });

  it('is pointed at new arrays between queries, and keeps its name and columns for the session', async () => {
    const ctx = await testContext();
    const src = ColumnSource.open(ctx.db, 'cs_two', ['x']);
    src.set([Float64Array.from([1, 2, 3])], 0, 3);
    expect(await ctx.db.scalar(`SELECT sum(x) FROM ${src.sql}`)).toBe(6);
    src.set([Float64Array.from([10, 20])], 1, 1);
    expect(await ctx.db.all(`SELECT x FROM ${src.sql}`)).toEqual([{ x: 20 }]);
    src.clear();
    expect(await ctx.db.scalar(`SELECT count(*)::INTEGER FROM ${src.sql}`)).toBe(0);
    expect(ColumnSource.open(ctx.db, 'cs_two', ['x'])).toBe(src);
    expect(() => ColumnSource.open(ctx.db, 'cs_two', ['y'])).toThrow(/already open with other columns/);
    expect(() => src.set([Float64Array.from([1])], 0, 2)).toThrow(/shorter than 2/);
    expect(() => src.set([], 0, 0)).toThrow(/0 arrays for 1 columns/);
    expect(() => ColumnSource.open(ctx.db, 'bad name', ['x'])).toThrow(/refusing identifier/);
  });
});
