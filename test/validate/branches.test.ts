import { describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listValue, timestampValue } from '@duckdb/node-api';
import { BAR_TIMEFRAMES, DATASETS, type DatasetName } from '../../src/domain/datasets.js';
import { datasetFiles, listOf } from '../../src/store/dataset.js';
import type { DuckSession, SqlParams } from '../../src/store/duckdb.js';
import { runQuery } from '../../src/store/queries.js';
import { FIXTURES, tempDir, testContext } from '../helpers.js';

/**
 * One fixture row per branch of every validation check: each OR'ed condition, each column of a
 * multi-column condition, both sides of a two-sided tolerance, each source of a coalesced value,
 * and the boundary of each threshold. Every row below is caught by exactly one branch, so dropping
 * or loosening that branch in queries/validate/*.sql fails a test here (scripts/sql-mutations.mjs
 * plants these mutations). Rows are derived from the clean fixture (real Binance bars and funding,
 * Tardis ticker captures) by rewriting a few of them with DuckDB COPY, bypassing the store's writer.
 */

const CLEAN = join(FIXTURES, 'validate', 'clean');
const BARS = (symbol: string, price: string, tf: string, month = '2026-03'): string =>
  join('bars', 'venue=binance-usdm', `symbol=${symbol}`, `price=${price}`, `timeframe=${tf}`, `month=${month}`);
const LAST_1H = BARS('BTC-PERP', 'last', '1h');
const MARK_1H = BARS('BTC-PERP', 'mark', '1h');
const FUNDING = (symbol: string): string => join('funding', 'venue=binance-usdm', `symbol=${symbol}`, 'month=2026-03');
const OKX = (date: string): string => join('derivative_ticker', 'venue=okx', 'symbol=BTC-USD-XPERP', `date=${date}`);
const tf = { tf_names: listOf(Object.keys(BAR_TIMEFRAMES)), tf_secs: listValue(Object.values(BAR_TIMEFRAMES)) };
const keyCols = (d: DatasetName) => listOf([...DATASETS[d].naturalKey]);
const files = async (root: string, d: DatasetName): Promise<ReturnType<typeof listOf>> => listOf(await datasetFiles(root, DATASETS[d]));
/** the 23 bars of 2026-03-15 closing 01:00 .. 23:00 */
const DAY = `event_time > TIMESTAMP '2026-03-15 00:00' AND event_time < TIMESTAMP '2026-03-16 00:00'`;
const at = (hhmm: string): string => `TIMESTAMP '2026-03-${hhmm}'`;

/** Writes `select` (over the stored columns of the clean file `from`, as table src) to root/<to>/<file>. */
async function derive(db: DuckSession, root: string, from: string, to: string, select: string, file = 'part-0.parquet'): Promise<void> {
  const out = join(root, to, file);
  mkdirSync(dirname(out), { recursive: true });
  await db.exec(`CREATE OR REPLACE TEMP TABLE src AS SELECT * FROM read_parquet($f, hive_partitioning = false)`, {
    f: join(CLEAN, from, 'part-0.parquet'),
  });
  await db.exec(`COPY (${select}) TO '${out.replace(/'/g, "''")}' (FORMAT parquet)`);
  await db.exec('DROP TABLE src');
}

async function run(db: DuckSession, query: string, params: SqlParams): Promise<Array<[string, string]>> {
  const rows = await runQuery(db, `validate/${query}`, params);
  return rows.map((r) => [String(r['check']), String(r['event_time'])] as [string, string]).sort();
}

