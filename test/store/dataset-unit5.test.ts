import { describe, expect, it } from 'vitest';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { datasetFiles, listOf, openWrite, SCAN_SQL, writeRows, writeTable } from '../../src/store/dataset.js';
import { RowStage } from '../../src/store/stage.js';
import { tempDir, testContext } from '../helpers.js';
import { bar, H, T0 } from './bar-fixture.js';

/**
 * addBatch in-process, the parts the store-write-5 mutation run found open: a replace write never takes the
 * append path (stored rows not staged again are dropped even when every staged row is later than them), and a
 * dataset without a time key merges with what is stored (its stored rows are read without a time partition); the
 * merge loop stops at the next partition once the write is aborted; a batch drops its work tables when staged;
 * a batch of new and stored partitions is not written by the fresh-batch COPY; that COPY reads the stage on one thread;
 * the backups of rewritten and deleted partitions go to the transaction's trash, which the commit removes; the hint
 * of writeRows' refusal; every unknown column of a stage named.
 */
type Ctx = Awaited<ReturnType<typeof testContext>>;

const bars = DATASETS.bars;
const MARCH = ['bars', 'venue=binance-usdm', 'symbol=BTC-PERP', 'price=last', 'timeframe=1h', 'month=2026-03'];

function inst(o: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    venue: 'binance-usdm', symbol: 'BTC-PERP', event_time: T0, available_time: T0, source: 'test', ingest_time: T0, venue_symbol: 'BTCUSDT',
    kind: 'perp', base: 'BTC', quote: 'USDT', settle: 'USDT', contract_size: 1, tick_size: 0.1, lot_size: 0.001, funding_interval_hours: 8,
    funding_accrual_hours: 8, maker_fee: 0.0002, taker_fee: 0.0005, fee_tiers: null, spot_venue: 'binance', spot_symbol: 'BTC-USDT', expiry: null,
    ...o,
  };
}

async function stored(ctx: Ctx, root: string, spec = bars, col = 'close'): Promise<unknown[]> {
  const files = await datasetFiles(root, spec);
  const rows = await ctx.db.all(`SELECT ${col} AS v FROM ${SCAN_SQL} ORDER BY event_time`, { files: listOf(files) });
  return rows.map((r) => r['v']);
}

