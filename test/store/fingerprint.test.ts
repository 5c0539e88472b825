import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/domain/datasets.js';
import { contentFingerprint, writeRows } from '../../src/store/dataset.js';
import { tempDir, testContext } from '../helpers.js';

const H = 3_600_000_000;
const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;

/** A 1h BTC bar i hours after T0 (real-looking prices); months 2026-03 and 2026-04 for i >= 432. */
function bar(i: number, o: Record<string, unknown> = {}): Record<string, unknown> {
  const event = T0 + (i + 1) * H;
  const close = 42_000 + ((i * 37) % 500);
  return {
    venue: 'binance-usdm', symbol: 'BTC-PERP', price: 'last', timeframe: '1h', event_time: event, available_time: event + 2_000_000,
    source: 'test', ingest_time: T0, open_time: event - H, open: close - 10, high: close + 20, low: close - 30, close, volume: 100 + i,
    quote_volume: null, trade_count: null, ...o,
  };
}

const fp = async (rows: Array<Record<string, unknown>>, exclude: string[] = ['ingest_time'], scheme: 'rs1' | 'rs2' = 'rs2'): Promise<{ hash: string; rows: number }> => {
  const ctx = await testContext();
  const root = tempDir();
  await writeRows(ctx, { root, spec: DATASETS.bars }, rows);
  return contentFingerprint(ctx, root, DATASETS.bars, {}, exclude, scheme);
};

describe('contentFingerprint (split inputs)', () => {
  const rows = Array.from({ length: 500 }, (_, i) => bar(i)); // two month partitions

  it('depends on the rows, not on their order or on how they were written', async () => {
    const a = await fp(rows);
    expect(a.hash).toMatch(/^rs2:[0-9a-f]{40}$/);
    expect(a.rows).toBe(500);
    const ctx = await testContext();
    const root = tempDir();
    // written in reverse, in two batches (the second merges into stored partitions)
    const rev = [...rows].reverse();
    await writeRows(ctx, { root, spec: DATASETS.bars }, rev.slice(0, 200));
    await writeRows(ctx, { root, spec: DATASETS.bars }, rev.slice(200));
    expect((await contentFingerprint(ctx, root, DATASETS.bars, {}, ['ingest_time'])).hash).toBe(a.hash);
  });

  it('changes with any one value, a NULL for a value, or a row more; an excluded column does not count', async () => {
    const a = (await fp(rows)).hash;
    const one = rows.map((r, i) => (i === 321 ? { ...r, close: (r['close'] as number) + 1e-9 } : r));
    expect((await fp(one)).hash).not.toBe(a);
    const nulled = rows.map((r, i) => (i === 7 ? { ...r, volume: null } : r));
    expect((await fp(nulled)).hash).not.toBe(a);
    // two values swapped between rows: a sum of per-row digests must still see it
    const swapped = rows.map((r, i) => (i === 3 ? { ...r, volume: rows[4]!['volume'] } : i === 4 ? { ...r, volume: rows[3]!['volume'] } : r));
    expect((await fp(swapped)).hash).not.toBe(a);
    expect((await fp([...rows, bar(500)])).hash).not.toBe(a);
    const reIngested = rows.map((r) => ({ ...r, ingest_time: T0 + 99 }));
    expect((await fp(reIngested)).hash).toBe(a);
    expect((await fp(reIngested, [])).hash).not.toBe((await fp(rows, [])).hash);
  });
});

describe('contentFingerprint rs1 (md5 of the row text; splits recorded before rs2)', () => {
  const rows = Array.from({ length: 120 }, (_, i) => bar(i));
  it('is its own value, independent of order, and changes with one value, as rs2', async () => {
    const a = await fp(rows, ['ingest_time'], 'rs1');
    expect(a.hash).toMatch(/^rs1:[0-9a-f]{40}$/);
    expect(a.hash.slice(4)).not.toBe((await fp(rows)).hash.slice(4));
    expect((await fp([...rows].reverse(), ['ingest_time'], 'rs1')).hash).toBe(a.hash);
    const one = rows.map((r, i) => (i === 21 ? { ...r, close: (r['close'] as number) + 1e-9 } : r));
    expect((await fp(one, ['ingest_time'], 'rs1')).hash).not.toBe(a.hash);
  });
});

describe('split inputs: recorded fingerprints and older contentHash values are both checked', () => {
  it('a split recorded with contentHash (plain hex) is compared by contentHash; one with rs1: by the fingerprint', async () => {
    const { featuresSpec } = await import('../../src/domain/features.js');
    const { contentHash } = await import('../../src/store/dataset.js');
    const { checkSplitInputs } = await import('../../src/services/split.js');
    const ctx = await testContext();
    const root = tempDir();
    const spec = featuresSpec();
    const row = (i: number, x: number): Record<string, unknown> => ({
      venue: 'binance-usdm', symbol: 'BTC-PERP', timeframe: '1h', event_time: T0 + i * H + 5_000_000, available_time: T0 + i * H + 5_000_000,
      source: 'test', ingest_time: T0, roc_1: x,
    });
    await writeRows(ctx, { root, spec }, Array.from({ length: 48 }, (_, i) => row(i, i / 100)));
    const filter = { venue: ['binance-usdm'], timeframe: ['1h'] };
    const legacy = await contentHash(ctx, root, spec, filter, ['ingest_time']);
    const fresh = await contentFingerprint(ctx, root, spec, filter, ['ingest_time']);
    const rs1 = await contentFingerprint(ctx, root, spec, filter, ['ingest_time'], 'rs1');
    expect(legacy.hash).toMatch(/^[0-9a-f]{32}$/);
    expect(fresh.hash).toMatch(/^rs2:/);
    expect(rs1.hash).toMatch(/^rs1:/);
    const split = (h: string): Parameters<typeof checkSplitInputs>[2] =>
      ({ venue: 'binance-usdm', timeframe: '1h', inputs: { features: { hash: h, rows: 48 }, labels: { hash: 'empty', rows: 0 } } }) as unknown as Parameters<typeof checkSplitInputs>[2];
    expect((await checkSplitInputs(ctx, root, split(legacy.hash))).changed).toEqual([]);
    expect((await checkSplitInputs(ctx, root, split(fresh.hash))).changed).toEqual([]);
    expect((await checkSplitInputs(ctx, root, split(rs1.hash))).changed).toEqual([]);
    // the same data changed: every kind of record sees it
    await writeRows(ctx, { root, spec }, [row(10, 9)]);
    expect((await checkSplitInputs(ctx, root, split(legacy.hash))).changed.map((c) => c.dataset)).toEqual(['features']);
    expect((await checkSplitInputs(ctx, root, split(fresh.hash))).changed.map((c) => c.dataset)).toEqual(['features']);
    const changed = (await checkSplitInputs(ctx, root, split(rs1.hash))).changed;
    expect(changed.map((c) => c.dataset)).toEqual(['features']);
    // compared as rs1 (the recorded kind): the value now is an rs1 value too
    expect(changed[0]!.now.hash).toMatch(/^rs1:/);
  });
});
