import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { listValue, timestampValue } from '@duckdb/node-api';
import { BAR_TIMEFRAMES, DATASETS, type DatasetName } from '../../src/domain/datasets.js';
import { DEFAULT_VALIDATE_CONFIG } from '../../src/domain/validate-config.js';
import { closureOccurrences, VALIDATION_QUERIES } from '../../src/services/validate.js';
import { datasetFiles, listOf } from '../../src/store/dataset.js';
import type { SqlParams } from '../../src/store/duckdb.js';
import { runQuery } from '../../src/store/queries.js';
import { FIXTURES, ROOT, testContext } from '../helpers.js';

/** Every validation query on its fixtures (test/fixtures/validate/README.md): clean passes, fail/<query> fails. */

const FIX = join(FIXTURES, 'validate');
const CLEAN = join(FIX, 'clean');
const failDir = (q: string): string => join(FIX, 'fail', q);
const tf = { tf_names: listOf(Object.keys(BAR_TIMEFRAMES)), tf_secs: listValue(Object.values(BAR_TIMEFRAMES)) };
const SPOT_REFS = JSON.stringify([{ venue: 'binance-usdm', symbol: 'BTC-PERP', spot_venue: 'binance-spot', spot_symbol: 'BTC-SPOT' }]);
const files = async (root: string, d: DatasetName): Promise<ReturnType<typeof listOf>> => listOf(await datasetFiles(root, DATASETS[d]));
const keyCols = (d: DatasetName) => listOf([...DATASETS[d].naturalKey]);

/** Parameters of each run of the query over a fixture (one run per dataset). */
type Params = (root: string) => Promise<SqlParams | SqlParams[]>;
const cases: Record<string, { params: Params; expected: Array<[string, string]> }> = {
  // [check, event_time] of every row the fail fixture must return
  duplicates: {
    params: async (r) => ({ files: await files(r, 'bars'), dataset: 'bars', key_cols: keyCols('bars') }),
    expected: [['duplicate_key', '2026-03-15 12:00:00']],
  },
  clocks: {
    params: async (r) =>
      Promise.all(
        (['bars', 'funding'] as const).map(async (d) => ({
          files: await files(r, d),
          dataset: d,
          key_cols: keyCols(d),
          future_tolerance_ms: 60_000,
          earliest: timestampValue(BigInt(Date.parse('2009-01-03') * 1000)),
        })),
      ),
    expected: [
      ['available_before_event', '2026-03-15 13:00:00'],
      ['event_in_future', '2026-03-15 14:00:00'],
      ['implausible_time', '1970-01-21 12:40:48'],
      ['time_precision_loss', '2026-03-15 16:00:00'],
    ],
  },
  timestamps: {
    params: async (r) => ({ files: await files(r, 'bars'), dataset: 'bars', key_cols: keyCols('bars'), time_key: 'month' }),
    expected: [
      ['non_monotonic_time', '2026-03-16 09:00:00'],
      ['wrong_partition', '2026-03-20 23:00:00'],
    ],
  },
  bars_alignment: { params: async (r) => ({ files: await files(r, 'bars'), ...tf }), expected: [['misaligned_time', '2026-03-16 05:07:00']] },
  bars_ohlc: {
    params: async (r) => ({ files: await files(r, 'bars') }),
    expected: [
      ['negative_volume', '2026-03-17 04:00:00'],
      ['nonfinite_value', '2026-03-17 01:00:00'],
      ['nonpositive_price', '2026-03-17 02:00:00'],
      ['ohlc_inconsistent', '2026-03-17 03:00:00'],
    ],
  },
  bars_gaps: {
    params: async (r) => ({
      files: await files(r, 'bars'),
      ...tf,
      max_gap_bars: 5,
      closures: JSON.stringify(closureOccurrences(DEFAULT_VALIDATE_CONFIG.closures, Date.parse('2026-03-14'), Date.parse('2026-03-21'))),
    }),
    expected: [
      ['bar_gap', '2026-03-18 09:00:00'],
      ['bar_missing', '2026-03-19 13:00:00'],
      ['known_closure', '2026-03-20 23:00:00'],
    ],
  },
  bars_outliers: {
    params: async (r) => ({
      files: await files(r, 'bars'),
      ref_files: await files(r, 'bars'),
      ...tf,
      spot_refs: SPOT_REFS,
      max_move_1m: 0.1,
      min_move: 0.03,
      vol_multiple: 12,
      vol_window: 96,
      confirm_ratio: 0.5,
    }),
    // the bad print, and the next bar's move back from it (its prices are confirmed by mark and spot)
    expected: [
      ['outlier_confirmed', '2026-03-17 11:00:00'],
      ['price_outlier', '2026-03-17 10:00:00'],
    ],
  },
  funding_schedule: {
    params: async (r) => ({
      files: await files(r, 'funding'),
      cadence: JSON.stringify([{ venue: 'binance-usdm', symbol: 'BTC-PERP', interval_hours: 8 }]),
      default_interval_hours: 8,
      tolerance_ms: 1000,
      max_abs_rate_per_hour: 0.000625,
    }),
    expected: [
      ['funding_missing', '2026-03-17 00:00:00'],
      ['funding_nonfinite', '2026-03-18 08:00:00'],
      ['funding_off_schedule', '2026-03-19 03:17:00'],
      ['funding_out_of_bounds', '2026-03-17 08:00:00'],
    ],
  },
  funding_cross_source: {
    params: async (r) => ({
      files: await files(r, 'funding'),
      pairs: JSON.stringify([{ venue: 'binance-usdm', other_venue: 'binance-alt' }]),
      tolerance: 0.000005,
      tolerance_ms: 1000,
    }),
    expected: [['funding_cross_source', '2026-03-17 16:00:00']],
  },
  predicted_funding: {
    params: async (r) => ({ files: await files(r, 'derivative_ticker'), max_age_ms: 3_600_000 }),
    expected: [
      ['predicted_funding_mixup', '2026-08-10 00:00:06.952'],
      ['predicted_funding_mixup', '2026-08-10 00:00:07.153'],
      ['predicted_funding_mixup', '2026-08-10 00:00:07.355'],
      ['predicted_funding_stale', '2026-08-10 01:51:05.645'],
    ],
  },
  coverage: {
    params: async (r) => ({
      files: await files(r, 'bars'),
      ref_files: await files(r, 'bars'),
      perps: SPOT_REFS,
      bucket_minutes: 60,
      required_prices: listOf(['mark']),
      spot_reference: true,
    }),
    expected: [
      ['mark_index_missing', '2026-03-19 03:15:00'],
      ['spot_reference_missing', '2026-03-18 06:15:00'],
    ],
  },
};

