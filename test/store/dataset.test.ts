import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { isPerpkitError } from '../../src/domain/errors.js';
import { contentHash, datasetFiles, listOf, SCAN_SQL, writeRows, type WriteResult } from '../../src/store/dataset.js';
import { tempDir, testContext, treeHash } from '../helpers.js';

const H = 3_600_000_000; // one hour in microseconds
const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;

/** Real BTC-PERP 1h bars (Binance USD-M, 2024-01-01 00:00-03:00 opens), moved to 2026-03-14 for the tests. */
const REAL_BARS: Array<[number, number, number, number, number]> = [
  [42314.0, 42603.2, 42289.6, 42503.5, 8459.477],
  [42503.5, 42832.0, 42462.0, 42647.9, 9043.411],
  [42647.9, 42680.0, 42456.5, 42597.0, 5426.432],
];

function bar(i: number, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const [open, high, low, close, volume] = REAL_BARS[i % REAL_BARS.length] as [number, number, number, number, number];
  const event = T0 + (i + 1) * H;
  return {
    venue: 'binance-usdm',
    symbol: 'BTC-PERP',
    price: 'last',
    timeframe: '1h',
    event_time: event,
    available_time: event + 2_000_000,
    source: 'test',
    ingest_time: T0,
    open_time: event - H,
    open,
    high,
    low,
    close,
    volume,
    quote_volume: null,
    trade_count: null,
    ...overrides,
  };
}

async function expectRefused(p: Promise<WriteResult>, kind: string, ...fragments: string[]): Promise<void> {
  try {
    await p;
  } catch (err) {
    expect(isPerpkitError(err)).toBe(true);
    if (!isPerpkitError(err)) return;
    expect(err.kind).toBe(kind);
    for (const f of fragments) expect(err.message).toContain(f);
    return;
  }
  throw new Error('write was not refused');
}

