import { describe, expect, it } from 'vitest';
import { fetchVenue } from '../../src/services/fetch-venue.js';
import { tempDir, testContext } from '../helpers.js';
import { stored } from './util.js';

/** Against the real venues (network): opt-in with PERPKIT_LIVE=1, skipped otherwise. */
describe.skipIf(process.env['PERPKIT_LIVE'] !== '1')('live venues (PERPKIT_LIVE=1)', () => {
  it('coinbase: discovers BTC PERP and fetches the last hours of 1h bars', async () => {
    const ctx = await testContext(Date.now());
    const root = tempDir();
    const r = await fetchVenue({ root, venue: 'coinbase', symbols: ['BTC-PERP'], datasets: ['instruments', 'bars', 'funding', 'open_interest'], timeframe: '1h', from: (Date.now() - 6 * 3_600_000) * 1000 }, ctx);
    expect(r.symbols).toEqual(['BTC-PERP']);
    expect((await stored(ctx, root, 'bars')).length).toBeGreaterThanOrEqual(4);
    expect((await stored(ctx, root, 'instruments'))[0]?.['contract_size']).toBeGreaterThan(0);
  });

  it('binance-usdm: last hours of 1h bars and funding', async () => {
    const ctx = await testContext(Date.now());
    const root = tempDir();
    await fetchVenue({ root, venue: 'binance-usdm', symbols: ['BTC-PERP'], datasets: ['bars', 'funding'], timeframe: '1h', from: (Date.now() - 24 * 3_600_000) * 1000 }, ctx);
    expect((await stored(ctx, root, 'bars')).length).toBeGreaterThanOrEqual(20);
    expect((await stored(ctx, root, 'funding')).length).toBeGreaterThanOrEqual(2);
  });
});