describe('validation queries on their fixtures', () => {
  it('every queries/validate file is registered and has a case here', () => {
    // Check queries are the steps that create __validate_rows; the other files are validate's own plumbing.
    const onDisk = readdirSync(join(ROOT, 'queries', 'validate'))
      .filter((f) => /^-- creates: __validate_rows$/m.test(readFileSync(join(ROOT, 'queries', 'validate', f), 'utf8')))
      .map((f) => f.replace(/\.sql$/, ''))
      .sort();
    expect(onDisk.length).toBeGreaterThan(10);
    expect(VALIDATION_QUERIES.map((q) => q.query.slice('validate/'.length)).sort()).toEqual([...new Set(onDisk)]);
    expect(Object.keys(cases).sort()).toEqual(onDisk);
  });

  for (const [name, c] of Object.entries(cases)) {
    it(`${name}: the clean fixture passes, the fail fixture returns exactly the planted rows`, async () => {
      const ctx = await testContext();
      const run = async (root: string): Promise<Array<Record<string, unknown>>> => {
        const p = await c.params(root);
        const out: Array<Record<string, unknown>> = [];
        for (const one of Array.isArray(p) ? p : [p]) out.push(...(await runQuery(ctx.db, `validate/${name}`, one)));
        return out;
      };
      expect(await run(CLEAN)).toEqual([]);
      const fail = await run(failDir(name));
      const got = fail.map((r) => [String(r['check']), String(r['event_time'])]).sort();
      expect(got).toEqual([...c.expected].sort());
      const declared = VALIDATION_QUERIES.find((q) => q.query === `validate/${name}`)?.checks ?? [];
      for (const r of fail) {
        expect(declared).toContain(r['check']);
        expect(JSON.parse(String(r['row_key']))).toMatchObject({ venue: r['venue'], symbol: r['symbol'] });
        expect(String(r['reason']).length).toBeGreaterThan(10);
      }
    });
  }

  it('outliers without any reference series are unconfirmed, not bad prints', async () => {
    const ctx = await testContext();
    const only = listOf((await datasetFiles(failDir('bars_outliers'), DATASETS.bars, { price: ['last'], timeframe: ['1h'], venue: ['binance-usdm'] })));
    const rows = await runQuery(ctx.db, 'validate/bars_outliers', {
      files: only,
      ref_files: only,
      ...tf,
      spot_refs: '[]',
      max_move_1m: 0.1,
      min_move: 0.03,
      vol_multiple: 12,
      vol_window: 96,
      confirm_ratio: 0.5,
    });
    expect(rows.map((r) => [r['check'], r['event_time']])).toEqual([
      ['price_outlier_unconfirmed', '2026-03-17 10:00:00'],
      ['price_outlier_unconfirmed', '2026-03-17 11:00:00'],
    ]);
  });

  it('the weekly closure follows New York daylight saving', () => {
    const occ = closureOccurrences(DEFAULT_VALIDATE_CONFIG.closures, Date.parse('2026-03-01'), Date.parse('2026-03-10'));
    // Friday 2026-03-06 is still EST (UTC-5); Friday 2026-03-13 is EDT (UTC-4).
    expect(occ.map((o) => o.start)).toContain('2026-03-06T22:00:00.000Z');
    expect(occ.map((o) => o.start)).toContain('2026-03-13T21:00:00.000Z');
    expect(occ.every((o) => o.venue === 'coinbase' && Date.parse(o.end) - Date.parse(o.start) === 3_600_000)).toBe(true);
  });
});