describe('dataset writer', () => {
  it('writes Hive partitions that DuckDB reads back exactly, bar event_time at the close', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const rows = [bar(0), bar(1), bar(2)];
    const r = await writeRows(ctx, { root, spec: DATASETS.bars }, rows);
    expect(r).toMatchObject({ rows_in: 3, rows_added: 3, rows_replaced: 0, rows_unchanged: 0, partitions_written: 1 });
    const dir = join(root, 'bars', 'venue=binance-usdm', 'symbol=BTC-PERP', 'price=last', 'timeframe=1h', 'month=2026-03');
    expect(readdirSync(dir)).toEqual(['part-0.parquet']);
    const back = await ctx.db.all(
      `SELECT venue, symbol, price, timeframe, month, epoch_us(event_time)::BIGINT AS ev, epoch_us(open_time)::BIGINT AS op,
              epoch_us(available_time)::BIGINT AS av, open, high, low, close, volume
       FROM read_parquet($glob, hive_partitioning = true) ORDER BY event_time`,
      { glob: `${root}/bars/**/*.parquet` },
    );
    expect(back).toHaveLength(3);
    back.forEach((b, i) => {
      const src = rows[i] as Record<string, number | string>;
      expect(b).toMatchObject({ venue: 'binance-usdm', symbol: 'BTC-PERP', price: 'last', timeframe: '1h', month: '2026-03' });
      expect(Number(b['ev'])).toBe(src['event_time']);
      expect(Number(b['ev']) - Number(b['op'])).toBe(H);
      expect(Number(b['av'])).toBeGreaterThanOrEqual(Number(b['ev']));
      for (const k of ['open', 'high', 'low', 'close', 'volume']) expect(b[k]).toBe(src[k]);
    });
  });

  it('is idempotent: the same rows twice leave identical files and no duplicates', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const rows = [bar(0), bar(1), bar(2)];
    await writeRows(ctx, { root, spec: DATASETS.bars }, rows);
    const before = treeHash(join(root, 'bars'));
    // a later run: other ingest_time, same values -> kept as stored
    const again = await writeRows(ctx, { root, spec: DATASETS.bars }, rows.map((r) => ({ ...r, ingest_time: T0 + 99 })));
    expect(again).toMatchObject({ rows_unchanged: 3, rows_added: 0, rows_replaced: 0, partitions_written: 0 });
    expect(treeHash(join(root, 'bars'))).toBe(before);
    const n = await ctx.db.scalar(`SELECT count(*) FROM read_parquet($g)`, { g: `${root}/bars/**/*.parquet` });
    expect(Number(n)).toBe(3);
  });

  it('merges overlapping writes on the natural key; new values replace old ones', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0), bar(1)]);
    const r = await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(1, { close: 42648.0 }), bar(2)]);
    expect(r).toMatchObject({ rows_added: 1, rows_replaced: 1, rows_unchanged: 0 });
    const closes = await ctx.db.all(`SELECT close FROM read_parquet($g) ORDER BY event_time`, { g: `${root}/bars/**/*.parquet` });
    expect(closes.map((c) => c['close'])).toEqual([42503.5, 42648.0, 42597.0]);
  });

  it('keeps the last of duplicate keys within one batch and says so', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const r = await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0), bar(0, { close: 42500.0 })]);
    expect(r).toMatchObject({ rows_in: 2, rows_duplicate_in_batch: 1, rows_added: 1 });
    const close = await ctx.db.scalar(`SELECT close FROM read_parquet($g)`, { g: `${root}/bars/**/*.parquet` });
    expect(close).toBe(42500.0);
  });

  it('only rewrites partitions that change', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const april = bar(0, { event_time: T0 + 800 * H, available_time: T0 + 800 * H, open_time: T0 + 799 * H });
    await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0), april]);
    const aprilDir = join(root, 'bars/venue=binance-usdm/symbol=BTC-PERP/price=last/timeframe=1h/month=2026-04');
    const aprilHash = treeHash(aprilDir);
    const r = await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0, { close: 1 }), april]);
    expect(r).toMatchObject({ partitions_written: 1, partitions_unchanged: 1 });
    expect(treeHash(aprilDir)).toBe(aprilHash);
  });

  describe('refuses invalid rows with exit 3, naming dataset, column, value and count, writing nothing', () => {
    const cases: Array<[string, Array<Record<string, unknown>>, string[]]> = [
      ['NaN price', [bar(0), bar(1, { close: Number.NaN }), bar(2, { close: Number.NaN })], ['bars', 'close', 'finite', '2 row(s)', 'NaN']],
      ['available before event', [bar(0, { available_time: T0 })], ['bars', 'available_time', 'earlier than event_time', '1 row(s)']],
      ['negative volume', [bar(0, { volume: -1 })], ['bars', 'volume', '>= 0', '-1']],
      ['missing column', [Object.fromEntries(Object.entries(bar(0)).filter(([k]) => k !== 'close'))], ['bars', 'close']],
      ['bad price type', [bar(0, { price: 'spot' })], ['bars', 'price']],
      ['bad partition slug', [bar(0, { symbol: '../../x' })], ['bars', 'symbol', 'partition value', '../../x']],
    ];
    for (const [name, rows, fragments] of cases) {
      it(name, async () => {
        const ctx = await testContext();
        const root = tempDir();
        await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(5)]);
        const before = treeHash(root);
        await expectRefused(writeRows(ctx, { root, spec: DATASETS.bars }, rows), 'validation', ...fragments);
        expect(treeHash(root)).toBe(before);
        expect(existsSync(join(root, 'x'))).toBe(false);
      });
    }
  });

  it('refuses invalid rows of a SQL-staged table too (the bulk import path)', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const { writeTable } = await import('../../src/store/dataset.js');
    await ctx.db.exec(`CREATE TEMP TABLE st AS SELECT 'binance-usdm' AS venue, 'BTC-PERP' AS symbol,
      TIMESTAMP '2026-03-14 00:00:00' AS event_time, TIMESTAMP '2026-03-13 23:00:00' AS available_time,
      'x' AS source, TIMESTAMP '2026-03-14 00:00:00' AS ingest_time, 'nan'::DOUBLE AS funding_rate,
      8.0 AS funding_interval_hours, NULL::DOUBLE AS mark_price`);
    await expectRefused(writeTable(ctx, { root, spec: DATASETS.funding }, 'st'), 'validation', 'funding', 'funding_rate', 'available_time');
    expect(existsSync(join(root, 'funding'))).toBe(false);
  });
});

