import { describe, expect, it } from 'vitest';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { datasetFiles, listOf, SCAN_SQL, writeRows, writeTable } from '../../src/store/dataset.js';
import { tempDir, testContext } from '../helpers.js';
import { bar, H, T0 } from './bar-fixture.js';

/**
 * The merge path of addBatch in-process: the 32-part-file limit of the append path at its boundary, merged files
 * in natural-key order, NULLs in the natural key matched as equal, a replace write keeping the first ingest_time
 * of rows staged again unchanged, the last row of a repeated key winning by batch order, and the progress lines.
 */
type Ctx = Awaited<ReturnType<typeof testContext>>;

const bars = DATASETS.bars;
const MARCH = ['bars', 'venue=binance-usdm', 'symbol=BTC-PERP', 'price=last', 'timeframe=1h', 'month=2026-03'];

/** `n` part files of one bar each (hours 0..n-1) in March's partition, as n appends would leave them. */
async function parts(ctx: Ctx, root: string, n: number): Promise<string> {
  const dir = join(root, ...MARCH);
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    await ctx.db.exec(
      `COPY (SELECT make_timestamp($t::BIGINT) AS event_time, make_timestamp($t::BIGINT) AS available_time, 'test' AS source,
              make_timestamp($t0::BIGINT) AS ingest_time, make_timestamp(($t - $h)::BIGINT) AS open_time, 100.0 AS open, 102.0 AS high,
              99.0 AS low, (100 + $i)::DOUBLE AS close, 5.0 AS volume, NULL::DOUBLE AS quote_volume, NULL::BIGINT AS trade_count)
       TO $out (FORMAT parquet)`,
      { t: BigInt(T0 + (i + 1) * H), t0: BigInt(T0), h: BigInt(H), i, out: join(dir, `part-${String(i).padStart(3, '0')}.parquet`) },
    );
  }
  return dir;
}
const parquet = (dir: string): string[] => readdirSync(dir).filter((f) => f.endsWith('.parquet'));

