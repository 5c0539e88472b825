import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { DatasetName, DatasetSpec } from '../../src/domain/datasets.js';
import { datasetFiles, openWrite } from '../../src/store/dataset.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * The fresh-batch write of one partition (a file written directly, no PARTITION_BY), the Parquet
 * options of a bulk-numbers dataset (LZ4, no dictionary for numbers), and the one-predicate
 * pre-check of validation (a clean batch costs one aggregate; a failing one is still reported per
 * column and check).
 */
const T0 = Date.parse('2026-03-01T00:00:00Z') * 1000;
const H = 3_600_000_000;
type Ctx = Awaited<ReturnType<typeof testContext>>;

const spec = (name: string, bulkNumbers?: boolean): DatasetSpec => ({
  name: name as DatasetName,
  doc: 'test',
  partitionKeys: ['venue'],
  timeKey: 'month',
  columns: [
    { name: 'event_time', type: 'TIMESTAMP', nullable: false, doc: '' },
    { name: 'available_time', type: 'TIMESTAMP', nullable: false, doc: '' },
    { name: 'a', type: 'DOUBLE', nullable: true, doc: '' },
    { name: 'b', type: 'DOUBLE', nullable: true, doc: '' },
    { name: 'c', type: 'DOUBLE', nullable: false, doc: '', nonNegative: true },
  ],
  naturalKey: ['venue', 'event_time'],
  ...(bulkNumbers === undefined ? {} : { bulkNumbers }),
});

/** A stage of n hourly rows from hour `from`, in descending event time (out of key order) unless ascending. */
async function stage(ctx: Ctx, name: string, from: number, n: number, o: { ascending?: boolean; a?: string; c?: string } = {}): Promise<void> {
  await ctx.db.exec(
    `CREATE OR REPLACE TEMP TABLE ${name} AS
     SELECT 'v1' AS venue, make_timestamp(($t0 + i * $h)::BIGINT) AS event_time, make_timestamp(($t0 + i * $h)::BIGINT) AS available_time,
            ${o.a ?? 'i * 0.25'} AS a, (i % 3)::DOUBLE AS b, ${o.c ?? 'i::DOUBLE'} AS c
     FROM range($from::BIGINT, ($from + $n)::BIGINT) r(i) ORDER BY i ${o.ascending ? 'ASC' : 'DESC'}`,
    { t0: BigInt(T0), h: BigInt(H), from: BigInt(from), n: BigInt(n) },
  );
}

async function fileRows(ctx: Ctx, file: string): Promise<number[]> {
  const rows = await ctx.db.all(`SELECT epoch_us(event_time)::DOUBLE AS t FROM read_parquet($f)`, { f: file });
  return rows.map((r) => Number(r['t']));
}

async function meta(ctx: Ctx, file: string): Promise<Array<Record<string, unknown>>> {
  return ctx.db.all(`SELECT path_in_schema AS col, compression, encodings FROM parquet_metadata($f) WHERE row_group_id = 0 ORDER BY col`, { f: file });
}