describe('dataset reader', () => {
  it('prunes partitions by venue, symbol, timeframe and time range', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const march = [bar(0), bar(1)];
    const april = [bar(0, { event_time: T0 + 800 * H, available_time: T0 + 800 * H, open_time: T0 + 799 * H })];
    const eth = [bar(0, { symbol: 'ETH-PERP' })];
    const m15 = [bar(0, { timeframe: '15m', open_time: T0 + H - 900_000_000 })];
    await writeRows(ctx, { root, spec: DATASETS.bars }, [...march, ...april, ...eth, ...m15]);
    const all = await datasetFiles(root, DATASETS.bars);
    expect(all).toHaveLength(4);
    const btc1h = await datasetFiles(root, DATASETS.bars, { symbol: ['BTC-PERP'], timeframe: ['1h'] });
    expect(btc1h).toHaveLength(2);
    const aprilOnly = await datasetFiles(root, DATASETS.bars, {
      symbol: ['BTC-PERP'],
      timeframe: ['1h'],
      from: Date.parse('2026-04-01T00:00:00Z') * 1000,
      to: Date.parse('2026-05-01T00:00:00Z') * 1000,
    });
    expect(aprilOnly).toHaveLength(1);
    expect(aprilOnly[0]).toContain('month=2026-04');
    const n = await ctx.db.scalar(`SELECT count(*) FROM ${SCAN_SQL}`, { files: listOf(aprilOnly) });
    expect(Number(n)).toBe(1);
    // 'to' is exclusive: a range ending at the first instant of April does not open April's partition
    const marchOnly = await datasetFiles(root, DATASETS.bars, { symbol: ['BTC-PERP'], timeframe: ['1h'], to: Date.parse('2026-04-01T00:00:00Z') * 1000 });
    expect(marchOnly.every((f) => f.includes('month=2026-03'))).toBe(true);
    await expect(datasetFiles(root, DATASETS.bars, { symbol: ['../x'] })).rejects.toMatchObject({ kind: 'usage' });
  });

  it('content hash is equal for equal data and differs when a value changes', async () => {
    const ctx = await testContext();
    const a = tempDir();
    const b = tempDir();
    await writeRows(ctx, { root: a, spec: DATASETS.bars }, [bar(0), bar(1)]);
    await writeRows(ctx, { root: b, spec: DATASETS.bars }, [bar(1)]);
    await writeRows(ctx, { root: b, spec: DATASETS.bars }, [bar(0)]);
    const ha = await contentHash(ctx, a, DATASETS.bars);
    expect(ha.rows).toBe(2);
    expect((await contentHash(ctx, b, DATASETS.bars)).hash).toBe(ha.hash);
    await writeRows(ctx, { root: b, spec: DATASETS.bars }, [bar(0, { high: 42603.3 })]);
    expect((await contentHash(ctx, b, DATASETS.bars)).hash).not.toBe(ha.hash);
  });
});

describe('writer lock', () => {
  it('takes over a lock left by a dead process', async () => {
    const ctx = await testContext();
    const root = tempDir();
    mkdirSync(join(root, '.perpkit'), { recursive: true });
    const { writeFileSync } = await import('node:fs');
    const { hostname } = await import('node:os');
    writeFileSync(join(root, '.perpkit', 'lock'), `999999 ${hostname()}\n`);
    const r = await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0)]);
    expect(r.rows_added).toBe(1);
    expect(existsSync(join(root, '.perpkit', 'lock'))).toBe(false);
  });
});

