import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/domain/datasets.js';
import { DEFAULT_FEATURES_CONFIG } from '../../src/domain/features.js';
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

/**
 * Prints (the 1h perp bars give the decision grid): after each bar's close T the entry target is
 * T + the decision latency + the execution latency (1 s); the perp's entry print comes 30 s after
 * it, its 1m exit print 0.5 s after the exit target; the spot prints 20 s after the entry target,
 * and then either 45 s after it (inside the perp's window) or only 5 minutes later. Every
 * tolerance (60 s for prints) holds either way.
 */
async function tradesDir(): Promise<string> {
  const ctx = await testContext();
  const dir = tempDir();
  cpSync(join(ROOT, 'data', 'sample', 'instruments'), join(dir, 'instruments'), { recursive: true });
  const bars: Array<Record<string, unknown>> = [];
  const trades: Array<Record<string, unknown>> = [];
  const print = (venue: string, symbol: string, ms: number, price: number, id: number): Record<string, unknown> => ({
    venue, symbol, event_time: ms * 1000, available_time: (ms + 100) * 1000, source: 'test', ingest_time: 0, trade_id: String(id), price, size: 1, side: 'buy',
  });
  for (let h = 0; h < 8; h++) {
    const t = T0 + h * 60 * M;
    bars.push(bar('binance-usdm', 'ETH-PERP', 60 * M, t, perpOpen(t), 2000));
    const target = t + 60 * M + DEFAULT_FEATURES_CONFIG.decision_latency_ms + 1000;
    trades.push(print('binance-usdm', 'ETH-PERP', target + 30_000, 100 + h, 2 * h));
    trades.push(print('binance-usdm', 'ETH-PERP', target + 60_500, 101 + h, 2 * h + 1));
    trades.push(print('binance-spot', 'ETH-SPOT', target + 20_000, 200 + h, 2 * h));
    // even hours: a spot print inside the perp's window; odd hours: none until 5 minutes later
    trades.push(print('binance-spot', 'ETH-SPOT', target + (h % 2 === 0 ? 45_000 : 300_000), 202 + h, 2 * h + 1));
  }
  await writeRows(ctx, { root: dir, spec: DATASETS.bars }, bars);
  await writeRows(ctx, { root: dir, spec: DATASETS.trades }, trades);
  await buildLabels({ root: dir, venue: 'binance-usdm', symbols: ['ETH-PERP'], timeframe: '1h', horizons: ['1m'] }, ctx);
  return dir;
}

describe('labels: the spot leg', () => {
  it('on prints: a spot leg with no spot print after its entry and by the perp\'s exit spans no time: no relative label, fwd_return kept', async () => {
    const rows = await labels(await tradesDir());
    const at = (h: number): Record<string, number | string | null> | undefined => rows.find((x) => x['en'] === T0 + (h + 1) * 60 * M + DEFAULT_FEATURES_CONFIG.decision_latency_ms + 1000 + 30_000);
    let inside = 0;
    let none = 0;
    for (let h = 0; h < 8; h++) {
      const x = at(h);
      if (!x) continue;
      expect(x['fwd_return']).toBeCloseTo((101 + h) / (100 + h) - 1, 12);
      if (h % 2 === 0) {
        expect(x['spot_entry_price']).toBe(200 + h);
        expect(x['spot_exit_price']).toBe(202 + h);
        expect(x['rel_return']).toBeCloseTo((101 + h) / (100 + h) - (202 + h) / (200 + h), 12);
        inside++;
      } else {
        // the spot's last print at the perp's exit is its entry print: both within 60 s of the perp's prices, but the leg spans nothing
        expect(x['rel_return']).toBeNull();
        expect(x['spot_entry_price']).toBeNull();
        none++;
      }
    }
    expect(inside).toBeGreaterThanOrEqual(3);
    expect(none).toBeGreaterThanOrEqual(3);
  });


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
