import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coinbasePerpInstrument, discoverCoinbasePerps, ProductsResponseSchema, type CoinbaseProduct } from '../../src/sources/venues/coinbase.js';
import { barWindows, isoToMicros } from '../../src/sources/venues/common.js';
import { rebaseUrls } from '../../src/sources/venues/client.js';
import { backoffMs, parseRetryAfter } from '../../src/sources/venues/transport.js';
import { RetrySchema } from '../../src/domain/venue-config.js';
import { FIXTURES } from '../helpers.js';

const products = (): CoinbaseProduct[] =>
  ProductsResponseSchema.parse(JSON.parse(readFileSync(join(FIXTURES, 'venues', 'coinbase', 'http_products_future.json'), 'utf8'))).products;

describe('Coinbase perp discovery (real http_products_future.json)', () => {
  it('finds BTC PERP with contract size 0.01 and leaves the dated future out', () => {
    const all = products();
    expect(all.map((p) => p.product_id)).toEqual(['BIP-20DEC30-CDE', 'BIT-24APR26-CDE']);
    const perps = discoverCoinbasePerps(all);
    expect(perps.map((p) => [p.symbol, p.product.product_id])).toEqual([['BTC-PERP', 'BIP-20DEC30-CDE']]);
    const row = coinbasePerpInstrument(perps[0] as (typeof perps)[number]);
    expect(row).toMatchObject({ contract_size: 0.01, tick_size: 5, base: 'BTC', spot_symbol: 'BTC-USD', funding_accrual_hours: 1 });
  });

  it('ignores disabled products and prefers the most traded perp of a base', () => {
    const [bip] = products();
    const p = bip as CoinbaseProduct;
    const twin = { ...p, product_id: 'BIP-TWIN', approximate_quote_24h_volume: '999999999999' };
    const off = { ...p, product_id: 'ETP-OFF', display_name: 'ETH PERP', trading_disabled: true };
    const perps = discoverCoinbasePerps([p, twin, off]);
    expect(perps.map((x) => x.product.product_id)).toEqual(['BIP-TWIN']);
  });
});

describe('paging and transport helpers', () => {
  it('bar windows cover [from, to) of bar closes, closed bars only, at most `limit` bars each', () => {
    const H = 3_600_000_000;
    const w = barWindows(10 * H, 100 * H, 1000 * H, H, 40);
    expect(w).toEqual([
      [9 * H, 49 * H],
      [49 * H, 89 * H],
      [89 * H, 99 * H],
    ]);
    // now = 50.5 h: the bar closing at 51 h is not over yet
    expect(barWindows(10 * H, 100 * H, 50.5 * H, H, 40).at(-1)).toEqual([49 * H, 50 * H]);
    expect(barWindows(100 * H, 100 * H + 1, 1000 * H, H, 40)).toEqual([[99 * H, 100 * H]]);
    expect(barWindows(100 * H + 1, 101 * H, 1000 * H, H, 40)).toEqual([]);
  });

  it('Retry-After in seconds or as a date; jittered backoff within its cap', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('2015-10-21T07:28:00Z'))).toBe(5000);
    expect(parseRetryAfter(null)).toBeNull();
    expect(parseRetryAfter('soon')).toBeNull();
    const retry = RetrySchema.parse({ base_delay_ms: 100, max_delay_ms: 1000 });
    expect(backoffMs(retry, 0, () => 0.999)).toBe(100);
    expect(backoffMs(retry, 3, () => 0.5)).toBe(400);
    expect(backoffMs(retry, 10, () => 0.999)).toBe(999);
  });

  it('keeps microseconds of venue times and rebases every API URL', () => {
    expect(isoToMicros('2026-04-07T00:28:58.544778Z')).toBe(Date.parse('2026-04-07T00:28:58Z') * 1000 + 544778);
    expect(isoToMicros('2026-04-07T00:00:00Z')).toBe(Date.parse('2026-04-07T00:00:00Z') * 1000);
    expect(rebaseUrls({ rest: 'https://api.international.coinbase.com/api', fapiData: 'https://fapi.binance.com/futures/data' }, 'http://127.0.0.1:9/x/')).toEqual({
      rest: 'http://127.0.0.1:9/x/api',
      fapiData: 'http://127.0.0.1:9/x/futures/data',
    });
  });
});