describe('every branch of every validation check has a row only it catches', () => {
  it('bars_ohlc: each non-finite column, each non-positive price, each OHLC inequality, each negative count', async () => {
    const { db } = await testContext();
    const root = tempDir();
    const hour = 'hour(event_time)';
    await derive(
      db,
      root,
      LAST_1H,
      LAST_1H,
      `SELECT * REPLACE (
         CASE ${hour} WHEN 1 THEN 'nan'::DOUBLE WHEN 7 THEN 0 WHEN 11 THEN 100 WHEN 12 THEN 100 ELSE "open" END AS "open",
         CASE ${hour} WHEN 2 THEN 'inf'::DOUBLE WHEN 8 THEN 0 WHEN 11 THEN 100.5 WHEN 12 THEN 102 ELSE high END AS high,
         CASE ${hour} WHEN 3 THEN NULL WHEN 9 THEN 0 WHEN 11 THEN 99 WHEN 12 THEN 100.5 ELSE low END AS low,
         CASE ${hour} WHEN 4 THEN 'nan'::DOUBLE WHEN 10 THEN 0 WHEN 11 THEN 101 WHEN 12 THEN 101 ELSE "close" END AS "close",
         CASE ${hour} WHEN 5 THEN 'nan'::DOUBLE WHEN 13 THEN -1 WHEN 16 THEN NULL ELSE volume END AS volume,
         CASE ${hour} WHEN 6 THEN 'inf'::DOUBLE WHEN 14 THEN -1 ELSE quote_volume END AS quote_volume,
         CASE ${hour} WHEN 15 THEN -1 ELSE trade_count END AS trade_count)
       FROM src WHERE ${DAY} ORDER BY event_time`,
    );
    const h = (n: number): string => `2026-03-15 ${String(n).padStart(2, '0')}:00:00`;
    expect(await run(db, 'bars_ohlc', { files: await files(root, 'bars') })).toEqual(
      [
        ...[1, 2, 3, 4, 5, 6].map((n) => ['nonfinite_value', h(n)]), // open, high, low (NULL), close, volume, quote_volume
        ...[7, 8, 9, 10].map((n) => ['nonpositive_price', h(n)]), // open, high, low, close
        ['ohlc_inconsistent', h(11)], // high below max(open, close) only
        ['ohlc_inconsistent', h(12)], // low above min(open, close) only
        ...[13, 14, 15].map((n) => ['negative_volume', h(n)]), // volume, quote_volume, trade_count
        // 16: a NULL volume (not reported by the venue) is not a defect
      ].sort(),
    );
  });

  it('bars_alignment: unknown timeframe, close off the grid, open_time not close minus the timeframe', async () => {
    const { db } = await testContext();
    const root = tempDir();
    await derive(
      db,
      root,
      LAST_1H,
      LAST_1H,
      `SELECT * REPLACE (
         CASE WHEN hour(event_time) = 5 THEN event_time + INTERVAL 7 MINUTE ELSE event_time END AS event_time,
         CASE WHEN hour(event_time) = 5 THEN open_time + INTERVAL 7 MINUTE WHEN hour(event_time) = 6 THEN open_time - INTERVAL 1 MINUTE ELSE open_time END AS open_time)
       FROM src WHERE ${DAY} ORDER BY event_time`,
    );
    // an aligned bar filed under a timeframe the toolkit does not know, without open_time (else the
    // open_time branch, comparing with a NULL expected open, would catch it as well)
    await derive(db, root, LAST_1H, BARS('BTC-PERP', 'last', '7m'), `SELECT * REPLACE (NULL::TIMESTAMP AS open_time) FROM src WHERE event_time = ${at('15 10:00')}`);
    const rows = await runQuery(db, 'validate/bars_alignment', { files: await files(root, 'bars'), ...tf });
    expect(rows.map((r) => [r['timeframe'], r['event_time'], String(r['reason']).replace(/ .*/, '')])).toEqual([
      ['1h', '2026-03-15 05:07:00', 'close'], // 420 s past the grid
      ['1h', '2026-03-15 06:00:00', 'open_time'],
      ['7m', '2026-03-15 10:00:00', 'unknown'],
    ]);
    expect(rows[0]?.['value']).toBe(420);
  });

  it('clocks: event_time from 2100 on, and precision loss on event_time (not only available_time)', async () => {
    const { db } = await testContext();
    const root = tempDir();
    await derive(
      db,
      root,
      LAST_1H,
      LAST_1H,
      `SELECT * REPLACE (
         CASE hour(event_time) WHEN 2 THEN TIMESTAMP '2100-01-01 01:00' WHEN 3 THEN event_time - INTERVAL 1 MICROSECOND ELSE event_time END AS event_time,
         CASE hour(event_time) WHEN 2 THEN TIMESTAMP '2100-01-01 01:00' WHEN 4 THEN available_time + INTERVAL 999 MICROSECOND ELSE available_time END AS available_time,
         CASE hour(event_time) WHEN 2 THEN TIMESTAMP '2100-01-01 01:00' ELSE ingest_time END AS ingest_time)
       FROM src WHERE ${DAY} ORDER BY event_time`,
    );
    const got = await run(db, 'clocks', {
      files: await files(root, 'bars'),
      dataset: 'bars',
      key_cols: keyCols('bars'),
      future_tolerance_ms: 60_000,
      earliest: timestampValue(BigInt(Date.parse('2009-01-03') * 1000)),
    });
    expect(got).toEqual([
      ['implausible_time', '2100-01-01 01:00:00'], // known and fetched then too: only the 2100 bound catches it
      ['time_precision_loss', '2026-03-15 02:59:59.999999'],
      ['time_precision_loss', '2026-03-15 04:00:00'],
    ]);
  });

  it('duplicates: a key stored in two part files of one partition (the append layout) is found', async () => {
    const { db } = await testContext();
    const root = tempDir();
    // part-0 as the first write leaves it, part-<txid> as an append adds it; 12:00 is in both
    await derive(db, root, LAST_1H, LAST_1H, `SELECT * FROM src WHERE event_time <= ${at('15 12:00')} ORDER BY event_time`);
    await derive(db, root, LAST_1H, LAST_1H, `SELECT * FROM src WHERE event_time >= ${at('15 12:00')} ORDER BY event_time`, 'part-20261203T094500123Z-4f2a.parquet');
    // the same times in another series of the same symbol are not duplicates
    await derive(db, root, MARK_1H, MARK_1H, `SELECT * FROM src ORDER BY event_time`);
    const rows = await runQuery(db, 'validate/duplicates', { files: await files(root, 'bars'), dataset: 'bars', key_cols: keyCols('bars') });
    expect(rows.map((r) => [r['check'], r['price'], r['event_time'], r['value']])).toEqual([['duplicate_key', 'last', '2026-03-15 12:00:00', 2]]);
  });

  it('timestamps: a row filed under the wrong date= partition of the right month', async () => {
    const { db } = await testContext();
    const root = tempDir();
    const n = await db.all(`SELECT count(*)::INTEGER AS n FROM read_parquet($f)`, { f: join(CLEAN, OKX('2026-08-10'), 'part-0.parquet') });
    expect(n[0]?.['n']).toBe(5);
    // the last capture of the file stamped a day later: still in order, still in August
    await derive(
      db,
      root,
      OKX('2026-08-10'),
      OKX('2026-08-10'),
      `SELECT * REPLACE (CASE WHEN event_time = (SELECT max(event_time) FROM src) THEN event_time + INTERVAL 1 DAY ELSE event_time END AS event_time) FROM src ORDER BY event_time`,
    );
    const rows = await runQuery(db, 'validate/timestamps', {
      files: await files(root, 'derivative_ticker'),
      dataset: 'derivative_ticker',
      key_cols: keyCols('derivative_ticker'),
      time_key: 'date',
    });
    expect(rows.map((r) => [r['check'], String(r['event_time']).slice(0, 10)])).toEqual([['wrong_partition', '2026-08-11']]);
  });

  it('funding_schedule: NULL and infinite rates, a negative rate beyond the bound, stamps within tolerance on both sides, each interval source', async () => {
    const { db } = await testContext();
    const root = tempDir();
    await derive(
      db,
      root,
      FUNDING('BTC-PERP'),
      FUNDING('BTC-PERP'),
      `SELECT * REPLACE (
         CASE event_time WHEN ${at('15 00:00')} THEN NULL WHEN ${at('15 08:00')} THEN 'inf'::DOUBLE WHEN ${at('15 16:00')} THEN -0.02 ELSE funding_rate END AS funding_rate,
         CASE event_time WHEN ${at('16 00:00')} THEN event_time + INTERVAL 500 MILLISECOND WHEN ${at('16 08:00')} THEN event_time - INTERVAL 500 MILLISECOND ELSE event_time END AS event_time)
       FROM src ORDER BY event_time`,
    );
    // hourly funding given by the rows themselves (no instrument cadence): on schedule
    await derive(
      db,
      root,
      FUNDING('BTC-PERP'),
      FUNDING('ETH-PERP'),
      `SELECT * REPLACE (event_time + to_hours(h) AS event_time, available_time + to_hours(h) AS available_time, 1.0::DOUBLE AS funding_interval_hours, 0.0001 AS funding_rate)
       FROM src, range(1, 7) t(h) WHERE event_time = ${at('15 00:00')} ORDER BY event_time`,
    );
    // 4-hourly funding given by the instrument only (rows carry no interval): on schedule
    await derive(
      db,
      root,
      FUNDING('BTC-PERP'),
      FUNDING('SOL-PERP'),
      `SELECT * REPLACE (event_time + to_hours(4 * h) AS event_time, available_time + to_hours(4 * h) AS available_time, NULL::DOUBLE AS funding_interval_hours, 0.0001 AS funding_rate)
       FROM src, range(1, 7) t(h) WHERE event_time = ${at('15 00:00')} ORDER BY event_time`,
    );
    const got = await run(db, 'funding_schedule', {
      files: await files(root, 'funding'),
      cadence: JSON.stringify([
        { venue: 'binance-usdm', symbol: 'BTC-PERP', interval_hours: 8 },
        { venue: 'binance-usdm', symbol: 'SOL-PERP', interval_hours: 4 },
      ]),
      default_interval_hours: 8,
      tolerance_ms: 1000,
      max_abs_rate_per_hour: 0.000625,
    });
    expect(got).toEqual([
      ['funding_nonfinite', '2026-03-15 00:00:00'],
      ['funding_nonfinite', '2026-03-15 08:00:00'],
      ['funding_out_of_bounds', '2026-03-15 16:00:00'],
    ]);
  });

  it('funding_cross_source: a difference of either sign beyond the tolerance, stamps apart either way within tolerance_ms', async () => {
    const { db } = await testContext();
    const root = tempDir();
    await derive(db, root, FUNDING('BTC-PERP'), FUNDING('BTC-PERP'), `SELECT * FROM src ORDER BY event_time`);
    await derive(
      db,
      root,
      FUNDING('BTC-PERP'),
      join('funding', 'venue=binance-alt', 'symbol=BTC-PERP', 'month=2026-03'),
      `SELECT * REPLACE ('alt:' || source AS source,
         CASE event_time WHEN ${at('15 08:00')} THEN event_time + INTERVAL 800 MILLISECOND WHEN ${at('16 08:00')} THEN event_time - INTERVAL 800 MILLISECOND ELSE event_time END AS event_time,
         CASE event_time WHEN ${at('15 08:00')} THEN funding_rate + 0.0002 WHEN ${at('16 08:00')} THEN funding_rate - 0.0002 ELSE funding_rate END AS funding_rate)
       FROM src ORDER BY event_time`,
    );
    const rows = await runQuery(db, 'validate/funding_cross_source', {
      files: await files(root, 'funding'),
      pairs: JSON.stringify([{ venue: 'binance-usdm', other_venue: 'binance-alt' }]),
      tolerance: 0.000005,
      tolerance_ms: 1000,
    });
    expect(rows.map((r) => [r['event_time'], Math.round(Number(r['value']) * 1e6)])).toEqual([
      ['2026-03-15 08:00:00', -200],
      ['2026-03-16 08:00:00', 200],
    ]);
  });

  it('predicted_funding: a new next_funding_time starts a new run; next_funding_time equal to event_time is a mix-up', async () => {
    const { db } = await testContext();
    const root = tempDir();
    // every 30 min from 00:00 to 02:30 the same rate, for the next full hour; then at 03:00 naming 03:00 itself
    await derive(
      db,
      root,
      OKX('2026-08-10'),
      OKX('2026-08-11'),
      `SELECT * REPLACE (TIMESTAMP '2026-08-11 00:00' + to_minutes(30 * i) AS event_time,
                         TIMESTAMP '2026-08-11 00:00' + to_minutes(30 * i) + INTERVAL 100 MILLISECOND AS available_time,
                         TIMESTAMP '2026-08-11 00:00' + to_minutes(30 * i) + INTERVAL 1 SECOND AS ingest_time,
                         0.0001 AS predicted_funding_rate,
                         TIMESTAMP '2026-08-11 00:00' + to_hours(CASE WHEN i = 6 THEN 3 ELSE i // 2 + 1 END) AS next_funding_time)
       FROM (SELECT * FROM src ORDER BY event_time LIMIT 1), range(0, 7) t(i) ORDER BY event_time`,
    );
    const got = await run(db, 'predicted_funding', { files: await files(root, 'derivative_ticker'), max_age_ms: 3_600_000 });
    expect(got).toEqual([['predicted_funding_mixup', '2026-08-11 03:00:00']]);
  });

  it('bars_gaps: a hole of exactly max_gap_bars intervals is missing bars, one more is a gap', async () => {
    const { db } = await testContext();
    const root = tempDir();
    await derive(
      db,
      root,
      LAST_1H,
      LAST_1H,
      `SELECT * FROM src WHERE NOT (event_time BETWEEN ${at('15 02:00')} AND ${at('15 05:00')}) AND NOT (event_time BETWEEN ${at('16 02:00')} AND ${at('16 06:00')}) ORDER BY event_time`,
    );
    const rows = await runQuery(db, 'validate/bars_gaps', { files: await files(root, 'bars'), ...tf, max_gap_bars: 5, closures: '[]' });
    expect(rows.map((r) => [r['check'], r['event_time'], r['value']])).toEqual([
      ['bar_missing', '2026-03-15 06:00:00', 4],
      ['bar_gap', '2026-03-16 07:00:00', 5],
    ]);
  });

  it('bars_outliers: a downward bad print (only the low moved) is an outlier priced at its low', async () => {
    const { db } = await testContext();
    const root = tempDir();
    await derive(db, root, LAST_1H, LAST_1H, `SELECT * REPLACE (CASE WHEN event_time = ${at('15 10:00')} THEN low * 0.7 ELSE low END AS low) FROM src ORDER BY event_time`);
    await derive(db, root, MARK_1H, MARK_1H, `SELECT * FROM src ORDER BY event_time`);
    const bars = await files(root, 'bars');
    const rows = await runQuery(db, 'validate/bars_outliers', {
      files: bars,
      ref_files: bars,
      ...tf,
      spot_refs: '[]',
      max_move_1m: 0.1,
      min_move: 0.03,
      vol_multiple: 12,
      vol_window: 96,
      confirm_ratio: 0.5,
    });
    expect(rows.map((r) => [r['check'], r['price'], r['event_time']])).toEqual([['price_outlier', 'last', '2026-03-15 10:00:00']]);
    expect(String(rows[0]?.['reason'])).toMatch(/ to low /);
  });

  it('coverage: a perp without a spot reference is not reported as missing one', async () => {
    const { db } = await testContext();
    const root = tempDir();
    await derive(db, root, LAST_1H, BARS('ETH-PERP', 'last', '1h'), `SELECT * FROM src ORDER BY event_time`);
    await derive(db, root, MARK_1H, BARS('ETH-PERP', 'mark', '1h'), `SELECT * FROM src ORDER BY event_time`);
    const bars = await files(root, 'bars');
    const params = {
      files: bars,
      ref_files: bars,
      perps: JSON.stringify([{ venue: 'binance-usdm', symbol: 'ETH-PERP', spot_venue: null, spot_symbol: null }]),
      bucket_minutes: 60,
      required_prices: listOf(['mark']),
      spot_reference: true,
    };
    expect(await run(db, 'coverage', params)).toEqual([]);
    // the same perp needing index bars it does not have: one range over the whole week
    const rows = await runQuery(db, 'validate/coverage', { ...params, required_prices: listOf(['index']) });
    expect(rows.map((r) => [r['check'], r['price'], r['value']])).toEqual([['mark_index_missing', 'index', 168]]);
  });
});
