import { describe, expect, it } from 'vitest';
import type { DatasetSpec } from '../../src/domain/datasets.js';
import { RowStage } from '../../src/store/stage.js';
import { testContext } from '../helpers.js';

/**
 * The row stage on its own (no write): every column type appended and typed back (times as TIMESTAMP, the batch
 * ordinal kept), NULL and undefined as NULL, the empty cases, and the temp tables it leaves or drops.
 */
const SPEC = {
  name: 'bars',
  doc: 'a synthetic dataset with one column of each type',
  partitionKeys: ['venue'],
  timeKey: null,
  columns: [
    { name: 'event_time', type: 'TIMESTAMP', nullable: false, doc: '' },
    { name: 'n', type: 'BIGINT', nullable: true, doc: '' },
    { name: 'x', type: 'DOUBLE', nullable: true, doc: '' },
    { name: 'ok', type: 'BOOLEAN', nullable: true, doc: '' },
    { name: 's', type: 'VARCHAR', nullable: true, doc: '' },
  ],
  naturalKey: ['venue', 'event_time'],
} as unknown as DatasetSpec;

type Ctx = Awaited<ReturnType<typeof testContext>>;
const tables = async (ctx: Ctx): Promise<string[]> =>
  (await ctx.db.all(`SELECT table_name FROM duckdb_tables() WHERE temporary ORDER BY table_name`)).map((r) => String(r['table_name']));

describe('RowStage', () => {
  it('appends every column type and types it back in batch order, times as TIMESTAMP', async () => {
    const ctx = await testContext();
    const st = new RowStage(ctx.db, SPEC, 'stg');
    expect(st.rows).toBe(0);
    await st.append([
      { venue: 'v1', event_time: 1_700_000_000_000_001, n: 5, x: 1.5, ok: true, s: 'a' },
      { venue: 'v2', event_time: 2, n: 9007199254740993n, x: -0.25, ok: false, s: 7 },
    ]);
    await st.append([]);
    await st.append([{ venue: 'v3', event_time: 3, n: null, x: undefined, ok: null, s: null }]);
    expect(st.rows).toBe(3);
    expect(await st.typed()).toBe('stg');
    expect(st.rows).toBe(0);
    expect(await tables(ctx)).toEqual(['stg']);
    const types = await ctx.db.all(`SELECT column_name, column_type FROM (DESCRIBE stg)`);
    expect(types.map((r) => `${String(r['column_name'])} ${String(r['column_type'])}`)).toEqual([
      '__ord BIGINT',
      'venue VARCHAR',
      'event_time TIMESTAMP',
      'n BIGINT',
      'x DOUBLE',
      'ok BOOLEAN',
      's VARCHAR',
    ]);
    const rows = await ctx.db.all(`SELECT __ord::INTEGER AS o, venue, epoch_us(event_time)::VARCHAR AS t, n::VARCHAR AS n, x, ok, s FROM stg ORDER BY __ord`);
    expect(rows).toEqual([
      { o: 0, venue: 'v1', t: '1700000000000001', n: '5', x: 1.5, ok: true, s: 'a' },
      { o: 1, venue: 'v2', t: '2', n: '9007199254740993', x: -0.25, ok: false, s: '7' },
      { o: 2, venue: 'v3', t: '3', n: null, x: null, ok: null, s: null },
    ]);
  });

  it('nothing appended: typed() is null (no table), or an empty typed table when allowed', async () => {
    const ctx = await testContext();
    const st = new RowStage(ctx.db, SPEC, 'stg_empty');
    await st.append([]);
    expect(await st.typed()).toBeNull();
    expect(await tables(ctx)).toEqual([]);
    expect(await st.typed({ allowEmpty: true })).toBe('stg_empty');
    expect(await tables(ctx)).toEqual(['stg_empty']);
    expect(Number(await ctx.db.scalar(`SELECT count(*) FROM stg_empty`))).toBe(0);
    expect((await ctx.db.all(`DESCRIBE stg_empty`)).map((r) => r['column_name'])).toContain('event_time');
  });

  it('discard drops what was appended and both tables; the stage can be filled again', async () => {
    const ctx = await testContext();
    const st = new RowStage(ctx.db, SPEC, 'stg_d');
    await st.append([{ venue: 'v', event_time: 1 }]);
    expect(await tables(ctx)).toEqual(['stg_d_raw']);
    await st.discard();
    expect(st.rows).toBe(0);
    expect(await tables(ctx)).toEqual([]);
    await st.append([{ venue: 'w', event_time: 2 }]);
    expect(await st.typed()).toBe('stg_d');
    expect(await ctx.db.all(`SELECT __ord::INTEGER AS o, venue FROM stg_d`)).toEqual([{ o: 0, venue: 'w' }]);
    await st.discard();
    expect(await tables(ctx)).toEqual([]);
    // a second discard with no appender open is harmless
    await st.discard();
    expect(st.rows).toBe(0);
  });

  it('keeps each value exactly: integers as BIGINT (a fraction is refused, not rounded), -0 as -0', async () => {
    const ctx = await testContext();
    const st = new RowStage(ctx.db, SPEC, 'stg_x');
    await expect(st.append([{ venue: 'v', event_time: 1.5 }])).rejects.toThrow(/cannot be converted to a BigInt/);
    await st.discard();
    await expect(st.append([{ venue: 'v', event_time: 1, n: 2.5 }])).rejects.toThrow(/cannot be converted to a BigInt/);
    await st.discard();
    await st.append([{ venue: 'v', event_time: 1, x: -0 }]);
    await st.typed();
    expect(await ctx.db.all(`SELECT x::VARCHAR AS x FROM stg_x`)).toEqual([{ x: '-0.0' }]);
    await st.discard();
  });
});
