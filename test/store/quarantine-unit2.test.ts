import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/domain/datasets.js';
import { writeRows } from '../../src/store/dataset.js';
import { excludeQuarantined } from '../../src/store/quarantine.js';
import { scan } from '../../src/store/read.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * Quarantine matching beyond bars: a dataset whose natural key holds available_time (derivative_ticker: two
 * versions of one event) loses only the version named by the verdict, or every version when the staged table
 * has no available_time column; a dataset keyed without price and timeframe (funding: its tables have neither
 * column) is matched on venue, symbol and event_time alone.
 */
const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;
const H = 3_600_000_000;
const S = 1_000_000;

const verdict = (dataset: string, event: number, rowAvailable: number): Record<string, unknown> => ({
  venue: 'binance-usdm', symbol: 'BTC-PERP', event_time: event, available_time: event, source: 'perpkit-validate:test', ingest_time: T0,
  dataset, price: null, timeframe: null, check: 'c1', severity: 'error', reason: 'test', row_key: JSON.stringify({ event, rowAvailable }),
  row_available_time: rowAvailable, row_source: 'test',
});
const ticker = (event: number, available: number): Record<string, unknown> => ({
  venue: 'binance-usdm', symbol: 'BTC-PERP', event_time: event, available_time: available, source: 'test', ingest_time: T0,
  last_price: 100, mark_price: 100, index_price: 100, predicted_funding_rate: 0.0001, next_funding_time: null, open_interest: null,
});
const funding = (event: number): Record<string, unknown> => ({
  venue: 'binance-usdm', symbol: 'BTC-PERP', event_time: event, available_time: event + 5 * S, source: 'test', ingest_time: T0,
  funding_rate: 0.0001, funding_interval_hours: 8, mark_price: null,
});

describe('excludeQuarantined keys', () => {
  it('available_time in the key: only the version the verdict names; without that column in the table, every version', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const e = T0 + H;
    await writeRows(ctx, { root, spec: DATASETS.derivative_ticker }, [ticker(e, e + S), ticker(e, e + 2 * S), ticker(e + H, e + H + S)]);
    await writeRows(ctx, { root, spec: DATASETS.quarantine }, [verdict('derivative_ticker', e, e + 2 * S)]);
    const r = await scan(ctx, root, DATASETS.derivative_ticker);
    expect([r.rows, r.excluded]).toEqual([2, 1]);
    const left = await ctx.db.all(`SELECT epoch_us(event_time) AS e, epoch_us(available_time) AS a FROM "${r.table}" ORDER BY ALL`);
    expect(left.map((x) => [Number(x['e']), Number(x['a'])])).toEqual([
      [e, e + S],
      [e + H, e + H + S],
    ]);

    const all = await scan(ctx, root, DATASETS.derivative_ticker, { include_quarantined: true });
    await ctx.db.exec(`CREATE TEMP TABLE no_avail AS SELECT venue, symbol, event_time FROM "${all.table}"`);
    const x = await excludeQuarantined(ctx, { root, dataset: 'derivative_ticker', table: 'no_avail' });
    expect(x).toMatchObject({ rows_before: 3, rows_excluded: 2, rows_after: 1, by_check: { c1: 2 } });
  });

  it('a dataset keyed without price and timeframe (funding) is matched on venue, symbol and event_time', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: DATASETS.funding }, [funding(T0 + 8 * H), funding(T0 + 16 * H)]);
    await writeRows(ctx, { root, spec: DATASETS.quarantine }, [verdict('funding', T0 + 16 * H, T0 + 16 * H + 5 * S)]);
    const r = await scan(ctx, root, DATASETS.funding);
    expect([r.rows, r.excluded]).toEqual([1, 1]);
    expect(Number(await ctx.db.scalar(`SELECT epoch_us(event_time) FROM "${r.table}"`))).toBe(T0 + 8 * H);
  });
});
