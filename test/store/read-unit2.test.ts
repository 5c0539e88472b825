import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/domain/datasets.js';
import { writeRows } from '../../src/store/dataset.js';
import { appendLedger, ledgerSpec } from '../../src/store/ledger.js';
import { latestInstruments, scan } from '../../src/store/read.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * The read side's two paths the first unit tests left open: a scan of a dataset outside the catalog (the trial
 * ledger) while a quarantine exists (the quarantine is for catalog datasets only: the ledger has no venue or
 * symbol to match on, and none of its rows may be left out), and latestInstruments over stored instruments
 * (the latest version per instrument, the symbol and kind filters).
 */
const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;
const H = 3_600_000_000;

function quarantineRow(symbol: string, event: number): Record<string, unknown> {
  return {
    venue: 'binance-usdm',
    symbol,
    event_time: event,
    available_time: event,
    source: 'perpkit-validate:bars_ohlc',
    ingest_time: T0,
    dataset: 'bars',
    price: 'last',
    timeframe: '1h',
    check: 'ohlc_inconsistent',
    severity: 'error',
    reason: 'test',
    row_key: JSON.stringify({ symbol, event_time: event }),
    row_available_time: event,
    row_source: 'test',
  };
}

describe('scan of a spec outside the catalog', () => {
  it('reads every ledger row and excludes none while a quarantine is stored', async () => {
    const root = tempDir(); // removed after the test (helpers)
    await writeRows(await testContext(), { root, spec: DATASETS.quarantine }, [quarantineRow('BTC-PERP', T0 + H)]);
    const t = Date.parse('2026-03-14T01:00:00Z');
    for (let i = 0; i < 3; i++) {
      await appendLedger(await testContext(t + i * 1000), root, { kind: 'evaluation', command: 'backtest', args: { i }, config: {}, data_hashes: {} });
    }
    const ctx = await testContext();
    const r = await scan(ctx, root, ledgerSpec());
    expect([r.files > 0, r.rows, r.excluded]).toEqual([true, 3, 0]);
    expect(Number(await ctx.db.scalar(`SELECT count(*) FROM "${r.table}"`))).toBe(3);
  });
});

function instrument(symbol: string, kind: string, version: number, taker: number): Record<string, unknown> {
  const event = T0 + version * H;
  return {
    venue: 'binance-usdm',
    symbol,
    event_time: event,
    available_time: event,
    source: 'test',
    ingest_time: T0,
    venue_symbol: symbol.replace('-', ''),
    kind,
    base: symbol.split('-')[0],
    quote: 'USDT',
    settle: kind === 'spot' ? null : 'USDT',
    contract_size: 1,
    tick_size: 0.1,
    lot_size: 0.001,
    funding_interval_hours: kind === 'spot' ? null : 8,
    funding_accrual_hours: kind === 'spot' ? null : 8,
    maker_fee: 0.0002,
    taker_fee: taker,
    fee_tiers: null,
    spot_venue: null,
    spot_symbol: null,
    expiry: null,
  };
}

describe('latestInstruments', () => {
  it('returns the latest version of each instrument, ordered by symbol, filtered by venue, symbols and kind', async () => {
    const root = tempDir(); // removed after the test (helpers)
    const ctx = await testContext();
    // versions written out of time order, so that the file order is not the version order
    await writeRows(ctx, { root, spec: DATASETS.instruments }, [
      instrument('ETH-PERP', 'perp', 2, 0.0005),
      instrument('BTC-PERP', 'perp', 3, 0.0004),
      instrument('BTC-PERP', 'perp', 1, 0.0009),
      instrument('ETH-PERP', 'perp', 1, 0.0008),
      instrument('BTC-USDT', 'spot', 1, 0.001),
    ]);
    const pick = (rows: Array<Record<string, unknown>>): Array<[unknown, unknown, unknown]> => rows.map((r) => [r['symbol'], r['kind'], r['taker_fee']]);
    expect(pick(await latestInstruments(ctx, root, { venue: ['binance-usdm'] }))).toEqual([
      ['BTC-PERP', 'perp', 0.0004],
      ['BTC-USDT', 'spot', 0.001],
      ['ETH-PERP', 'perp', 0.0005],
    ]);
    expect(pick(await latestInstruments(ctx, root, { venue: ['binance-usdm'], symbols: ['ETH-PERP'] }))).toEqual([['ETH-PERP', 'perp', 0.0005]]);
    expect(pick(await latestInstruments(ctx, root, { venue: ['binance-usdm'], kind: 'spot' }))).toEqual([['BTC-USDT', 'spot', 0.001]]);
    expect(pick(await latestInstruments(ctx, root, { venue: ['binance-usdm'], symbols: ['BTC-PERP', 'BTC-USDT'], kind: 'perp' }))).toEqual([['BTC-PERP', 'perp', 0.0004]]);
    expect(await latestInstruments(ctx, root, { venue: ['bybit'] })).toEqual([]);
    expect(await latestInstruments(ctx, root, { venue: ['binance-usdm'], symbols: ['SOL-PERP'] })).toEqual([]);
  });
});
