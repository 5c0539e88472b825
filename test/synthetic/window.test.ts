import { describe, expect, it } from 'vitest';
import { DATASETS, type DatasetName } from '../../src/domain/datasets.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { generateSynthetic } from '../../src/services/synthetic.js';
import { DEFAULT_EFFECTS } from '../../src/sources/synthetic/effects.js';
import { tempDir, testContext } from '../helpers.js';
import type { ServiceContext } from '../../src/domain/context.js';

/**
 * Issue 14 item 8: the synthetic series of a seed must not depend on the window asked for. Two
 * overlapping fetches (and a fetch that starts later) must agree on every row they share, so that
 * merging them gives neither a seam nor rows replacing each other.
 */

const DAY = 86_400_000_000;
const T0 = Date.UTC(2025, 0, 1) * 1000;

async function gen(ctx: ServiceContext, from: number, to: number, ticks = false): Promise<string> {
  const root = tempDir('perpkit-synwin-');
  await generateSynthetic(
    { root, venue: 'synthetic', bases: ['BTC'], from, to, timeframe: '1m', seed: 11, effects: DEFAULT_EFFECTS, effects_name: 'default', cadence: 'coinbase', with_ticks: ticks },
    ctx,
  );
  return root;
}

/** Rows of a dataset with from < event_time < to (a bar ending at from opened before it), without ingest_time, as sorted JSON lines. */
async function rows(ctx: ServiceContext, root: string, name: DatasetName, from: number, to: number): Promise<string[]> {
  const files = await datasetFiles(root, DATASETS[name]);
  if (!files.length) return [];
  const out = await ctx.db.all(
    `SELECT * EXCLUDE (ingest_time) FROM ${SCAN_SQL} WHERE event_time > make_timestamp($from::BIGINT) AND event_time < make_timestamp($to::BIGINT) ORDER BY ALL`,
    { files: listOf(files), from, to },
  );
  return out.map((r) => JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

describe('synthetic: the same seed gives the same series for any window', () => {
  it('two overlapping fetches agree on the overlap (bars, funding, open interest, ticker)', async () => {
    const ctx = await testContext();
    const a = await gen(ctx, T0, T0 + 3 * DAY);
    const b = await gen(ctx, T0 + 2 * DAY + 3_600_000_000 * 5, T0 + 5 * DAY);
    const from = T0 + 2 * DAY + 3_600_000_000 * 5;
    const to = T0 + 3 * DAY;
    for (const name of ['bars', 'funding', 'open_interest', 'derivative_ticker'] as const) {
      const ra = await rows(ctx, a, name, from, to);
      const rb = await rows(ctx, b, name, from, to);
      expect(ra.length, `${name} rows in the overlap`).toBeGreaterThan(name === 'funding' ? 0 : 10);
      expect(rb, name).toEqual(ra);
    }
  });

  it('a window outside the simulated market is refused, naming the accepted range', async () => {
    const ctx = await testContext();
    await expect(gen(ctx, Date.UTC(2024, 5, 1) * 1000, Date.UTC(2024, 5, 2) * 1000)).rejects.toMatchObject({
      kind: 'usage',
      message: expect.stringContaining('2025-01-01 to 2031-01-01'),
    });
  });
});