describe('replace writes (derived datasets recomputed over a scope)', () => {
  it('replaces the partitions in scope, deletes those with nothing staged, leaves the rest', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const april = (o: Record<string, unknown> = {}): Record<string, unknown> =>
      bar(0, { event_time: T0 + 800 * H, available_time: T0 + 800 * H, open_time: T0 + 799 * H, ...o });
    await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0), bar(1), april(), bar(0, { symbol: 'ETH-PERP' })]);
    const ethBefore = treeHash(join(root, 'bars', 'venue=binance-usdm', 'symbol=ETH-PERP'));
    // Recompute BTC-PERP: only bar 1 survives (March); April has nothing staged.
    const r = await writeRows(ctx, { root, spec: DATASETS.bars, replace: { symbol: ['BTC-PERP'] } }, [bar(1)]);
    expect(r).toMatchObject({ rows_unchanged: 1, partitions_written: 1, partitions_deleted: 1 });
    const rows = await ctx.db.all(`SELECT symbol, close FROM ${SCAN_SQL} ORDER BY symbol, event_time`, {
      files: listOf(await datasetFiles(root, DATASETS.bars)),
    });
    expect(rows).toEqual([
      { symbol: 'BTC-PERP', close: 42647.9 },
      { symbol: 'ETH-PERP', close: 42503.5 },
    ]);
    expect(treeHash(join(root, 'bars', 'venue=binance-usdm', 'symbol=ETH-PERP'))).toBe(ethBefore);
    // The same replace again changes nothing.
    const again = await writeRows(ctx, { root, spec: DATASETS.bars, replace: { symbol: ['BTC-PERP'] } }, [bar(1)]);
    expect(again).toMatchObject({ partitions_written: 0, partitions_deleted: 0, partitions_unchanged: 1 });
    // An empty replace deletes the scope.
    const none = await writeRows(ctx, { root, spec: DATASETS.bars, replace: { symbol: ['BTC-PERP'] } }, []);
    expect(none.partitions_deleted).toBe(1);
    expect(await datasetFiles(root, DATASETS.bars, { symbol: ['BTC-PERP'] })).toEqual([]);
    await expect(writeRows(ctx, { root, spec: DATASETS.bars, replace: { symbol: ['ETH-PERP'] } }, [bar(2)])).rejects.toThrow(/outside the scope/);
  });
});

