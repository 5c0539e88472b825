import { describe, expect, it } from 'vitest';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { buildFeatures, featuresSpec } from '../../src/services/features.js';
import { datasetFiles, listOf, SCAN_SQL, writeTable } from '../../src/store/dataset.js';
import { ROOT, tempDir, testContext } from '../helpers.js';
import type { ServiceContext } from '../../src/domain/context.js';

/**
 * The cron case: features built up to a day D, then a day of bars and funding arrives and an
 * incremental build recomputes only the tail. The result must equal, value for value, a full build
 * on all the data in a fresh data dir.
 */
const SAMPLE = join(ROOT, 'data', 'sample');
const START = Date.parse('2026-03-01T00:00:00Z') * 1000;
const D = Date.parse('2026-04-08T00:00:00Z') * 1000;
const END = Date.parse('2026-04-09T00:00:00Z') * 1000;

/** Copies sample rows of BTC (perp last + mark, spot, funding) with event_time in [a, b) into a data dir. */
async function load(ctx: ServiceContext, root: string, a: number, b: number, ingestUs: number): Promise<void> {
  const parts: Array<[typeof DATASETS.bars, Record<string, string[]>]> = [
    [DATASETS.bars, { venue: ['binance-usdm'], symbol: ['BTC-PERP'], timeframe: ['1h'] }],
    [DATASETS.bars, { venue: ['binance-spot'], symbol: ['BTC-SPOT'], timeframe: ['1h'] }],
    [DATASETS.funding, { venue: ['binance-usdm'], symbol: ['BTC-PERP'] }],
  ];
  for (const [spec, filter] of parts) {
    const files = await datasetFiles(SAMPLE, spec, filter);
    await ctx.db.exec(
      `CREATE OR REPLACE TEMP TABLE inc_stage AS SELECT * EXCLUDE (month) REPLACE (make_timestamp($ingest::BIGINT) AS ingest_time)
       FROM ${SCAN_SQL} WHERE event_time >= make_timestamp($a::BIGINT) AND event_time < make_timestamp($b::BIGINT)`,
      { files: listOf(files), a: BigInt(a), b: BigInt(b), ingest: BigInt(ingestUs) },
    );
    await writeTable(ctx, { root, spec }, 'inc_stage');
  }
}

describe('incremental feature builds', () => {
  it('appending a day and building incrementally equals a full rebuild, bit for bit, and recomputes only the tail', async () => {
    const ctx = await testContext();
    const inc = tempDir();
    const full = tempDir();
    for (const d of [inc, full]) cpSync(join(SAMPLE, 'instruments'), join(d, 'instruments'), { recursive: true });
    const opts = { venue: 'binance-usdm', symbols: ['BTC-PERP'], timeframe: '1h' };
    const now = Date.now() * 1000;
    await load(ctx, inc, START - 30 * 86_400_000_000, D, now - 3_600_000_000);
    const first = await buildFeatures({ ...opts, root: inc, incremental: true }, { ...ctx, clock: { now: () => now / 1000 - 1_800_000 } });
    expect(first.recomputed_from).toBeUndefined(); // nothing stored yet: a full build
    // nothing new: nothing recomputed
    const idle = await buildFeatures({ ...opts, root: inc, incremental: true }, { ...ctx, clock: { now: () => now / 1000 - 1_700_000 } });
    expect(idle.rows).toBe(0);
    expect(idle.recomputed_from).toBeNull();
    // a day arrives
    await load(ctx, inc, D, END, now);
    const tail = await buildFeatures({ ...opts, root: inc, incremental: true }, { ...ctx, clock: { now: () => now / 1000 + 1000 } });
    expect(tail.recomputed_from).toBe(new Date(D / 1000).toISOString());
    expect(tail.rows).toBe(24); // the day's 24 decisions
    expect(tail.write?.rows_replaced ?? 0).toBe(0); // no earlier decision changed
    // the reference: everything at once
    await load(ctx, full, START - 30 * 86_400_000_000, END, now);
    await buildFeatures({ ...opts, root: full }, ctx);
    const q = `SELECT * EXCLUDE (ingest_time, month) FROM ${SCAN_SQL}`;
    await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE fa AS ${q}`, { files: listOf(await datasetFiles(inc, featuresSpec())) });
    await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE fb AS ${q}`, { files: listOf(await datasetFiles(full, featuresSpec())) });
    const na = Number(await ctx.db.scalar('SELECT count(*) FROM fa'));
    expect(na).toBe(Number(await ctx.db.scalar('SELECT count(*) FROM fb')));
    expect(na).toBeGreaterThan(1500);
    expect(Number(await ctx.db.scalar('SELECT count(*) FROM (SELECT * FROM fa EXCEPT ALL SELECT * FROM fb)'))).toBe(0);
    expect(Number(await ctx.db.scalar('SELECT count(*) FROM (SELECT * FROM fb EXCEPT ALL SELECT * FROM fa)'))).toBe(0);
    // the tail holds real values, not only NULLs
    expect(Number(await ctx.db.scalar(`SELECT count(basis_z_168) + count(rsi_14) + count(funding_z_168) FROM fa WHERE event_time >= make_timestamp(${D}::BIGINT)`))).toBeGreaterThan(60);
  });
});
