import { describe, expect, it, vi } from 'vitest';
import { copyFileSync, cpSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { contentFingerprint, contentHash, datasetFiles, writeRows } from '../../src/store/dataset.js';
import { acquireLock } from '../../src/store/txn.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * The read side of dataset.ts in-process: partition pruning of a date-partitioned dataset at each time bound
 * (from inclusive, to exclusive, to the microsecond), stray entries ignored, the filter names refused by flag,
 * recovery by a reader only when no writer is at work, and the empty and cached cases of the content hashes.
 */
const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;
const DAY = 86_400_000_000;

function trade(day: number, o: Record<string, unknown> = {}): Record<string, unknown> {
  const t = T0 + day * DAY + 3_600_000_000;
  return { venue: 'binance-usdm', symbol: 'BTC-PERP', event_time: t, available_time: t, source: 'test', ingest_time: T0, trade_id: `t${day}`, price: 100 + day, size: 1, side: 'buy', ...o };
}
const trades = DATASETS.trades;
const dates = (files: string[]): string[] => files.map((f) => /date=([0-9-]+)/.exec(f)?.[1] ?? f);

describe('datasetFiles: pruning and listing', () => {
  it('prunes date partitions by [from, to): from inclusive, to exclusive, to the microsecond', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: trades }, [trade(0), trade(1), trade(2), trade(0, { symbol: 'ETH-PERP' })]);
    const f = (from?: number, to?: number): Promise<string[]> =>
      datasetFiles(root, trades, { symbol: ['BTC-PERP'], ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) }).then(dates);
    expect(await f()).toEqual(['2026-03-14', '2026-03-15', '2026-03-16']);
    expect(await f(T0 + DAY)).toEqual(['2026-03-15', '2026-03-16']);
    expect(await f(T0 + DAY - 1)).toEqual(['2026-03-14', '2026-03-15', '2026-03-16']);
    expect(await f(undefined, T0 + DAY)).toEqual(['2026-03-14']);
    expect(await f(undefined, T0 + DAY + 1)).toEqual(['2026-03-14', '2026-03-15']);
    expect(await f(T0 + DAY, T0 + 2 * DAY)).toEqual(['2026-03-15']);
    expect(await datasetFiles(root, trades, { venue: ['binance-usdm'] })).toHaveLength(4);
    expect(await datasetFiles(root, trades, { venue: ['other'] })).toEqual([]);
    expect(await datasetFiles(tempDir(), trades)).toEqual([]);
  });

  it('ignores stray files and folders, hidden and non-Parquet files; lists files sorted', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: trades }, [trade(0)]);
    const day = join(root, 'trades', 'venue=binance-usdm', 'symbol=BTC-PERP', 'date=2026-03-14');
    copyFileSync(join(day, 'part-0.parquet'), join(day, 'part-a.parquet'));
    writeFileSync(join(day, '.part-x.parquet'), 'x');
    writeFileSync(join(day, 'notes.txt'), 'x');
    writeFileSync(join(root, 'trades', 'venue=stray'), 'a file, not a folder');
    // folders of another key hold a Parquet file each: they are not partitions of this dataset
    for (const stray of [['other=x', 'symbol=BTC-PERP', 'date=2026-03-14'], ['venue=binance-usdm', 'symbol=BTC-PERP', 'month=2026-03']]) {
      mkdirSync(join(root, 'trades', ...stray), { recursive: true });
      copyFileSync(join(day, 'part-0.parquet'), join(root, 'trades', ...stray, 'part-0.parquet'));
    }
    writeFileSync(join(root, 'trades', 'venue=binance-usdm', 'symbol=BTC-PERP', 'date=2026-03-15'), 'a file');
    const files = await datasetFiles(root, trades);
    expect(files).toEqual([join(day, 'part-0.parquet'), join(day, 'part-a.parquet')]);
  });

  it('lists a dataset without a time key, sorts files as paths (BTC-X before BTC/), and a reader creates no .perpkit', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: trades }, [trade(0), trade(0, { symbol: 'BTC' }), trade(0, { symbol: 'BTC-X' })]);
    const files = await datasetFiles(root, trades);
    expect(files.map((f) => f.slice(root.length + 1).split('/')[2])).toEqual(['symbol=BTC-PERP', 'symbol=BTC-X', 'symbol=BTC']);
    expect(files).toEqual([...files].sort());
    rmSync(join(root, '.perpkit'), { recursive: true, force: true });
    await datasetFiles(root, trades);
    expect(existsSync(join(root, '.perpkit'))).toBe(false);
    const inst = {
      venue: 'binance-usdm', symbol: 'BTC-PERP', event_time: T0, available_time: T0, source: 'test', ingest_time: T0, venue_symbol: 'BTCUSDT',
      kind: 'perp', base: 'BTC', quote: 'USDT', settle: 'USDT', contract_size: 1, tick_size: 0.1, lot_size: 0.001, funding_interval_hours: 8,
      funding_accrual_hours: 8, maker_fee: 0.0002, taker_fee: 0.0005, fee_tiers: null, spot_venue: 'binance', spot_symbol: 'BTC-USDT', expiry: null,
    };
    await writeRows(ctx, { root, spec: DATASETS.instruments }, [inst]);
    expect((await datasetFiles(root, DATASETS.instruments)).map((f) => f.slice(root.length + 1))).toEqual([
      'instruments/venue=binance-usdm/symbol=BTC-PERP/part-0.parquet',
    ]);
  });

  it('refuses a filter value that is not a name, naming the flag', async () => {
    const root = tempDir();
    await expect(datasetFiles(root, DATASETS.bars, { symbol: ['../x'] })).rejects.toMatchObject({
      kind: 'usage',
      message: '--symbols value "../x" is not a valid name (letters, digits, - _ . only)',
    });
    for (const k of ['venue', 'price', 'timeframe'] as const) {
      await expect(datasetFiles(root, DATASETS.bars, { [k]: ['ok', 'a b'] })).rejects.toMatchObject({
        kind: 'usage',
        message: `--${k} value "a b" is not a valid name (letters, digits, - _ . only)`,
      });
    }
  });

  it('a reader finishes an interrupted write only when no writer holds the lock', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: trades }, [trade(0)]);
    const day = join(root, 'trades', 'venue=binance-usdm', 'symbol=BTC-PERP', 'date=2026-03-14');
    const staged = join(root, '.perpkit', 'staging', 'tx1', 'part-tx1.parquet');
    mkdirSync(join(root, '.perpkit', 'staging', 'tx1'), { recursive: true });
    copyFileSync(join(day, 'part-0.parquet'), staged);
    mkdirSync(join(root, '.perpkit', 'txn'), { recursive: true });
    writeFileSync(join(root, '.perpkit', 'txn', 'tx1.json'), JSON.stringify({ txid: 'tx1', swaps: [{ final: join(day, 'part-tx1.parquet'), staged, backup: '', add: true }] }));
    const lock = await acquireLock(root, 0);
    expect(await datasetFiles(root, trades)).toEqual([join(day, 'part-0.parquet')]);
    lock.release();
    expect(await datasetFiles(root, trades)).toEqual([join(day, 'part-0.parquet'), join(day, 'part-tx1.parquet')]);
    // and the reader let go of the lock
    (await acquireLock(root, 0)).release();
  });
});

