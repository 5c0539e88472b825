import { describe, expect, it } from 'vitest';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildFeatures, featuresSpec } from '../../src/services/features.js';
import { SymbolWorker } from '../../src/services/features/symbol-pool.js';
import type { SymbolInputs } from '../../src/services/features/symbol.js';
import { fetchData } from '../../src/services/fetch.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * Symbols computed in a worker thread (while the store writes the symbol before) give the same
 * features, bit for bit, as symbols computed on the main thread; a failing job is an error, not a hang.
 */
describe('features computed in a worker thread', () => {
  it('writes exactly the rows and counts of the main-thread build, symbol after symbol through one worker', async () => {
    const ctx = await testContext();
    const a = tempDir();
    await fetchData(
      {
        root: a,
        source: 'synthetic',
        symbols: ['BTC', 'ETH', 'SOL'],
        from: Date.parse('2025-03-30T00:00:00Z') * 1000,
        to: Date.parse('2025-04-02T00:00:00Z') * 1000,
        synthetic: { seed: 5, effects: 'default', funding_cadence: 'binance', with_ticks: false },
      },
      ctx,
    );
    // SOL has no spot bars: its basis columns must be NULL, not the values of the symbol before it
    rmSync(join(a, 'bars', 'venue=synthetic', 'symbol=SOL-SPOT'), { recursive: true });
    const b = tempDir();
    cpSync(a, b, { recursive: true });
    const c = tempDir();
    cpSync(a, c, { recursive: true });
    const jobs0 = SymbolWorker.jobs;
    const off = await buildFeatures({ root: a, venue: 'synthetic', timeframe: '1m', worker: 'off' }, ctx);
    expect(SymbolWorker.jobs).toBe(jobs0);
    // (auto keeps symbols this small on the main thread)
    const on = await buildFeatures({ root: b, venue: 'synthetic', timeframe: '1m', worker: 'on' }, ctx);
    expect(SymbolWorker.jobs).toBe(jobs0 + 3);
    expect(on.rows).toBe(3 * 3 * 1440);
    expect(on.rows).toBe(off.rows);
    expect(on.stale).toEqual(off.stale);
    expect(on.missing).toEqual(off.missing);
    expect(on.stale['perp_bars']).toBeGreaterThan(0);
    // the same files (a month per batch: March and April of each symbol) and the same values
    const fa = await datasetFiles(a, featuresSpec(), {});
    const fb = await datasetFiles(b, featuresSpec(), {});
    expect(fb.map((f) => f.slice(b.length))).toEqual(fa.map((f) => f.slice(a.length)));
    expect(fa).toHaveLength(6);
    const read = (files: string[]): string => `(SELECT * EXCLUDE (ingest_time) FROM ${SCAN_SQL.replace('$files', `$${files === fa ? 'fa' : 'fb'}`)})`;
    const diff = await ctx.db.all(
      `SELECT count(*)::INTEGER AS n FROM (SELECT * FROM ${read(fa)} EXCEPT ALL SELECT * FROM ${read(fb)}
        UNION ALL SELECT * FROM ${read(fb)} EXCEPT ALL SELECT * FROM ${read(fa)})`,
      { fa: listOf(fa), fb: listOf(fb) },
    );
    expect(diff).toEqual([{ n: 0 }]);
    // a symbol built alone equals the same symbol built after another (whose columns were recycled for it)
    await buildFeatures({ root: c, venue: 'synthetic', timeframe: '1m', symbols: ['SOL-PERP'], worker: 'off' }, ctx);
    const fc = await datasetFiles(c, featuresSpec(), {});
    const solDiff = await ctx.db.all(
      `SELECT count(*)::INTEGER AS n FROM (SELECT * EXCLUDE (ingest_time) FROM ${SCAN_SQL.replace('$files', '$fc')} EXCEPT ALL SELECT * FROM ${read(fb)} WHERE symbol = 'SOL-PERP'
        UNION ALL SELECT * FROM ${read(fb)} WHERE symbol = 'SOL-PERP' EXCEPT ALL SELECT * EXCLUDE (ingest_time) FROM ${SCAN_SQL.replace('$files', '$fc')})`,
      { fc: listOf(fc), fb: listOf(fb) },
    );
    expect(fc).toHaveLength(2);
    expect(solDiff).toEqual([{ n: 0 }]);
    const [cnt] = await ctx.db.all(`SELECT count(*)::INTEGER AS n, count(rsi_14)::INTEGER AS rsi, count(basis_mean_24)::INTEGER AS basis FROM ${read(fb)}`, { fb: listOf(fb) });
    expect(cnt?.['n']).toBe(3 * 3 * 1440);
    expect(Number(cnt?.['rsi'])).toBeGreaterThan(3 * 2 * 1440);
    expect(Number(cnt?.['basis'])).toBeGreaterThan(2 * 2 * 1440);
    const [sol] = await ctx.db.all(`SELECT count(*)::INTEGER AS n, count(basis_mean_24)::INTEGER AS basis, count(spot_bars_age_ms)::INTEGER AS age FROM ${read(fb)} WHERE symbol = 'SOL-PERP'`, { fb: listOf(fb) });
    expect(sol).toEqual({ n: 3 * 1440, basis: 0, age: 0 });
  });

  it('rejects a job that fails in the worker with its error, and closes', async () => {
    const w = new SymbolWorker();
    await expect(w.run({} as SymbolInputs)).rejects.toThrow(/^features worker: .*undefined/);
    await w.close();
  });
});
