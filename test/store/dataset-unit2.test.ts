import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { openWrite, writeRows, writeStaged } from '../../src/store/dataset.js';
import { RowStage } from '../../src/store/stage.js';
import { acquireLock } from '../../src/store/txn.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * The write's bookkeeping in-process, on a few rows each: every count of the result in one mixed write (append,
 * merge, unchanged, new partition), the zod refusal message of writeRows, the session's thread setting restored,
 * an aborted write changing nothing, writeStaged's empty case, and the writer's guards after commit or close.
 */
const H = 3_600_000_000;
const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;
const DAY = 24 * H;

function bar(i: number, o: Record<string, unknown> = {}): Record<string, unknown> {
  const event = T0 + (i + 1) * H;
  return {
    venue: 'binance-usdm',
    symbol: 'BTC-PERP',
    price: 'last',
    timeframe: '1h',
    event_time: event,
    available_time: event + 1_000_000,
    source: 'test',
    ingest_time: T0,
    open_time: event - H,
    open: 100,
    high: 102,
    low: 99,
    close: 101,
    volume: 5,
    quote_volume: null,
    trade_count: null,
    ...o,
  };
}
/** a bar `days` days after bar(0) (30 days: April, 60: May) */
const later = (days: number, o: Record<string, unknown> = {}): Record<string, unknown> =>
  bar(0, { event_time: T0 + H + days * DAY, available_time: T0 + H + days * DAY, open_time: T0 + days * DAY, ...o });

const bars = DATASETS.bars;
const BTC = ['bars', 'venue=binance-usdm', 'symbol=BTC-PERP', 'price=last', 'timeframe=1h'];

describe('write results: every count', () => {
  it('a first write (one COPY): rows and partitions added, the fresh-batch timings', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const r = await writeRows(ctx, { root, spec: bars }, [bar(0), bar(1), later(30)]);
    expect(r).toEqual({
      dataset: 'bars',
      rows_in: 3,
      rows_added: 3,
      rows_replaced: 0,
      rows_unchanged: 0,
      rows_duplicate_in_batch: 0,
      partitions_written: 2,
      partitions_unchanged: 0,
      partitions_deleted: 0,
      partitions_appended: 0,
      timings_ms: expect.any(Object),
    });
    expect(Object.keys(r.timings_ms).sort()).toEqual(['commit', 'files', 'key_order', 'validate']);
    expect(readdirSync(join(root, ...BTC)).sort()).toEqual(['month=2026-03', 'month=2026-04']);
  });

  it('a mixed write: appended, replaced, unchanged and new partitions counted apart', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: bars }, [bar(0), bar(1), later(30), later(60)]);
    const t0 = performance.now();
    const r = await writeRows(ctx, { root, spec: bars }, [
      bar(2), // March: after everything stored -> appended part file
      later(30, { close: 100.5 }), // April: a stored key with another value -> merged
      later(60, { ingest_time: T0 + 5 }), // May: the same values -> unchanged
      bar(0, { symbol: 'ETH-PERP' }), // a new partition
      bar(0, { symbol: 'ETH-PERP', close: 100.25 }), // the same key again in the batch: the later row wins
    ]);
    expect(r).toMatchObject({
      rows_in: 5,
      rows_added: 2,
      rows_replaced: 1,
      rows_unchanged: 1,
      rows_duplicate_in_batch: 1,
      partitions_written: 3,
      partitions_unchanged: 1,
      partitions_deleted: 0,
      partitions_appended: 1,
    });
    expect(Object.keys(r.timings_ms).sort()).toEqual(['classify', 'commit', 'dedupe', 'files', 'key_order', 'validate']);
    // each step's milliseconds: whole, not negative, and together no more than the write took
    const took = performance.now() - t0;
    const steps = Object.values(r.timings_ms);
    for (const ms of steps) expect(Number.isInteger(ms) && ms >= 0).toBe(true);
    expect(steps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(Math.ceil(took) + steps.length);
    expect(readdirSync(join(root, ...BTC, 'month=2026-03')).filter((f) => f.endsWith('.parquet'))).toHaveLength(2);
    const rows = await ctx.db.all(`SELECT symbol, close FROM read_parquet($g, hive_partitioning = true) ORDER BY symbol, event_time`, {
      g: `${root}/bars/**/*.parquet`,
    });
    expect(rows.map((x) => `${String(x['symbol'])} ${Number(x['close'])}`)).toEqual([
      'BTC-PERP 101',
      'BTC-PERP 101',
      'BTC-PERP 101',
      'BTC-PERP 100.5',
      'BTC-PERP 101',
      'ETH-PERP 100.25',
    ]);
  });
});

