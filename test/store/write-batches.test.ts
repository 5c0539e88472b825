import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { datasetFiles, listOf, openWrite, SCAN_SQL, writeTable } from '../../src/store/dataset.js';
import { acquireLock } from '../../src/store/txn.js';
import { tempDir, testContext, treeHash } from '../helpers.js';

/**
 * The batched write transaction: batches over disjoint partitions, one commit for all of them;
 * nothing visible before the commit; a repeated partition refused; close without commit leaves the
 * store as it was and releases the lock.
 */
const H = 3_600_000_000;
const T0 = Date.parse('2026-03-31T20:00:00Z') * 1000;

/** A stage table of `n` hourly bars of one symbol from hour `from` (crosses the March/April month partition). */
async function stage(ctx: Awaited<ReturnType<typeof testContext>>, name: string, symbol: string, from: number, n: number, close = 100): Promise<void> {
  await ctx.db.exec(
    `CREATE OR REPLACE TEMP TABLE ${name} AS
     SELECT 'binance-usdm' AS venue, $sym AS symbol, 'last' AS price, '1h' AS timeframe,
            make_timestamp(($t0 + (i + 1) * $h)::BIGINT) AS event_time, make_timestamp(($t0 + (i + 1) * $h + 2000000)::BIGINT) AS available_time,
            'test' AS source, make_timestamp($t0::BIGINT) AS ingest_time, make_timestamp(($t0 + i * $h)::BIGINT) AS open_time,
            $c::DOUBLE AS open, ($c + 1)::DOUBLE AS high, ($c - 1)::DOUBLE AS low, ($c + i * 0.5)::DOUBLE AS close, 10.0 AS volume,
            NULL::DOUBLE AS quote_volume, NULL::BIGINT AS trade_count
     FROM range($from::BIGINT, ($from + $n)::BIGINT) r(i)`,
    { sym: symbol, t0: BigInt(T0), h: BigInt(H), from: BigInt(from), n: BigInt(n), c: close },
  );
}

async function stored(ctx: Awaited<ReturnType<typeof testContext>>, root: string): Promise<Array<Record<string, unknown>>> {
  const files = await datasetFiles(root, DATASETS.bars, {});
  if (files.length === 0) return [];
  return ctx.db.all(`SELECT symbol, epoch_us(event_time)::BIGINT AS t, close FROM ${SCAN_SQL} ORDER BY symbol, t`, { files: listOf(files) });
}

describe('batched dataset writes', () => {
  it('stages disjoint batches and commits them together, as one writeTable of the union would', async () => {
    const ctx = await testContext();
    const a = tempDir();
    const b = tempDir();
    await stage(ctx, 's_btc', 'BTC-PERP', 0, 6);
    await stage(ctx, 's_eth', 'ETH-PERP', 0, 6, 50);
    const w = await openWrite(ctx, { root: a, spec: DATASETS.bars });
    await w.add('s_btc');
    // nothing is visible before the commit
    expect(await stored(ctx, a)).toEqual([]);
    await w.add('s_eth');
    const r = await w.commit();
    await w.close();
    // 6 hours from 21:00 on March 31 cross into April: 2 partitions per symbol
    expect(r).toMatchObject({ rows_in: 12, rows_added: 12, rows_replaced: 0, partitions_written: 4, partitions_unchanged: 0 });
    await ctx.db.exec('CREATE OR REPLACE TEMP TABLE s_all AS SELECT * FROM s_btc UNION ALL SELECT * FROM s_eth');
    await writeTable(ctx, { root: b, spec: DATASETS.bars }, 's_all');
    expect(await stored(ctx, a)).toEqual(await stored(ctx, b));
    expect((await stored(ctx, a)).length).toBe(12);
  });

  it('merges each batch with what is stored and counts across batches', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await stage(ctx, 's_btc', 'BTC-PERP', 0, 4);
    await writeTable(ctx, { root, spec: DATASETS.bars }, 's_btc');
    await stage(ctx, 's_btc2', 'BTC-PERP', 2, 4); // 2 stored hours again (same values), 2 new
    await stage(ctx, 's_eth', 'ETH-PERP', 0, 2, 50);
    const w = await openWrite(ctx, { root, spec: DATASETS.bars });
    await w.add('s_btc2');
    await w.add('s_eth');
    const r = await w.commit();
    await w.close();
    expect(r).toMatchObject({ rows_in: 6, rows_added: 4, rows_unchanged: 2, rows_replaced: 0 });
    expect((await stored(ctx, root)).length).toBe(8);
  });

  it('refuses a batch that repeats a partition of an earlier batch, and the abandoned write changes nothing', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await stage(ctx, 's_old', 'BTC-PERP', 0, 2);
    await writeTable(ctx, { root, spec: DATASETS.bars }, 's_old');
    const before = treeHash(join(root, 'bars'));
    await stage(ctx, 's1', 'BTC-PERP', 0, 2, 120);
    await stage(ctx, 's2', 'BTC-PERP', 1, 1, 130);
    const w = await openWrite(ctx, { root, spec: DATASETS.bars });
    await w.add('s1');
    await expect(w.add('s2')).rejects.toThrow(/a batch repeats partition bars\/venue=binance-usdm\/symbol=BTC-PERP\/.*month=2026-03 of an earlier batch/);
    await w.close();
    expect(treeHash(join(root, 'bars'))).toBe(before);
    // the lock is free again: a new writer gets it at once
    const lock = await acquireLock(root, 0);
    lock.release();
    await expect(w.add('s1')).rejects.toThrow(/add\(\) after commit or close/);
  });

  it('refuses a second commit, and close after commit is harmless', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await stage(ctx, 's1', 'BTC-PERP', 0, 2);
    const w = await openWrite(ctx, { root, spec: DATASETS.bars });
    await w.add('s1');
    await w.commit();
    await expect(w.commit()).rejects.toThrow(/commit\(\) twice/);
    await w.close();
    await w.close();
    expect(existsSync(join(root, 'bars'))).toBe(true);
  });

  it('writes each fresh partition in key order, whether the stage was in order or shuffled, one file each', async () => {
    const ctx = await testContext();
    for (const order of ['event_time', 'hash(event_time)', 'event_time DESC']) {
      const root = tempDir();
      await stage(ctx, 's_src', 'BTC-PERP', 0, 200);
      await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE s_ord AS SELECT * FROM s_src ORDER BY ${order}`);
      const r = await writeTable(ctx, { root, spec: DATASETS.bars }, 's_ord');
      expect(r).toMatchObject({ rows_in: 200, rows_added: 200, partitions_written: 2 });
      const files = await datasetFiles(root, DATASETS.bars, {});
      expect(files.map((f) => f.split('/').slice(-2).join('/')).sort()).toEqual(['month=2026-03/part-0.parquet', 'month=2026-04/part-0.parquet']);
      const [chk] = await ctx.db.all(
        `SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE back)::INTEGER AS back, count(DISTINCT filename)::INTEGER AS files FROM (
           SELECT filename, event_time < lag(event_time) OVER (PARTITION BY filename ORDER BY file_row_number) AS back
           FROM read_parquet($files, filename = true, file_row_number = true))`,
        { files: listOf(files) },
      );
      expect(chk).toEqual({ n: 200, back: 0, files: 2 });
      // the stored columns are the dataset's, without the partition keys (they are in the path)
      const cols = (await ctx.db.all(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet($f, hive_partitioning = false))`, { f: files[0] as string })).map((x) => x['column_name']);
      expect(cols).toEqual(DATASETS.bars.columns.map((c) => c.name));
    }
  });
});

