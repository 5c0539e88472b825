import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { classifyCandleFile } from '../../src/sources/binance-candles.js';
import { DATASETS } from '../../src/domain/datasets.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { fetchData } from '../../src/services/fetch.js';
import { CANDLES, tempDir, testContext } from '../helpers.js';

describe('Binance candle file names', () => {
  it('maps each layout to venue, symbol, price type and timeframe', () => {
    expect(classifyCandleFile('x/usdm/BTC_USDT_USDT-1h-futures.csv.gz')).toMatchObject({
      kind: 'bars', venue: 'binance-usdm', symbol: 'BTC-PERP', price: 'last', timeframe: '1h',
    });
    expect(classifyCandleFile('ETH_USDT_USDT-1h-mark.csv.gz')).toMatchObject({ venue: 'binance-usdm', symbol: 'ETH-PERP', price: 'mark' });
    expect(classifyCandleFile('SOL_USDT-5m.csv.gz')).toMatchObject({ venue: 'binance-spot', symbol: 'SOL-SPOT', timeframe: '5m' });
    expect(classifyCandleFile('XRP_USDT_USDT-8h-funding_rate.csv.gz')).toMatchObject({ kind: 'funding', symbol: 'XRP-PERP', interval_hours: 8 });
    expect(classifyCandleFile('notes.txt')).toBeNull();
    expect(classifyCandleFile('BTC_USDT-7x.csv.gz')).toBeNull();
  });
});

describe('fetch --source files (Binance candles)', () => {
  it('imports exactly the CSV values, with event_time at the close and available_time = close + delay', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const r = await fetchData({ root, source: 'files', path: CANDLES }, ctx);
    expect(r.skipped.map((s) => s.path.split('/').pop())).toEqual(['README.md']);
    expect(r.writes.find((w) => w.dataset === 'bars')).toMatchObject({ rows_in: 4368 * 2 + 672 + 576 + 48, rows_added: 4368 * 2 + 672 + 576 + 48 });
    expect(r.writes.find((w) => w.dataset === 'funding')).toMatchObject({ rows_added: 546 + 91 });

    // Compare every stored bar with the CSV row it came from, read independently by DuckDB.
    const files = await datasetFiles(root, DATASETS.bars, { symbol: ['BTC-PERP'], price: ['last'] });
    const diff = await ctx.db.all(
      `WITH csv AS (SELECT "date"::TIMESTAMP AS open_time, open, high, low, close, volume
                    FROM read_csv($csv, header = true)),
            st AS (SELECT * FROM ${SCAN_SQL})
       SELECT count(*)::BIGINT AS n,
              count(*) FILTER (WHERE st.event_time IS NULL)::BIGINT AS missing,
              count(*) FILTER (WHERE st.open <> csv.open OR st.high <> csv.high OR st.low <> csv.low
                               OR st.close <> csv.close OR st.volume <> csv.volume)::BIGINT AS value_diffs,
              count(*) FILTER (WHERE st.event_time <> csv.open_time + INTERVAL 1 HOUR)::BIGINT AS close_diffs,
              count(*) FILTER (WHERE st.available_time <> st.event_time + INTERVAL 2 SECOND)::BIGINT AS delay_diffs
       FROM csv LEFT JOIN st ON st.open_time = csv.open_time`,
      { csv: join(CANDLES, 'usdm', 'BTC_USDT_USDT-1h-futures.csv.gz'), files: listOf(files) },
    );
    expect(diff[0]).toEqual({ n: '4368', missing: '0', value_diffs: '0', close_diffs: '0', delay_diffs: '0' });

    // Funding keeps the venue's millisecond stamps and is available 5 s after settlement.
    const xrp = await ctx.db.all(
      `SELECT strftime(event_time, '%Y-%m-%dT%H:%M:%S.%g') AS ev, epoch_ms(available_time) - epoch_ms(event_time) AS d, funding_rate
       FROM ${SCAN_SQL} ORDER BY event_time LIMIT 1`,
      { files: listOf(await datasetFiles(root, DATASETS.funding, { symbol: ['XRP-PERP'] })) },
    );
    expect(xrp[0]).toEqual({ ev: '2021-11-18T00:00:00.016', d: '5000', funding_rate: 0.0001 });

    // Instruments link each perp to its spot reference.
    const inst = await ctx.db.all(`SELECT symbol, kind, spot_venue, spot_symbol, funding_interval_hours FROM ${SCAN_SQL} ORDER BY symbol`, {
      files: listOf(await datasetFiles(root, DATASETS.instruments)),
    });
    expect(inst).toEqual([
      { symbol: 'BTC-PERP', kind: 'perp', spot_venue: 'binance-spot', spot_symbol: 'BTC-SPOT', funding_interval_hours: 8 },
      { symbol: 'BTC-SPOT', kind: 'spot', spot_venue: null, spot_symbol: null, funding_interval_hours: null },
      { symbol: 'ETH-PERP', kind: 'perp', spot_venue: 'binance-spot', spot_symbol: 'ETH-SPOT', funding_interval_hours: 8 },
      { symbol: 'XRP-PERP', kind: 'perp', spot_venue: 'binance-spot', spot_symbol: 'XRP-SPOT', funding_interval_hours: 8 },
    ]);
  });

  it('filters by symbol and time range', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const r = await fetchData(
      {
        root,
        source: 'files',
        path: CANDLES,
        symbols: ['BTC-SPOT'],
        from: Date.parse('2026-03-14T12:00:00Z') * 1000,
        to: Date.parse('2026-03-15T00:00:00Z') * 1000,
      },
      ctx,
    );
    // 5m bars closing in [12:00, 24:00): 144; 1h bars: 12
    expect(r.inputs.map((i) => [i.timeframe, i.rows])).toEqual([['1h', 12], ['5m', 144]]);
  });
});