describe('partitions a write does not stage', () => {
  it('a merge leaves them alone; a replace deletes those in its scope and counts none of them unchanged', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: bars }, [bar(0), later(30)]);
    const merge = await writeRows(ctx, { root, spec: bars }, [bar(0, { close: 1 })]);
    expect(merge).toMatchObject({ partitions_written: 1, partitions_deleted: 0, partitions_unchanged: 0 });
    expect(readdirSync(join(root, ...BTC)).sort()).toEqual(['month=2026-03', 'month=2026-04']);
    const replace = await writeRows(ctx, { root, spec: bars, replace: { symbol: ['BTC-PERP'] } }, [bar(0, { close: 2 })]);
    expect(replace).toMatchObject({ partitions_written: 1, partitions_deleted: 1, partitions_unchanged: 0, rows_replaced: 1 });
    expect(readdirSync(join(root, ...BTC))).toEqual(['month=2026-03']);
  });
});

describe('writeRows refusals (the zod pass)', () => {
  it('one line per column and problem with its row count and first value (non-finite numbers by name), nothing written', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const p = writeRows(ctx, { root, spec: bars }, [
      bar(0, { close: Infinity }),
      bar(1, { close: -Infinity, volume: 'x' }),
      bar(2, { extra: 1 }),
    ]);
    await expect(p).rejects.toMatchObject({
      kind: 'validation',
      message: [
        'bars: refused 3 row(s); nothing was written:',
        '  column close: not a finite number (NaN or infinity): 2 row(s), e.g. "Infinity"',
        '  column volume: not a finite number (NaN or infinity): 1 row(s), e.g. "x"',
        '  column (row): Unrecognized key: "extra": 1 row(s), e.g. undefined',
      ].join('\n'),
      details: {
        dataset: 'bars',
        rows_in: 3,
        violations: ['close: not a finite number (NaN or infinity)', 'volume: not a finite number (NaN or infinity)', '(row): Unrecognized key: "extra"'],
      },
    });
    expect(existsSync(join(root, 'bars'))).toBe(false);
  });
});

describe('the session and the write transaction', () => {
  it("restores the session's thread setting after the one-thread scans", async () => {
    const ctx = await testContext();
    await ctx.db.exec('SET threads = 3');
    await writeRows(ctx, { root: tempDir(), spec: bars }, [bar(1), bar(0)]);
    expect(Number(await ctx.db.scalar(`SELECT current_setting('threads')`))).toBe(3);
  });

  it('an aborted write (fresh or merging) changes nothing and releases the lock', async () => {
    const base = await testContext();
    const root = tempDir();
    const ac = new AbortController();
    ac.abort(new Error('stop here'));
    const aborted = { ...base, signal: ac.signal };
    await expect(writeRows(aborted, { root, spec: bars }, [bar(0)])).rejects.toThrow('stop here');
    expect(existsSync(join(root, 'bars'))).toBe(false);
    await writeRows(base, { root, spec: bars }, [bar(0)]);
    await expect(writeRows(aborted, { root, spec: bars }, [bar(0, { close: 1 })])).rejects.toThrow('stop here');
    const close = await base.db.scalar(`SELECT close FROM read_parquet($g)`, { g: `${root}/bars/**/*.parquet` });
    expect(close).toBe(101);
    (await acquireLock(root, 0)).release();
  });

  it('writeStaged: null for an empty stage; the stage is emptied and its tables dropped, also when the write is refused', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const st = new RowStage(ctx.db, bars, 'ws_stage');
    expect(await writeStaged(ctx, { root }, st)).toBeNull();
    await st.append([bar(0, { available_time: T0 })]);
    await expect(writeStaged(ctx, { root }, st)).rejects.toMatchObject({ kind: 'validation' });
    expect(st.rows).toBe(0);
    const temp = await ctx.db.all(`SELECT table_name FROM duckdb_tables() WHERE temporary`);
    expect(temp).toEqual([]);
    await st.append([bar(0)]);
    expect(await writeStaged(ctx, { root }, st)).toMatchObject({ rows_added: 1 });
  });

  it('refuses add() and commit() after close; close twice is harmless and frees the lock and work tables', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const w = await openWrite(ctx, { root, spec: bars });
    await expect(acquireLock(root, 0)).rejects.toBeTruthy();
    await ctx.db.exec('CREATE TEMP TABLE __new AS SELECT 1 AS x');
    await w.close();
    await w.close();
    expect(await ctx.db.all(`SELECT table_name FROM duckdb_tables() WHERE temporary`)).toEqual([]);
    await expect(w.add('anything')).rejects.toThrow('write of bars: add() after commit or close');
    await expect(w.commit()).rejects.toThrow('write of bars: commit() twice or after close');
    (await acquireLock(root, 0)).release();
  });
});