describe('addBatch: the paths the store-write mutation runs found open', () => {
  it('a replace write of rows later than everything stored rewrites the partition (no append): the old rows go', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: bars }, [bar(0), bar(1)]);
    const r = await writeRows(ctx, { root, spec: bars, replace: { symbol: ['BTC-PERP'] } }, [bar(5), bar(6)]);
    expect(r).toMatchObject({ rows_added: 2, partitions_written: 1, partitions_appended: 0, partitions_deleted: 0 });
    expect(readdirSync(join(root, ...MARCH)).filter((f) => f.endsWith('.parquet'))).toEqual(['part-0.parquet']);
    expect(await stored(ctx, root)).toEqual([105, 106]);
  });

  it('a merge write of rows later than everything stored still appends (the same rows as above, no replace)', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: bars }, [bar(0), bar(1)]);
    const r = await writeRows(ctx, { root, spec: bars }, [bar(5), bar(6)]);
    expect(r).toMatchObject({ rows_added: 2, partitions_appended: 1 });
    expect(await stored(ctx, root)).toEqual([100, 101, 105, 106]);
  });

  it('merges a dataset without a time key with what is stored: unchanged, replaced and added rows', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const spec = DATASETS.instruments;
    await writeRows(ctx, { root, spec }, [inst(), inst({ event_time: T0 + H, available_time: T0 + H })]);
    const r = await writeRows(ctx, { root, spec }, [
      inst(),
      inst({ event_time: T0 + H, available_time: T0 + H, tick_size: 0.5 }),
      inst({ event_time: T0 + 2 * H, available_time: T0 + 2 * H }),
    ]);
    expect(r).toMatchObject({ rows_unchanged: 1, rows_replaced: 1, rows_added: 1, partitions_written: 1 });
    expect(await stored(ctx, root, spec, 'tick_size')).toEqual([0.1, 0.5, 0.1]);
  });

  it('an abort during the merge stops staging at the next partition (not only at the commit) and changes nothing', async () => {
    const base = await testContext();
    const root = tempDir();
    await writeRows(base, { root, spec: bars }, [bar(0), bar(0, { symbol: 'ETH-PERP' })]);
    const ac = new AbortController();
    const lines: string[] = [];
    const log = { ...base.log, progress: (m: string) => { lines.push(m); ac.abort(new Error('stop here')); } };
    await expect(writeRows({ ...base, log, signal: ac.signal }, { root, spec: bars }, [bar(0, { close: 1 }), bar(0, { symbol: 'ETH-PERP', close: 1 })])).rejects.toThrow(
      'stop here',
    );
    expect(lines).toEqual(['bars: staged 1/2 partitions']);
    expect(await stored(base, root)).toEqual([100, 100]);
  });

  it('a merged batch drops its work tables when staged, before the next add() or the commit', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: bars }, [bar(0)]);
    const st = new RowStage(ctx.db, bars, 'mwr_stage');
    await st.append([bar(0, { close: 1 }), bar(1)]);
    const table = await st.typed();
    const w = await openWrite(ctx, { root, spec: bars });
    try {
      await w.add(table as string);
      const work = await ctx.db.all(`SELECT table_name FROM duckdb_tables() WHERE table_name IN ('__new', '__old', '__cls')`);
      expect(work).toEqual([]);
      expect(await w.commit()).toMatchObject({ rows_replaced: 1, rows_added: 1 });
    } finally {
      await w.close();
      await st.discard();
    }
  });

  it('a batch with a new partition and a stored one merges (no fresh-batch COPY over the stored partition)', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: bars }, [bar(0)]);
    const r = await writeRows(ctx, { root, spec: bars }, [bar(1), bar(0, { symbol: 'ETH-PERP', close: 7 })]);
    expect(r).toMatchObject({ rows_added: 2, partitions_written: 2, partitions_appended: 1 });
    const files = await datasetFiles(root, bars);
    const rows = await ctx.db.all(`SELECT symbol, close FROM ${SCAN_SQL} ORDER BY symbol, event_time`, { files: listOf(files) });
    expect(rows.map((x) => `${String(x['symbol'])} ${String(x['close'])}`)).toEqual(['BTC-PERP 100', 'BTC-PERP 101', 'ETH-PERP 7']);
  });

  it('the fresh-batch COPY reads the stage on one thread (a stage view sees threads = 1), then restores the setting', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await ctx.db.exec('SET threads = 3');
    const st = new RowStage(ctx.db, bars, 'mwr_rows');
    await st.append([bar(0), bar(1)]);
    const table = (await st.typed()) as string;
    // the stage as a view whose source column says how many threads the session had when the view was read
    await ctx.db.exec(`CREATE TEMP VIEW mwr_view AS SELECT * REPLACE (current_setting('threads')::VARCHAR AS source) FROM ${table}`);
    try {
      expect(await openWriteOnce(ctx, root, 'mwr_view')).toMatchObject({ rows_added: 2, partitions_written: 1 });
    } finally {
      await ctx.db.exec('DROP VIEW mwr_view');
      await st.discard();
    }
    expect(await stored(ctx, root, bars, 'source')).toEqual(['1', '1']);
    expect(Number(await ctx.db.scalar(`SELECT current_setting('threads')`))).toBe(3);
  });

  it('leaves no backup behind: a rewritten and a deleted partition go to the trash, which the commit removes', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: bars }, [bar(0), bar(0, { symbol: 'ETH-PERP' })]);
    await writeRows(ctx, { root, spec: bars }, [bar(0, { close: 1 })]);
    const r = await writeRows(ctx, { root, spec: bars, replace: { symbol: ['BTC-PERP', 'ETH-PERP'] } }, [bar(0, { close: 2 })]);
    expect(r).toMatchObject({ partitions_written: 1, partitions_deleted: 1 });
    const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => statSync(join(root, f)).isFile());
    expect(files).toEqual([join(...MARCH, 'part-0.parquet')]);
    expect(await stored(ctx, root)).toEqual([2]);
  });

  it('a refused writeRows says what to do next (the hint of the validation error)', async () => {
    const ctx = await testContext();
    await expect(writeRows(ctx, { root: tempDir(), spec: bars }, [bar(0, { close: Infinity })])).rejects.toMatchObject({
      kind: 'validation',
      hint: 'fix the input (or the importer mapping) and run again',
    });
  });

  it('names every unknown column of a stage, comma-separated', async () => {
    const ctx = await testContext();
    const st = new RowStage(ctx.db, bars, 'mwr_cols');
    await st.append([bar(0)]);
    const table = (await st.typed()) as string;
    await ctx.db.exec(`CREATE TEMP TABLE mwr_extra AS SELECT *, 1 AS x1, 2 AS x2 FROM ${table}`);
    try {
      await expect(writeTable(ctx, { root: tempDir(), spec: bars }, 'mwr_extra')).rejects.toMatchObject({
        message: 'bars: unknown column(s) x1, x2; nothing was written',
      });
    } finally {
      await ctx.db.exec('DROP TABLE mwr_extra');
      await st.discard();
    }
  });
});

async function openWriteOnce(ctx: Ctx, root: string, stage: string): Promise<unknown> {
  const w = await openWrite(ctx, { root, spec: bars });
  try {
    await w.add(stage);
    return await w.commit();
  } finally {
    await w.close();
  }
}
