import { describe, expect, it } from 'vitest';
import { labelsSpec } from '../../src/domain/features.js';
import { datasetFiles, fileColumns, listOf, SCAN_SQL, writeRows } from '../../src/store/dataset.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * A dataset written before a nullable column joined the catalog (labels before their spot leg:
 * no spot_entry_price, spot_exit_price, rel_return) takes a later write of the current catalog:
 * the old files read the column as NULL, the rewritten partition carries it, untouched rows keep
 * their values.
 */
describe('writing a new catalog column over files that lack it', () => {
  it('merges into old-schema files: the new rows carry the column, the old ones read NULL, nothing else changes', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const spec = labelsSpec();
    const added = ['spot_entry_price', 'spot_exit_price', 'rel_return'];
    const old = { ...spec, columns: spec.columns.filter((c) => !added.includes(c.name)) };
    const T = Date.parse('2026-03-15T00:00:00Z') * 1000;
    const row = (i: number, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
      venue: 'v', symbol: 'BTC-PERP', timeframe: '1h', event_time: T + i * 3_600_000_000, available_time: T + (i + 2) * 3_600_000_000, source: 'test', ingest_time: T,
      horizon: '1h', horizon_ms: 3_600_000, entry_time: T + i * 3_600_000_000 + 1000, entry_price: 100 + i, entry_source: 'bars:1h',
      exit_time: T + (i + 1) * 3_600_000_000, exit_price: 101 + i, exit_source: 'bars:1h', label_end_time: T + (i + 1) * 3_600_000_000,
      fwd_return: 1 / (100 + i), round_trip_cost: 0.001, cost_return: 1 / (100 + i) - 0.001, ...extra,
    });
    await writeRows(ctx, { root, spec: old }, [row(0), row(1), row(2)]);
    expect([...(await fileColumns(ctx, await datasetFiles(root, spec)))]).not.toContain('rel_return');
    // the current build rewrites rows 1 and 2 with the spot leg (row 0 is not in this batch)
    const w = await writeRows(ctx, { root, spec }, [row(1, { spot_entry_price: 50, spot_exit_price: 50.25, rel_return: 1 / 101 - 0.005 }), row(2, { spot_entry_price: null, spot_exit_price: null, rel_return: null })]);
    expect(w.rows_in).toBe(2);
    const files = await datasetFiles(root, spec);
    expect(await fileColumns(ctx, files)).toContain('rel_return');
    const got = await ctx.db.all(`SELECT epoch_us(event_time)::DOUBLE AS t, entry_price, rel_return, spot_entry_price FROM ${SCAN_SQL} ORDER BY event_time`, { files: listOf(files) });
    expect(got).toEqual([
      { t: T, entry_price: 100, rel_return: null, spot_entry_price: null },
      { t: T + 3_600_000_000, entry_price: 101, rel_return: 1 / 101 - 0.005, spot_entry_price: 50 },
      { t: T + 7_200_000_000, entry_price: 102, rel_return: null, spot_entry_price: null },
    ]);
  });
});
