import { describe, expect, it } from 'vitest';
import { barsTable } from '../../src/services/features/inputs.js';
import { loadBars, loadCloses, readColumns, readInto } from '../../src/services/features/panel.js';
import { testContext } from '../helpers.js';

describe('readColumns: query rows into typed arrays', () => {
  it('copies DOUBLE columns with NULL as NaN across chunks, and reads other numeric types value by value', async () => {
    const ctx = await testContext();
    const n = 5000;
    const [a, b, c] = await readColumns(
      ctx.db,
      `SELECT i::DOUBLE AS a, CASE WHEN i % 7 = 3 OR i = 4999 THEN NULL ELSE i * 0.25 END AS b, CASE WHEN i % 5 = 0 THEN NULL ELSE i END::INTEGER AS c
       FROM range(0, $n::BIGINT) r(i) ORDER BY i`,
      { n: BigInt(n) },
      3,
    );
    expect(a?.length).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(a?.[i]).toBe(i);
      const nb = i % 7 === 3 || i === 4999;
      if (nb) expect(Number.isNaN(b?.[i])).toBe(true);
      else expect(b?.[i]).toBe(i * 0.25);
      if (i % 5 === 0) expect(Number.isNaN(c?.[i])).toBe(true);
      else expect(c?.[i]).toBe(i);
    }
  });
});

describe('readInto: query rows into the caller\'s arrays', () => {
  const sql = `SELECT i::DOUBLE AS a, CASE WHEN i % 7 = 3 THEN NULL ELSE i * 0.25 END AS b FROM range(0, $n::BIGINT) r(i) ORDER BY i`;
  it('fills shared arrays across chunks (each copied while the next is fetched), NULL as NaN; the rows past the result untouched', async () => {
    const ctx = await testContext();
    const n = 5000; // three DuckDB chunks
    const into = [0, 1].map(() => new Float64Array(new SharedArrayBuffer((n + 3) * 8)).fill(-1));
    expect(await readInto(ctx.db, sql, { n: BigInt(n) }, into)).toBe(n);
    const [a, b] = into as [Float64Array, Float64Array];
    for (let i = 0; i < n; i++) {
      expect(a[i]).toBe(i);
      if (i % 7 === 3) expect(b[i]).toBeNaN();
      else expect(b[i]).toBe(i * 0.25);
    }
    expect([...a.subarray(n), ...b.subarray(n)]).toEqual([-1, -1, -1, -1, -1, -1]);
    // the same values as readColumns
    const [ra, rb] = await readColumns(ctx.db, sql, { n: BigInt(n) }, 2);
    expect(Buffer.from(ra!.buffer)).toEqual(Buffer.from(a.buffer, 0, n * 8));
    expect(Buffer.from(rb!.buffer)).toEqual(Buffer.from(b.buffer, 0, n * 8));
    // an empty result reads nothing
    expect(await readInto(ctx.db, sql, { n: 0n }, into)).toBe(0);
  });
  it('more rows than the arrays hold: an error, and the session still answers', async () => {
    const ctx = await testContext();
    const into = [new Float64Array(4999), new Float64Array(6000)];
    await expect(readInto(ctx.db, sql, { n: 5000n }, into)).rejects.toThrow(/more than the 4999 rows/);
    expect(await readInto(ctx.db, sql, { n: 10n }, into)).toBe(10);
  });
});

describe('loadBars / loadCloses: staged bars placed on the axis', () => {
  // 5,000 bars of one minute (more than two DuckDB chunks) staged in shuffled order, with one bar
  // off the grid, one before and one after the axis, a missing slot, a NULL close, and another
  // symbol's bars at the same times
  const MIN = 60_000_000;
  const t0 = 1_700_000_000 * 1_000_000;
  const n = 5000;
  async function staged(): Promise<Awaited<ReturnType<typeof testContext>>> {
    const ctx = await testContext();
    await barsTable(ctx, 'raw_test');
    await ctx.db.exec(
      `INSERT INTO raw_test
       SELECT s, make_timestamp($t0::BIGINT + i * $min::BIGINT), make_timestamp($t0::BIGINT + i * $min::BIGINT + 5000000), make_timestamp($t0::BIGINT + (i - 1) * $min::BIGINT),
              i + 0.1, i + 0.5, i - 0.5, CASE WHEN s = 'A' AND i = 17 THEN NULL ELSE i + 0.25 END, i * 2.0
       FROM range(0, $n::BIGINT) r(i), (VALUES ('A'), ('B')) v(s)
       WHERE NOT (s = 'A' AND i = 40)
       ORDER BY hash(i, s)`,
      { t0: BigInt(t0), min: BigInt(MIN), n: BigInt(n) },
    );
    // off the grid (30 s past a slot), before slot 0, past the last slot
    await ctx.db.exec(
      `INSERT INTO raw_test VALUES ('A', make_timestamp($a::BIGINT), make_timestamp($a::BIGINT), make_timestamp($a::BIGINT), 9, 9, 9, 9, 9),
                                   ('A', make_timestamp($b::BIGINT), make_timestamp($b::BIGINT), make_timestamp($b::BIGINT), 9, 9, 9, 9, 9),
                                   ('A', make_timestamp($c::BIGINT), make_timestamp($c::BIGINT), make_timestamp($c::BIGINT), 9, 9, 9, 9, 9)`,
      { a: BigInt(t0 + 100 * MIN + 30_000_000), b: BigInt(t0 - MIN), c: BigInt(t0 + n * MIN) },
    );
    return ctx;
  }
  const axis = { t0, tf: MIN, n, abs0: t0 / MIN };

  it('every column at its slot whatever the stored order; NaN where no bar, NULL as NaN; off-grid and out-of-axis rows left out', async () => {
    const ctx = await staged();
    const s = await loadBars(ctx.db, 'raw_test', 'A', axis);
    expect(s.count).toBe(n - 1);
    for (let j = 0; j < n; j++) {
      if (j === 40) {
        for (const c of [s.avail, s.open, s.high, s.low, s.close, s.volume]) expect(Number.isNaN(c[j])).toBe(true);
        continue;
      }
      expect(s.avail[j]).toBe(t0 + j * MIN + 5_000_000);
      expect(s.open[j]).toBe(j + 0.1);
      expect(s.high[j]).toBe(j + 0.5);
      expect(s.low[j]).toBe(j - 0.5);
      if (j === 17) expect(Number.isNaN(s.close[j])).toBe(true);
      else expect(s.close[j]).toBe(j + 0.25);
      expect(s.volume[j]).toBe(j * 2);
    }
    const c = await loadCloses(ctx.db, 'raw_test', 'A', axis);
    expect(c.count).toBe(n - 1);
    expect(Object.keys(c).sort()).toEqual(['avail', 'close', 'count']);
    expect([...c.close].map((x) => (Number.isNaN(x) ? null : x))).toEqual([...s.close].map((x) => (Number.isNaN(x) ? null : x)));
    expect([...c.avail].map((x) => (Number.isNaN(x) ? null : x))).toEqual([...s.avail].map((x) => (Number.isNaN(x) ? null : x)));
  });
});
