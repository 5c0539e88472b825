import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/domain/datasets.js';
import { writeRows } from '../../src/store/dataset.js';
import { excludeQuarantined } from '../../src/store/quarantine.js';
import { scan } from '../../src/store/read.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * Quarantine exclusion in-process: a verdict removes exactly the rows of its dataset and key (price and
 * timeframe included for bars), counted per check; a severity filter keeps the other verdicts out.
 */
const H = 3_600_000_000;
const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;
const bar = (i: number, timeframe = '1h'): Record<string, unknown> => {
  const event = T0 + (i + 1) * H;
  return {
    venue: 'binance-usdm', symbol: 'BTC-PERP', price: 'last', timeframe, event_time: event, available_time: event + 1000,
    source: 'test', ingest_time: T0, open_time: event - H, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1, quote_volume: null, trade_count: null,
  };
};
const verdict = (i: number, check: string, severity: string, o: Record<string, unknown> = {}): Record<string, unknown> => {
  const event = T0 + (i + 1) * H;
  return {
    venue: 'binance-usdm', symbol: 'BTC-PERP', event_time: event, available_time: event + 1000, source: 'perpkit-validate:test', ingest_time: T0,
    dataset: 'bars', price: 'last', timeframe: '1h', check, severity, reason: 'test', row_key: JSON.stringify({ i, check, ...o }), row_available_time: event + 1000, row_source: 'test',
    ...o,
  };
};

describe('excludeQuarantined', () => {
  it('removes the rows of matching verdicts only, counting each check; a severity filter narrows it', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0), bar(1), bar(2), bar(3), bar(0, '4h')]);
    const stage = async (): Promise<string> => (await scan(ctx, root, DATASETS.bars, { include_quarantined: true })).table;
    const none = await excludeQuarantined(ctx, { root, dataset: 'bars', table: await stage() });
    expect(none).toEqual({ dataset: 'bars', rows_before: 5, rows_excluded: 0, rows_after: 5, by_check: {}, quarantine_files: 0 });

    await writeRows(ctx, { root, spec: DATASETS.quarantine }, [
      verdict(0, 'ohlc', 'error'),
      verdict(0, 'gap', 'warn'),
      verdict(1, 'gap', 'warn'),
      // not these rows: another price type, another dataset, a time with no row
      verdict(2, 'ohlc', 'error', { price: 'mark' }),
      verdict(3, 'ohlc', 'error', { dataset: 'funding', price: null, timeframe: null }),
      verdict(7, 'ohlc', 'error'),
    ]);
    const all = await excludeQuarantined(ctx, { root, dataset: 'bars', table: await stage() });
    expect(all).toEqual({ dataset: 'bars', rows_before: 5, rows_excluded: 2, rows_after: 3, by_check: { gap: 2, ohlc: 1 }, quarantine_files: 1 });

    const t = await stage();
    const errors = await excludeQuarantined(ctx, { root, dataset: 'bars', table: t, severities: ['error'] });
    expect(errors).toMatchObject({ rows_excluded: 1, rows_after: 4, by_check: { ohlc: 1 } });
    const left = await ctx.db.all(`SELECT timeframe, epoch_us(event_time) AS t FROM "${t}" ORDER BY ALL`);
    expect(left.map((r) => [r['timeframe'], Number(r['t'])])).toEqual([
      ['1h', T0 + 2 * H],
      ['1h', T0 + 3 * H],
      ['1h', T0 + 4 * H],
      ['4h', T0 + H],
    ]);
    // the helper table of the keys is gone
    expect(await ctx.db.all("SELECT table_name FROM duckdb_tables() WHERE table_name = '__qkeys'")).toEqual([]);
  });
});
