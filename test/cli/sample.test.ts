import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { DATASETS, DATASET_NAMES } from '../../src/domain/datasets.js';
import { contentHash, datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { ROOT, runCli, tempDir, testContext, treeHash } from '../helpers.js';

const SAMPLE = join(ROOT, 'data', 'sample');

describe('the bundled sample', () => {
  it('imports twice to identical content and files, with no duplicates', async () => {
    const ctx = await testContext();
    const dir = tempDir();
    const first = (await runCli(['fetch', '--source', 'sample', '--data-dir', dir, '--json']));
    expect(first.code, first.stderr).toBe(0);
    const r1 = JSON.parse(first.stdout) as { writes: Array<{ dataset: string; rows_added: number }> };
    expect(r1.writes.map((w) => [w.dataset, w.rows_added])).toEqual([
      ['bars', 185226],
      ['funding', 7656],
      ['instruments', 6],
    ]);
    const hashes1 = await Promise.all(DATASET_NAMES.map((n) => contentHash(ctx, dir, DATASETS[n])));
    const files1 = treeHash(dir);
    const second = (await runCli(['fetch', '--data-dir', dir, '--json']));
    expect(second.code).toBe(0);
    const r2 = JSON.parse(second.stdout) as { writes: Array<{ rows_added: number; rows_replaced: number; partitions_written: number }> };
    for (const w of r2.writes) expect(w).toMatchObject({ rows_added: 0, rows_replaced: 0, partitions_written: 0 });
    expect(await Promise.all(DATASET_NAMES.map((n) => contentHash(ctx, dir, DATASETS[n])))).toEqual(hashes1);
    expect(treeHash(dir)).toBe(files1);
    // same content as the sample itself
    expect((await contentHash(ctx, SAMPLE, DATASETS.bars)).hash).toBe(hashes1[0]?.hash);
    // no duplicate natural keys
    const dups = await ctx.db.scalar(
      `SELECT count(*) FROM (SELECT venue, symbol, price, timeframe, event_time FROM ${SCAN_SQL} GROUP BY ALL HAVING count(*) > 1)`,
      { files: listOf(await datasetFiles(dir, DATASETS.bars)) },
    );
    expect(Number(dups)).toBe(0);
  });

  it('obeys the two-clock contract: available_time >= event_time, bar event_time = close', async () => {
    const ctx = await testContext();
    const files = await datasetFiles(SAMPLE, DATASETS.bars);
    const [row] = await ctx.db.all(
      `SELECT count(*) FILTER (WHERE available_time < event_time)::BIGINT AS time_travel,
              count(*) FILTER (WHERE epoch(event_time - open_time) <>
                 CASE timeframe WHEN '5m' THEN 300 WHEN '15m' THEN 900 WHEN '1h' THEN 3600 END)::BIGINT AS not_at_close,
              count(*) FILTER (WHERE source NOT LIKE 'binance-candles:%')::BIGINT AS bad_source,
              count(*)::BIGINT AS n
       FROM ${SCAN_SQL}`,
      { files: listOf(files) },
    );
    expect(row).toEqual({ time_travel: '0', not_at_close: '0', bad_source: '0', n: '185226' });
    const fund = await ctx.db.scalar(`SELECT count(*) FILTER (WHERE available_time < event_time) FROM ${SCAN_SQL}`, {
      files: listOf(await datasetFiles(SAMPLE, DATASETS.funding)),
    });
    expect(Number(fund)).toBe(0);
  });

  it('datasets --json lists the sample after fetch; the table goes to stdout', async () => {
    const dir = tempDir();
    expect((await runCli(['fetch', '--data-dir', dir, '--quiet'])).code).toBe(0);
    const r = (await runCli(['datasets', '--data-dir', dir, '--json']));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = JSON.parse(r.stdout) as { datasets: Array<Record<string, unknown>> };
    const btc = doc.datasets.find((d) => d['dataset'] === 'bars' && d['symbol'] === 'BTC-PERP' && d['timeframe'] === '1h' && d['price'] === 'last');
    expect(btc).toMatchObject({
      venue: 'binance-usdm',
      rows: 20339,
      first_event_time: '2024-01-01T01:00:00.000Z',
      last_event_time: '2026-04-27T11:00:00.000Z',
      max_delay_ms: 2000,
    });
    expect(doc.datasets.filter((d) => d['dataset'] === 'funding').map((d) => d['rows'])).toEqual([2552, 2552, 2552]);
    const t = (await runCli(['ls', '--data-dir', dir, '--datasets', 'funding']));
    expect(t.code).toBe(0);
    expect(t.stdout.split('\n')[0]).toMatch(/^dataset\s+venue\s+symbol/);
    expect(t.stdout).toContain('ETH-PERP');
  });
});