describe('addBatch: the merge path', () => {
  it('appends to a partition of 31 part files, and compacts one of 32 into one file', async () => {
    const ctx = await testContext();
    const a = tempDir();
    const dirA = await parts(ctx, a, 31);
    expect(await writeRows(ctx, { root: a, spec: bars }, [bar(40)])).toMatchObject({ rows_added: 1, partitions_appended: 1 });
    expect(parquet(dirA)).toHaveLength(32);
    const b = tempDir();
    const dirB = await parts(ctx, b, 32);
    expect(await writeRows(ctx, { root: b, spec: bars }, [bar(40)])).toMatchObject({ rows_added: 1, partitions_appended: 0, partitions_written: 1 });
    expect(parquet(dirB)).toEqual(['part-0.parquet']);
    const rows = await ctx.db.all(`SELECT close FROM read_parquet($f) ORDER BY event_time`, { f: join(dirB, 'part-0.parquet') });
    expect(rows.map((r) => r['close'])).toEqual([...Array.from({ length: 32 }, (_, i) => 100 + i), 140]);
  });

  it('writes a merged partition in natural-key order, whatever the order of the batch', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: bars }, [bar(2)]);
    await writeRows(ctx, { root, spec: bars }, [bar(5), bar(0), bar(3)]);
    await ctx.db.exec('SET threads = 1');
    const order = await ctx.db.all(`SELECT close FROM read_parquet($f)`, { f: join(root, ...MARCH, 'part-0.parquet') });
    expect(order.map((r) => r['close'])).toEqual([100, 102, 103, 105]);
  });

  it('a fresh batch is in key order by the key types (price 99 before 100), not by their text', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const t = T0 + H;
    const trade = { venue: 'binance-usdm', symbol: 'BTC-PERP', event_time: t, available_time: t, source: 'test', ingest_time: T0, trade_id: 'x', size: 1, side: 'buy' };
    await writeRows(ctx, { root, spec: DATASETS.trades }, [{ ...trade, price: 100 }, { ...trade, price: 99 }]);
    await ctx.db.exec('SET threads = 1');
    const files = await datasetFiles(root, DATASETS.trades);
    expect((await ctx.db.all(`SELECT price FROM read_parquet($f)`, { f: listOf(files) })).map((r) => r['price'])).toEqual([99, 100]);
  });

  it('matches NULLs in the natural key as equal (a trade without id or side written twice is unchanged)', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const t = T0 + H;
    const trade = { venue: 'binance-usdm', symbol: 'BTC-PERP', event_time: t, available_time: t, source: 'test', ingest_time: T0, trade_id: null, price: 100, size: 1, side: null };
    await writeRows(ctx, { root, spec: DATASETS.trades }, [trade, { ...trade, event_time: t + 1, available_time: t + 1 }]);
    const again = await writeRows(ctx, { root, spec: DATASETS.trades }, [trade, { ...trade, event_time: t + 2, available_time: t + 2 }]);
    expect(again).toMatchObject({ rows_unchanged: 1, rows_added: 1, rows_replaced: 0 });
    const n = await ctx.db.scalar(`SELECT count(*)::INTEGER FROM ${SCAN_SQL}`, { files: listOf(await datasetFiles(root, DATASETS.trades)) });
    expect(n).toBe(3);
  });

  it('a replace write keeps the first ingest_time of rows staged again unchanged, and the new values of changed ones', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: bars }, [bar(0), bar(1), bar(2)]);
    const r = await writeRows(ctx, { root, spec: bars, replace: { symbol: ['BTC-PERP'] } }, [bar(0, { ingest_time: T0 + 7 }), bar(1, { close: 1, ingest_time: T0 + 7 })]);
    expect(r).toMatchObject({ rows_unchanged: 1, rows_replaced: 1, rows_added: 0, partitions_written: 1, partitions_deleted: 0 });
    const rows = await ctx.db.all(`SELECT close, epoch_us(ingest_time)::BIGINT AS ing FROM ${SCAN_SQL} ORDER BY event_time`, {
      files: listOf(await datasetFiles(root, bars)),
    });
    expect(rows.map((x) => [x['close'], Number(x['ing']) - T0])).toEqual([
      [100, 0],
      [1, 7],
    ]);
  });

  it('a repeated key in a SQL stage with a batch ordinal: the row with the highest __ord wins, not the stage order', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await ctx.db.exec(
      `CREATE TEMP TABLE st AS SELECT * FROM (VALUES (2, 7.0), (0, 5.0), (1, 6.0)) v(__ord, close)`,
    );
    await ctx.db.exec(
      `CREATE TEMP TABLE st2 AS SELECT __ord::BIGINT AS __ord, 'binance-usdm' AS venue, 'BTC-PERP' AS symbol, 'last' AS price, '1h' AS timeframe,
         TIMESTAMP '2026-03-14 01:00:00' AS event_time, TIMESTAMP '2026-03-14 01:00:00' AS available_time, 'test' AS source,
         TIMESTAMP '2026-03-14 00:00:00' AS ingest_time, TIMESTAMP '2026-03-14 00:00:00' AS open_time, 6.0 AS open, 8.0 AS high, 4.0 AS low,
         close, 1.0 AS volume, NULL::DOUBLE AS quote_volume, NULL::BIGINT AS trade_count FROM st`,
    );
    expect(await writeTable(ctx, { root, spec: bars }, 'st2')).toMatchObject({ rows_in: 3, rows_duplicate_in_batch: 2, rows_added: 1 });
    expect(await ctx.db.scalar(`SELECT close FROM read_parquet($g)`, { g: `${root}/bars/**/*.parquet` })).toBe(7);
  });

  it('reports progress per staged partition of the merge path, then ends the line', async () => {
    const base = await testContext();
    const root = tempDir();
    await writeRows(base, { root, spec: bars }, [bar(0), bar(0, { symbol: 'ETH-PERP' })]);
    const lines: string[] = [];
    const log = { ...base.log, progress: (m: string) => lines.push(m), progressDone: () => lines.push('done') };
    await writeRows({ ...base, log }, { root, spec: bars }, [bar(0, { close: 1 }), bar(0, { symbol: 'ETH-PERP', close: 1 })]);
    expect(lines).toEqual(['bars: staged 1/2 partitions', 'bars: staged 2/2 partitions', 'done']);
  });
});