describe('append path (rows after everything stored)', () => {
  it('adds a part file per write in time order, then compacts when a write overlaps', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const dir = join(root, 'bars', 'venue=binance-usdm', 'symbol=BTC-PERP', 'price=last', 'timeframe=1h', 'month=2026-03');
    const a = await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0), bar(1)]);
    expect(a).toMatchObject({ rows_added: 2, partitions_appended: 0 });
    const b = await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(2), bar(3)]);
    expect(b).toMatchObject({ rows_added: 2, partitions_appended: 1, partitions_written: 1 });
    const c = await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(4)]);
    expect(c.partitions_appended).toBe(1);
    expect(readdirSync(dir).filter((f) => f.endsWith('.parquet'))).toHaveLength(3);
    // The appended history (three part files) holds exactly the content of one fresh write of the five rows.
    const fresh = tempDir();
    await writeRows(ctx, { root: fresh, spec: DATASETS.bars }, [bar(0), bar(1), bar(2), bar(3), bar(4)]);
    const hashAppended = await contentHash(ctx, root, DATASETS.bars, {}, ['ingest_time']);
    const hashFresh = await contentHash(ctx, fresh, DATASETS.bars, {}, ['ingest_time']);
    expect([hashAppended.rows, hashAppended.files, hashFresh.rows, hashFresh.files]).toEqual([5, 3, 5, 1]);
    expect(hashAppended.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(hashAppended.hash).toBe(hashFresh.hash);
    // and the hash sees a change of one value (it is not blind to content)
    const changed = tempDir();
    await writeRows(ctx, { root: changed, spec: DATASETS.bars }, [bar(0), bar(1), bar(2), bar(3), bar(4, { volume: 1 })]);
    expect((await contentHash(ctx, changed, DATASETS.bars, {}, ['ingest_time'])).hash).not.toBe(hashFresh.hash);
    // The same rows again: nothing changes, no file added.
    const again = await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(3), bar(4)]);
    expect(again).toMatchObject({ rows_unchanged: 2, partitions_written: 0, partitions_appended: 0 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.parquet'))).toHaveLength(3);
    // A correction of a stored row goes through the merge path: one file again, same rows + the change.
    const fix = await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(1, { close: 42648.0 })]);
    expect(fix).toMatchObject({ rows_replaced: 1, partitions_appended: 0 });
    expect(readdirSync(dir).filter((f) => f.endsWith('.parquet'))).toEqual(['part-0.parquet']);
    const rows = await ctx.db.all(`SELECT close FROM ${SCAN_SQL} ORDER BY event_time`, { files: listOf(await datasetFiles(root, DATASETS.bars)) });
    expect(rows.map((r) => r['close'])).toEqual([42503.5, 42648.0, 42597.0, 42503.5, 42647.9]);
    // A correction of the LAST stored row is not an append (its key is stored): merged, one file, no duplicate.
    const last = await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(4, { close: 42650.0 })]);
    expect(last).toMatchObject({ rows_replaced: 1, partitions_appended: 0 });
    const final = [bar(0), bar(1, { close: 42648.0 }), bar(2), bar(3), bar(4, { close: 42650.0 })];
    const fresh2 = tempDir();
    await writeRows(ctx, { root: fresh2, spec: DATASETS.bars }, final);
    const h1 = await contentHash(ctx, root, DATASETS.bars, {}, ['ingest_time']);
    const h2 = await contentHash(ctx, fresh2, DATASETS.bars, {}, ['ingest_time']);
    expect([h1.rows, h1.files]).toEqual([5, 1]);
    expect(h1.hash).toBe(h2.hash);
  });

  it('an append interrupted after its commit point is completed by the next reader', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0)]);
    const { commitSwaps: _c, recover } = await import('../../src/store/txn.js');
    const { mkdirSync: mk, writeFileSync: wf, copyFileSync } = await import('node:fs');
    const dir = join(root, 'bars', 'venue=binance-usdm', 'symbol=BTC-PERP', 'price=last', 'timeframe=1h', 'month=2026-03');
    // A staged part file and its journal, as a writer killed right after its commit point leaves them.
    const staged = join(root, '.perpkit', 'staging', 'tx1', 'part-tx1.parquet');
    mk(join(root, '.perpkit', 'staging', 'tx1'), { recursive: true });
    copyFileSync(join(dir, 'part-0.parquet'), staged);
    mk(join(root, '.perpkit', 'txn'), { recursive: true });
    wf(join(root, '.perpkit', 'txn', 'tx1.json'), JSON.stringify({ txid: 'tx1', swaps: [{ final: join(dir, 'part-tx1.parquet'), staged, backup: '', add: true }] }));
    expect(recover(root).rolled_forward).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['part-0.parquet', 'part-tx1.parquet']);
    expect(existsSync(join(root, '.perpkit', 'txn', 'tx1.json'))).toBe(false);
  });
});

describe('values that do not fit the column type', () => {
  it('are refused with the column, the type and an example', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const { writeTable } = await import('../../src/store/dataset.js');
    await ctx.db.exec(`CREATE TEMP TABLE st AS SELECT 'binance-usdm' AS venue, 'BTC-PERP' AS symbol,
      TIMESTAMP '2026-03-14 00:00:00' AS event_time, TIMESTAMP '2026-03-14 00:00:05' AS available_time,
      'x' AS source, TIMESTAMP '2026-03-14 00:00:05' AS ingest_time, 'one basis point' AS funding_rate,
      '8' AS funding_interval_hours, NULL AS mark_price`);
    await expectRefused(writeTable(ctx, { root, spec: DATASETS.funding }, 'st'), 'validation', 'funding_rate', 'not a DOUBLE', 'one basis point');
    expect(existsSync(join(root, 'funding'))).toBe(false);
  });
});
