import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/domain/datasets.js';
import { buildLabels, labelsSpec } from '../../src/services/features.js';
import { datasetFiles, listOf, SCAN_SQL, writeRows } from '../../src/store/dataset.js';
import { ROOT, tempDir, testContext } from '../helpers.js';

/**
 * The labels' spot leg on bars written here: a perp (binance-usdm ETH-PERP, 1h and 15m bars, each
 * published 2 s after its close) and its spot reference (binance-spot ETH-SPOT, as the sample's
 * instruments say) with 15m bars published 120 s after their close, one of them missing; then the
 * same with 1h spot bars only, coarser than the perp's 15m prices.
 */
const M = 60_000; // ms
const T0 = Date.parse('2026-03-02T00:00:00Z');
const HOURS = 12;

const bar = (venue: string, symbol: string, tf: number, openMs: number, open: number, delayMs: number): Record<string, unknown> => ({
  venue, symbol, price: 'last', timeframe: tf === 60 * M ? '1h' : '15m', event_time: (openMs + tf) * 1000, available_time: (openMs + tf + delayMs) * 1000,
  source: 'test', ingest_time: 0, open_time: openMs * 1000, open, high: open * 1.01, low: open * 0.99, close: open, volume: 1, quote_volume: null, trade_count: null,
});
const perpOpen = (t: number): number => 100 + (t - T0) / (15 * M) + Math.sin((t - T0) / M); // a new price every 15 minutes
const spotOpen = (t: number): number => 200 + 3 * ((t - T0) / (15 * M)) ** 1.1;

async function dataDir(spot: 'fine' | 'coarse'): Promise<string> {
  const ctx = await testContext();
  const dir = tempDir();
  cpSync(join(ROOT, 'data', 'sample', 'instruments'), join(dir, 'instruments'), { recursive: true });
  const rows: Array<Record<string, unknown>> = [];
  for (let k = 0; k < HOURS * 4; k++) {
    const t = T0 + k * 15 * M;
    rows.push(bar('binance-usdm', 'ETH-PERP', 15 * M, t, perpOpen(t), 2000));
    if (k % 4 === 0) rows.push(bar('binance-usdm', 'ETH-PERP', 60 * M, t, perpOpen(t), 2000));
    if (spot === 'fine' && t !== T0 + 6 * 60 * M + 15 * M) rows.push(bar('binance-spot', 'ETH-SPOT', 15 * M, t, spotOpen(t), 120_000));
    if (spot === 'coarse' && k % 4 === 0) rows.push(bar('binance-spot', 'ETH-SPOT', 60 * M, t, spotOpen(t), 120_000));
  }
  await writeRows(ctx, { root: dir, spec: DATASETS.bars }, rows);
  await buildLabels({ root: dir, venue: 'binance-usdm', symbols: ['ETH-PERP'], timeframe: '1h', horizons: ['15m', '1h'] }, ctx);
  return dir;
}

async function labels(dir: string): Promise<Array<Record<string, number | string | null>>> {
  const ctx = await testContext();
  const files = await datasetFiles(dir, labelsSpec());
  return (await ctx.db.all(
    `SELECT horizon, epoch_ms(entry_time)::DOUBLE AS en, epoch_ms(exit_time)::DOUBLE AS ex, epoch_ms(label_end_time)::DOUBLE AS le,
            epoch_ms(available_time)::DOUBLE AS av, fwd_return, spot_entry_price, spot_exit_price, rel_return
     FROM ${SCAN_SQL} ORDER BY event_time, horizon`,
    { files: listOf(files) },
  )) as Array<Record<string, number | string | null>>;
}

describe('labels: the spot leg', () => {
  it('prices the spot at the perp\'s entry and exit instants, is known when the later exit is published, and is NULL across a spot gap', async () => {
    const rows = await labels(await dataDir('fine'));
    expect(rows.length).toBeGreaterThan(15);
    const gap = T0 + 6 * 60 * M + 15 * M;
    let checked = 0;
    for (const x of rows) {
      const en = x['en'] as number;
      const ex = x['ex'] as number;
      expect(x['fwd_return']).toBeCloseTo(perpOpen(ex) / perpOpen(en) - 1, 12);
      expect(x['le']).toBe(ex); // the window is the perp's: the spot prices are at or before its exit
      if (en === gap || ex === gap) {
        // the spot bar under way at the perp's price is missing: the last one is 15 min old, as old as the perp's granularity
        expect(x['rel_return']).toBeNull();
        expect(x['av']).toBe(ex + 15 * M + 2000); // the perp's own availability
        continue;
      }
      expect(x['spot_entry_price']).toBe(spotOpen(en));
      expect(x['spot_exit_price']).toBe(spotOpen(ex));
      expect(x['rel_return']).toBeCloseTo(perpOpen(ex) / perpOpen(en) - spotOpen(ex) / spotOpen(en), 12);
      // known when the spot's exit bar is published (120 s after its close), later than the perp's (2 s)
      expect(x['av']).toBe(ex + 15 * M + 120_000);
      checked++;
    }
    expect(checked).toBeGreaterThan(12);
    expect(rows.filter((x) => x['rel_return'] === null).length).toBeGreaterThanOrEqual(2);
  });

  it('spot bars coarser than the perp\'s prices give no relative label (the legs would span different windows); fwd_return stays', async () => {
    const rows = await labels(await dataDir('coarse'));
    expect(rows.length).toBeGreaterThan(15);
    for (const x of rows) {
      expect(x['fwd_return']).not.toBeNull();
      expect(x['rel_return']).toBeNull();
      expect(x['spot_entry_price']).toBeNull();
    }
  });
});