describe('fresh batches of one partition and bulk-numbers files', () => {
  it('writes a one-partition batch out of key order as one file sorted by the key, as a three-partition batch writes each', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const w = await openWrite(ctx, { root, spec: spec('one') });
    // 20 rows of March (one partition), descending; then 24 x 40 h across March-May in another write
    await stage(ctx, 's1', 0, 20);
    await w.add('s1');
    const r = await w.commit();
    await w.close();
    expect(r.rows_added).toBe(20);
    expect(r.partitions_written).toBe(1);
    const files = await datasetFiles(root, spec('one'), {});
    expect(files.map((f) => f.slice(root.length + 1))).toEqual(['one/venue=v1/month=2026-03/part-0.parquet']);
    const t = await fileRows(ctx, files[0] as string);
    expect(t).toEqual(Array.from({ length: 20 }, (_, i) => T0 + i * H));
    // nothing but the file in the partition folder (no batch folder left behind)
    expect(readdirSync(join(root, 'one', 'venue=v1', 'month=2026-03'))).toEqual(['part-0.parquet']);

    const root2 = tempDir();
    const w2 = await openWrite(ctx, { root: root2, spec: spec('one') });
    await stage(ctx, 's2', 0, 24 * 70);
    await w2.add('s2');
    const r2 = await w2.commit();
    await w2.close();
    expect(r2.partitions_written).toBe(3);
    const files2 = await datasetFiles(root2, spec('one'), {});
    expect(files2.map((f) => f.slice(root2.length + 1))).toEqual([
      'one/venue=v1/month=2026-03/part-0.parquet',
      'one/venue=v1/month=2026-04/part-0.parquet',
      'one/venue=v1/month=2026-05/part-0.parquet',
    ]);
    const all = (await Promise.all(files2.map((f) => fileRows(ctx, f)))).flat();
    expect(all).toEqual(Array.from({ length: 24 * 70 }, (_, i) => T0 + i * H));
  });

  it('writes a batch of two partitions of a dataset without a time key as one file per partition key value', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const byVenue: DatasetSpec = { ...spec('byvenue'), timeKey: null };
    await ctx.db.exec(
      `CREATE OR REPLACE TEMP TABLE sv AS
       SELECT CASE WHEN i % 2 = 0 THEN 'v1' ELSE 'v2' END AS venue, make_timestamp(($t0 + i * $h)::BIGINT) AS event_time,
              make_timestamp(($t0 + i * $h)::BIGINT) AS available_time, i * 0.5 AS a, 1.0 AS b, i::DOUBLE AS c
       FROM range(0, 30) r(i) ORDER BY i DESC`,
      { t0: BigInt(T0), h: BigInt(H) },
    );
    const w = await openWrite(ctx, { root, spec: byVenue });
    await w.add('sv');
    const r = await w.commit();
    await w.close();
    expect(r.partitions_written).toBe(2);
    const files = await datasetFiles(root, byVenue, {});
    expect(files.map((f) => f.slice(root.length + 1))).toEqual(['byvenue/venue=v1/part-0.parquet', 'byvenue/venue=v2/part-0.parquet']);
    expect(await fileRows(ctx, files[0] as string)).toEqual(Array.from({ length: 15 }, (_, k) => T0 + 2 * k * H));
    expect(await fileRows(ctx, files[1] as string)).toEqual(Array.from({ length: 15 }, (_, k) => T0 + (2 * k + 1) * H));
  });

  it('writes a bulk-numbers dataset with LZ4 and plain doubles, on the fresh and the merge path; others with zstd', async () => {
    const ctx = await testContext();
    const root = tempDir();
    for (const [name, bulk] of [['bulk', true], ['dflt', undefined]] as const) {
      const w = await openWrite(ctx, { root, spec: spec(name, bulk) });
      await stage(ctx, 's', 0, 300, { ascending: true });
      await w.add('s');
      await w.commit();
      await w.close();
    }
    const [bulkFile] = await datasetFiles(root, spec('bulk', true), {});
    const bm = await meta(ctx, bulkFile as string);
    expect(bm.map((m) => m['compression'])).toEqual(['LZ4_RAW', 'LZ4_RAW', 'LZ4_RAW', 'LZ4_RAW', 'LZ4_RAW']);
    // b holds three distinct values: a dictionary would be kept for it by default, not here
    expect(bm.find((m) => m['col'] === 'b')?.['encodings']).not.toMatch(/DICTIONARY/);
    const [dFile] = await datasetFiles(root, spec('dflt'), {});
    const dm = await meta(ctx, dFile as string);
    expect(dm.map((m) => m['compression'])).toEqual(['ZSTD', 'ZSTD', 'ZSTD', 'ZSTD', 'ZSTD']);
    expect(dm.find((m) => m['col'] === 'b')?.['encodings']).toMatch(/DICTIONARY/);
    // a second write into the stored partition goes through the general path: same options
    const w = await openWrite(ctx, { root, spec: spec('bulk', true) });
    await stage(ctx, 's', 300, 10, { ascending: true });
    await w.add('s');
    const r = await w.commit();
    await w.close();
    expect(r.rows_added).toBe(10);
    // (rows after the stored ones: appended as a second file of the partition)
    const after = await datasetFiles(root, spec('bulk', true), {});
    expect(after).toHaveLength(2);
    for (const f of after) expect((await meta(ctx, f)).every((m) => m['compression'] === 'LZ4_RAW')).toBe(true);
    expect((await Promise.all(after.map((f) => fileRows(ctx, f)))).flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 310 }, (_, i) => T0 + i * H));
  });

  it('writes a bulk-numbers dataset in row groups of 8,192 rows (reused buffers: fewer page faults), others in DuckDB default ones', async () => {
    const ctx = await testContext();
    const root = tempDir();
    // 20,000 rows a second apart: one partition (one month), one file
    await ctx.db.exec(
      `CREATE OR REPLACE TEMP TABLE rg AS
       SELECT 'v1' AS venue, make_timestamp(($t0 + i * 1000000)::BIGINT) AS event_time, make_timestamp(($t0 + i * 1000000)::BIGINT) AS available_time,
              i * 0.5 AS a, NULL::DOUBLE AS b, i::DOUBLE AS c
       FROM range(0, 20000) r(i) ORDER BY i`,
      { t0: BigInt(T0) },
    );
    const groups: Record<string, number[]> = {};
    for (const [name, bulk] of [['bulkrg', true], ['dfltrg', undefined]] as const) {
      const w = await openWrite(ctx, { root, spec: spec(name, bulk) });
      await w.add('rg');
      await w.commit();
      await w.close();
      const [f] = await datasetFiles(root, spec(name, bulk), {});
      const rows = await ctx.db.all(`SELECT DISTINCT row_group_id AS g, row_group_num_rows AS n FROM parquet_metadata($f) ORDER BY g`, { f: f as string });
      groups[name] = rows.map((r) => Number(r['n']));
      expect(await fileRows(ctx, f as string)).toEqual(Array.from({ length: 20000 }, (_, i) => T0 + i * 1_000_000));
    }
    expect(groups['bulkrg']).toEqual([8192, 8192, 3616]);
    expect(groups['dfltrg']).toEqual([20000]);
  });

  it('reports each failing check with its own count when one or two columns of several fail, and writes nothing', async () => {
    const ctx = await testContext();
    const root = tempDir();
    // one column fails on one row (a NaN in a): the other checks pass on every row
    await stage(ctx, 'bad1', 0, 50, { a: `CASE WHEN i = 7 THEN 'NaN'::DOUBLE ELSE i END` });
    const w = await openWrite(ctx, { root, spec: spec('v') });
    await expect(w.add('bad1')).rejects.toThrow(/column a: not a finite number \(NaN or infinity\): 1 row\(s\), e\.g\. "nan"/);
    await w.close();
    // two columns fail on different rows (a: infinity on 2 rows, c: negative on 3 rows)
    await stage(ctx, 'bad2', 0, 50, { a: `CASE WHEN i IN (3, 4) THEN 'inf'::DOUBLE ELSE i END`, c: `CASE WHEN i < 3 THEN -1.0 ELSE i END` });
    const w2 = await openWrite(ctx, { root, spec: spec('v') });
    const err = await w2.add('bad2').then(
      () => null,
      (e: Error) => e,
    );
    await w2.close();
    expect(err?.message).toMatch(/column a: not a finite number \(NaN or infinity\): 2 row\(s\)/);
    expect(err?.message).toMatch(/column c: must be >= 0: 3 row\(s\), e\.g\. "-1\.0"/);
    expect(err?.message).not.toMatch(/column b/);
    expect(await datasetFiles(root, spec('v'), {})).toEqual([]);
    // a clean batch after them passes
    await stage(ctx, 'good', 0, 50);
    const w3 = await openWrite(ctx, { root, spec: spec('v') });
    await w3.add('good');
    expect((await w3.commit()).rows_added).toBe(50);
    await w3.close();
  });
});
