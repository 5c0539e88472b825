import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FEATURES } from '../../src/domain/features.js';
import { buildFeatures, checkLeakage, featuresSpec } from '../../src/services/features.js';
import { stageInputs } from '../../src/services/features/inputs.js';
import { plan } from '../../src/services/features/plan.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { ROOT, testContext } from '../helpers.js';

/**
 * The staged bar series (raw_perp, raw_spot, raw_mark) live in a compressed in-memory database
 * (queries/features/stage_db.sql) and are found by their bare names; the leakage harness's
 * restricted copies are temp tables of the same names, which hide them. A build after the harness
 * in the same session must read its own staged rows, not the harness's leftovers.
 */
const opts = { venue: 'binance-usdm', symbols: ['BTC-PERP', 'ETH-PERP'], timeframe: '1h' as const, from: Date.parse('2026-03-01T00:00:00Z') * 1000, to: Date.parse('2026-04-14T00:00:00Z') * 1000 };
let a = '';
let b = '';

beforeAll(() => {
  a = mkdtempSync(join(tmpdir(), 'perpkit-stage-a-'));
  b = mkdtempSync(join(tmpdir(), 'perpkit-stage-b-'));
  cpSync(join(ROOT, 'data', 'sample'), a, { recursive: true });
  cpSync(join(ROOT, 'data', 'sample'), b, { recursive: true });
});
afterAll(() => {
  rmSync(a, { recursive: true, force: true });
  rmSync(b, { recursive: true, force: true });
});

describe('staged inputs', () => {
  it('are held compressed in perpkit_stage, every bar series', async () => {
    const ctx = await testContext();
    const p = await plan({ root: a, ...opts }, ctx);
    await stageInputs(ctx, p, [], {});
    const where = await ctx.db.all(`SELECT table_name AS t, database_name AS d, temporary FROM duckdb_tables() WHERE table_name IN ('raw_perp', 'raw_spot', 'raw_mark') ORDER BY t`);
    expect(where).toEqual(['raw_mark', 'raw_perp', 'raw_spot'].map((t) => ({ t, d: 'perpkit_stage', temporary: false })));
    for (const t of ['raw_perp', 'raw_spot', 'raw_mark']) {
      const n = Number(await ctx.db.scalar(`SELECT count(*) FROM ${t}`));
      expect(n).toBeGreaterThan(1000);
      // checkpointed: no segment of a time or price column left uncompressed
      const modes = await ctx.db.all(`SELECT DISTINCT compression FROM pragma_storage_info('perpkit_stage.${t}') WHERE segment_type <> 'VALIDITY' AND column_name IN ('event_time', 'close')`);
      expect(modes.map((m) => m['compression'])).not.toContain('Uncompressed');
    }
  });

  it('a build after the leakage harness in the same session equals a build in a fresh one', async () => {
    const fresh = await testContext();
    const threads = async (): Promise<unknown> => fresh.db.scalar(`SELECT current_setting('threads')`);
    const before = await threads();
    await buildFeatures({ root: a, ...opts }, fresh);
    // the build computes and writes with DuckDB on one thread, and gives the session its count back
    expect(await threads()).toBe(before);
    const ctx = await testContext();
    const r = await checkLeakage({ root: b, ...opts, cutoffs: 2 }, ctx);
    expect(r.ok).toBe(true);
    // the harness leaves its restricted copies behind as temp tables
    const shadowSql = `SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name IN ('raw_perp', 'raw_spot', 'raw_mark')`;
    expect(Number(await ctx.db.scalar(shadowSql))).toBe(3);
    await buildFeatures({ root: b, ...opts }, ctx);
    // the build staged into perpkit_stage (a leftover copy would have taken its rows, on top of its own)
    expect(Number(await ctx.db.scalar(shadowSql))).toBe(0);
    const cols = ['symbol', 'event_time', ...FEATURES.map((f) => f.name)].join(', ');
    const fa = await datasetFiles(a, featuresSpec(), { timeframe: ['1h'] });
    const fb = await datasetFiles(b, featuresSpec(), { timeframe: ['1h'] });
    const count = async (x: string[]): Promise<number> => Number(await ctx.db.scalar(`SELECT count(*) FROM ${SCAN_SQL.replace('$files', '$fx')}`, { fx: listOf(x) }));
    expect(await count(fb)).toBe(await count(fa));
    const diff = `SELECT count(*) FROM (SELECT ${cols} FROM ${SCAN_SQL.replace('$files', '$fx')} EXCEPT ALL SELECT ${cols} FROM ${SCAN_SQL.replace('$files', '$fy')})`;
    expect(Number(await ctx.db.scalar(diff, { fx: listOf(fa), fy: listOf(fb) }))).toBe(0);
    expect(Number(await ctx.db.scalar(diff, { fx: listOf(fb), fy: listOf(fa) }))).toBe(0);
  }, 120_000);
});
