import { describe, expect, it } from 'vitest';
import { ColumnSource } from '../../src/store/columns.js';
import { testContext } from '../helpers.js';

/** Counts the chunk reads of one array (an own subarray shadowing the prototype's). */
function spied(values: number[]): { arr: Float64Array; reads: () => number } {
  const arr = Float64Array.from(values);
  let n = 0;
  Object.defineProperty(arr, 'subarray', {
    value: (a?: number, b?: number) => {
      n++;
      return Float64Array.prototype.subarray.call(arr, a, b);
    },
  });
  return { arr, reads: () => n };
}

describe('ColumnSource projection pushdown: a query fills only the columns it reads', () => {
  it('maps each projected column to its own array, in the query order, NaN as NULL per column', async () => {
    const ctx = await testContext();
    const n = 4100; // three chunks
    const a = spied(Array.from({ length: n }, (_, i) => i));
    const b = spied(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? NaN : -i)));
    const c = spied(Array.from({ length: n }, (_, i) => (i % 7 === 0 ? NaN : i * 10)));
    const src = ColumnSource.open(ctx.db, 'cs_proj', ['a', 'b', 'c']);
    src.set([a.arr, b.arr, c.arr], 0, n);
    const rows = await ctx.db.all(`SELECT c, a FROM ${src.sql}`);
    expect(rows).toHaveLength(n);
    rows.forEach((r, i) => {
      expect(r['a']).toBe(i);
      expect(r['c']).toBe(i % 7 === 0 ? null : i * 10);
    });
    expect(b.reads()).toBe(0);
    expect(a.reads()).toBe(3);
    expect(c.reads()).toBe(3);
    // a filter on a column that is not selected still reads it, and reads it right
    const [f] = await ctx.db.all(`SELECT count(*)::INTEGER AS k, sum(a)::DOUBLE AS s FROM ${src.sql} WHERE b IS NULL`);
    const fives = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 === 0);
    expect(f?.['k']).toBe(fives.length);
    expect(f?.['s']).toBe(fives.reduce((x, y) => x + y, 0));
    expect(b.reads()).toBe(3);
    // a bare count reads at most one array (DuckDB may ask for one column), and counts every row
    const before = a.reads() + b.reads() + c.reads();
    expect(await ctx.db.scalar(`SELECT count(*)::INTEGER FROM ${src.sql}`)).toBe(n);
    expect(a.reads() + b.reads() + c.reads() - before).toBeLessThanOrEqual(3);
    // every column, in the source's order
    const [all] = await ctx.db.all(`SELECT * FROM ${src.sql} LIMIT 1 OFFSET 1`);
    expect(all).toEqual({ a: 1, b: -1, c: 10 });
  });
});
