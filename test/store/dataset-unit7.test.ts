import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS, type DatasetName, type DatasetSpec } from '../../src/domain/datasets.js';
import { checkWritableSpec, datasetFiles, openWrite, writeRows } from '../../src/store/dataset.js';
import { featuresSpec, labelsSpec } from '../../src/domain/features.js';
import { researchSpec } from '../../src/domain/research.js';
import { ledgerSpec } from '../../src/store/ledger.js';
import { predictionsSpec } from '../../src/services/train/predictions.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * Specs the store cannot write are refused before anything is locked or written (store-write-7 found the
 * fresh-batch COPY's guards for them unreachable, and the general path failed on the first one with a raw
 * parser error): a dataset with no partition key and no time key, and one with a column named like its
 * time key (the month=/date= folder and the column would collide when read back). No dataset of perpkit
 * has either; every one of them passes.
 */
const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;
const H = 3_600_000_000;
const base = [
  { name: 'event_time', type: 'TIMESTAMP', nullable: false, doc: '' },
  { name: 'available_time', type: 'TIMESTAMP', nullable: false, doc: '' },
  { name: 'source', type: 'VARCHAR', nullable: false, doc: '' },
  { name: 'ingest_time', type: 'TIMESTAMP', nullable: false, doc: '' },
  { name: 'v', type: 'DOUBLE', nullable: false, doc: '' },
] as const;
const rows = (n: number, extra: (i: number) => Record<string, unknown> = () => ({})): Array<Record<string, unknown>> =>
  Array.from({ length: n }, (_, i) => ({ event_time: T0 + i * H, available_time: T0 + i * H, source: 'test', ingest_time: T0, v: i, ...extra(i) }));
const flat: DatasetSpec = { name: 'flat' as DatasetName, doc: 'test', partitionKeys: [], timeKey: null, columns: [...base], naturalKey: ['event_time'] };
const monthly: DatasetSpec = {
  name: 'monthly' as DatasetName,
  doc: 'test',
  partitionKeys: [],
  timeKey: 'month',
  columns: [...base, { name: 'month', type: 'VARCHAR', nullable: false, doc: 'a label' }],
  naturalKey: ['event_time'],
};

describe('specs the store cannot write', () => {
  it('refuses a dataset without partitions and one with a column named like its time key, before taking the lock or writing', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await expect(writeRows(ctx, { root, spec: flat }, rows(3))).rejects.toThrow('dataset flat has no partition key and no time key; the store writes partitioned datasets only');
    await expect(writeRows(ctx, { root, spec: monthly }, rows(3, () => ({ month: 'label' })))).rejects.toThrow('dataset monthly has a column named month, the name of its time partition');
    await expect(openWrite(ctx, { root, spec: monthly })).rejects.toThrow('the name of its time partition');
    expect(existsSync(join(root, 'flat'))).toBe(false);
    expect(existsSync(join(root, 'monthly'))).toBe(false);
    // the lock was not taken: a good write goes through at once
    const ok: DatasetSpec = { ...monthly, name: 'ok' as DatasetName, columns: [...base] };
    expect((await writeRows(ctx, { root, spec: ok }, rows(2))).rows_added).toBe(2);
  });

  it('passes every dataset perpkit writes, and a time key alone or partition keys alone', () => {
    for (const spec of [...Object.values(DATASETS), featuresSpec(), labelsSpec(), researchSpec(), ledgerSpec(), predictionsSpec()]) expect(() => checkWritableSpec(spec)).not.toThrow();
    expect(() => checkWritableSpec({ ...flat, timeKey: 'date' })).not.toThrow();
    expect(() => checkWritableSpec({ ...flat, partitionKeys: ['venue'] })).not.toThrow();
    expect(() => checkWritableSpec({ ...monthly, timeKey: 'date' })).not.toThrow();
    expect(() => checkWritableSpec({ ...monthly, timeKey: null, partitionKeys: ['venue'] })).not.toThrow();
  });

  it('a replace write that only deletes (its rows unchanged, another stored partition out of it) commits with nothing staged, and reports the commit time', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const bars = DATASETS.bars;
    const D = 24 * H;
    const bar = (t: number): Record<string, unknown> => ({
      venue: 'binance-usdm', symbol: 'BTC-PERP', price: 'last', timeframe: '1h', event_time: t, available_time: t, source: 'test',
      ingest_time: T0, open_time: t - H, open: 100, high: 102, low: 99, close: 101, volume: 5, quote_volume: null, trade_count: null,
    });
    const march = bar(T0 + H);
    const april = bar(T0 + 20 * D); // 2026-04-03
    await writeRows(ctx, { root, spec: bars }, [march, april]);
    const r = await writeRows(ctx, { root, spec: bars, replace: { symbol: ['BTC-PERP'] } }, [march]);
    expect(r).toMatchObject({ rows_added: 0, partitions_written: 0, partitions_deleted: 1 });
    expect(r.timings_ms['commit']).toBeGreaterThanOrEqual(0);
    const files = await datasetFiles(root, bars);
    expect(files).toHaveLength(1);
    expect(files[0]).toContain('month=2026-03');
  });
});