describe('content hashes', () => {
  it('of nothing: "empty"; of rows: hex (contentHash) or rs2: (fingerprint; rs1: on request), with rows and files', async () => {
    const ctx = await testContext();
    const root = tempDir();
    expect(await contentHash(ctx, root, trades)).toEqual({ hash: 'empty', rows: 0, files: 0 });
    expect(await contentFingerprint(ctx, root, trades)).toEqual({ hash: 'empty', rows: 0, files: 0 });
    await writeRows(ctx, { root, spec: trades }, [trade(0), trade(1)]);
    const h = await contentHash(ctx, root, trades);
    expect(h).toMatchObject({ rows: 2, files: 2 });
    expect(h.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(await contentHash(ctx, root, trades, { from: T0 + DAY })).toMatchObject({ rows: 1, files: 1 });
    // an excluded column does not count; a column that is hashed does
    const other = tempDir();
    await writeRows(ctx, { root: other, spec: trades }, [trade(0, { source: 'elsewhere' }), trade(1, { source: 'elsewhere' })]);
    expect((await contentHash(ctx, other, trades, {}, ['source'])).hash).toBe((await contentHash(ctx, root, trades, {}, ['source'])).hash);
    expect((await contentHash(ctx, other, trades)).hash).not.toBe(h.hash);
    const fp = await contentFingerprint(ctx, root, trades);
    expect(fp).toMatchObject({ rows: 2, files: 2 });
    expect(fp.hash).toMatch(/^rs2:[0-9a-f]{40}$/);
    expect((await contentFingerprint(ctx, root, trades, {}, [], 'rs1')).hash).toMatch(/^rs1:[0-9a-f]{40}$/);
  });

  it('a fingerprint of fixed rows is a fixed value (stored fingerprints of older splits must still match)', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: trades }, [trade(0), trade(1)]);
    expect((await contentFingerprint(ctx, root, trades, {}, [], 'rs1')).hash).toBe('rs1:bfffce9f3b751c9e313c75292c981a0432dfb829');
    expect((await contentFingerprint(ctx, root, trades)).hash).toBe('rs2:040c2765ae80d36c4e3660f823f134cefbf38042');
  });

  it('files without a catalog column (written by an older build): the fingerprint and the older content hash are over the columns they hold, no engine error', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: trades }, [trade(0), trade(1)]);
    const full = await contentFingerprint(ctx, root, trades, {}, ['side']);
    const old = tempDir();
    cpSync(root, old, { recursive: true });
    const files = await datasetFiles(old, trades);
    expect(files).toHaveLength(2);
    for (const f of files) {
      await ctx.db.exec(`COPY (SELECT * EXCLUDE (side) FROM read_parquet('${f}')) TO '${f}.tmp' (FORMAT parquet)`);
      renameSync(`${f}.tmp`, f);
    }
    expect(await contentFingerprint(ctx, old, trades)).toEqual(full);
    // the hash older splits recorded (contentHash, plain hex) too
    expect(await contentHash(ctx, old, trades)).toEqual(await contentHash(ctx, root, trades, {}, ['side']));
    // one file with the column and one without: its rows are NULL there, and that is hashed
    cpSync(join(root, relative(old, files[0]!)), files[0]!);
    const mixed = await contentFingerprint(ctx, old, trades);
    expect(mixed.rows).toBe(2);
    expect(mixed.hash).not.toBe(full.hash);
    expect(mixed.hash).not.toBe((await contentFingerprint(ctx, root, trades)).hash);
  });

  it('fingerprints of unchanged files come from the cache, which holds at most 64 entries', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: trades }, [trade(0)]);
    // a fresh copy of the module: its cache is empty (the other tests of this file filled the shared one)
    vi.resetModules();
    const { contentFingerprint } = await import('../../src/store/dataset.js');
    const first = await contentFingerprint(ctx, root, trades, {}, ['c0']);
    expect(await contentFingerprint(ctx, root, trades, {}, ['c0'])).toBe(first);
    // other columns left out: another entry, the same value here (c1 is no column)
    const second = await contentFingerprint(ctx, root, trades, {}, ['c1']);
    expect(second).not.toBe(first);
    expect(second).toEqual(first);
    for (let i = 2; i < 64; i++) await contentFingerprint(ctx, root, trades, {}, [`c${i}`]);
    expect(await contentFingerprint(ctx, root, trades, {}, ['c0'])).toBe(first);
    await contentFingerprint(ctx, root, trades, {}, ['c64']); // the 65th entry empties the cache first
    const again = await contentFingerprint(ctx, root, trades, {}, ['c0']);
    expect(again).not.toBe(first);
    expect(again).toEqual(first);
  });
});
