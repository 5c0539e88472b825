import { describe, expect, it } from 'vitest';
import { buildFeatures, checkLeakage } from '../../src/services/features.js';
import { fetchData } from '../../src/services/fetch.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * The feature engine on a synthetic span: 1-minute bars with the generator's late bars and late
 * funding updates, so the point-in-time machinery meets out-of-order arrivals.
 */
describe('features on a synthetic span', () => {
  it('builds every family, reports stale (late) inputs, and passes the leakage harness', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await fetchData(
      {
        root,
        source: 'synthetic',
        symbols: ['BTC', 'ETH'],
        from: Date.parse('2025-03-01T00:00:00Z') * 1000,
        to: Date.parse('2025-03-06T00:00:00Z') * 1000,
        synthetic: { seed: 11, effects: 'default', funding_cadence: 'binance', with_ticks: false },
      },
      ctx,
    );
    const f = await buildFeatures({ root, venue: 'synthetic', timeframe: '1m' }, ctx);
    expect(f.symbols).toEqual(['BTC-PERP', 'ETH-PERP']);
    expect(f.rows).toBe(2 * 5 * 1440);
    // late bars exist in the synthetic feed: the decisions they miss have stale inputs, not leaks
    expect(f.stale['perp_bars']).toBeGreaterThan(0);
    expect(f.notes).toEqual([]);
    const r = await checkLeakage({ root, venue: 'synthetic', timeframe: '1m', cutoffs: 6, seed: 3 }, ctx);
    expect(r.differences).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.modified_input_rows).toBeGreaterThan(1000);
    expect(r.compared_non_null).toBeGreaterThan(r.compared_values * 0.5);
  });
});
