import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadQuery, queriesDir, runQuery } from '../../src/store/queries.js';
import { DATASETS } from '../../src/domain/datasets.js';
import { datasetFiles, listOf } from '../../src/store/dataset.js';
import { fetchData } from '../../src/services/fetch.js';
import { CANDLES, ROOT, tempDir, testContext } from '../helpers.js';

describe('queries loader', () => {
  it('finds queries/ from the package, not the working directory', () => {
    const cwd = process.cwd();
    try {
      process.chdir(tempDir());
      expect(queriesDir()).toBe(join(ROOT, 'queries'));
      expect(loadQuery('store/summary').params).toEqual(['bars', 'files']);
    } finally {
      process.chdir(cwd);
    }
  });

  it('every query starts with a comment that names each of its parameters', () => {
    for (const step of readdirSync(join(ROOT, 'queries'))) {
      for (const f of readdirSync(join(ROOT, 'queries', step)).filter((x) => x.endsWith('.sql'))) {
        const q = loadQuery(`${step}/${f.replace(/\.sql$/, '')}`);
        const header = readFileSync(join(ROOT, 'queries', step, f), 'utf8').split('\n').filter((l) => l.startsWith('--')).join('\n');
        for (const p of q.params) expect(header, `${step}/${f} documents $${p}`).toContain(`$${p}`);
      }
    }
  });

  it('refuses missing and unknown parameters and bad names', async () => {
    const ctx = await testContext();
    await expect(runQuery(ctx.db, 'store/summary', { files: listOf([]) })).rejects.toThrow(/missing parameters bars/);
    await expect(runQuery(ctx.db, 'store/summary', { files: listOf([]), bars: true, x: 1 })).rejects.toThrow(/unknown parameters x/);
    expect(() => loadQuery('../etc/passwd')).toThrow(/bad query name/);
  });

  it('store/summary gives rows, range, files and delay of the fixture', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await fetchData({ root, source: 'files', path: join(CANDLES, 'usdm') }, ctx);
    const files = await datasetFiles(root, DATASETS.bars, { symbol: ['BTC-PERP'] });
    const rows = await runQuery(ctx.db, 'store/summary', { files: listOf(files), bars: true });
    expect(rows).toEqual([
      expect.objectContaining({ symbol: 'BTC-PERP', price: 'last', timeframe: '1h', rows: '4368', partitions: '7', // the last bar closes at 07-01 00:00: July's partition
        first_event_time: '2024-01-01T01:00:00.000Z', last_event_time: '2024-07-01T00:00:00.000Z', max_delay_ms: '2000' }),
      expect.objectContaining({ symbol: 'BTC-PERP', price: 'mark', timeframe: '1h', rows: '4368', partitions: '7' }),
    ]);
  });
});
