import { describe, expect, it } from 'vitest';
import { ColumnSource } from '../../src/store/columns.js';
import { testContext } from '../helpers.js';

/**
 * ColumnSource's column list check: a source re-opened with the same columns is the same source, with any other
 * list (also one whose names run together the same, ['a', 'b'] and ['ab']) it is refused.
 */
describe('ColumnSource.open: one column list per name and session', () => {
  it('returns the open source for the same list, and refuses another list', async () => {
    const ctx = await testContext();
    const src = ColumnSource.open(ctx.db, 'cs_ab', ['a', 'b']);
    expect(ColumnSource.open(ctx.db, 'cs_ab', ['a', 'b'])).toBe(src);
    expect(() => ColumnSource.open(ctx.db, 'cs_ab', ['ab'])).toThrow('column source cs_ab is already open with other columns');
    expect(() => ColumnSource.open(ctx.db, 'cs_ab', ['b', 'a'])).toThrow(/already open/);
    src.set([Float64Array.from([1, 2]), Float64Array.from([3, NaN])], 0, 2);
    expect(await ctx.db.all(`SELECT a, b FROM ${src.sql}`)).toEqual([
      { a: 1, b: 3 },
      { a: 2, b: null },
    ]);
    // another session has its own sources: the same name with other columns is a new source there
    const other = await testContext();
    expect(ColumnSource.open(other.db, 'cs_ab', ['ab'])).not.toBe(src);
  });
});
