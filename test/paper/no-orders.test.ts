import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers.js';

/**
 * "No real order is ever sent": no source file has a code path to a venue's order endpoint. The
 * patterns are the order calls of ccxt (createOrder and its variants, editOrder, cancelOrder) and
 * the REST order paths of the venues perpkit talks to (Coinbase Advanced Trade
 * /api/v3/brokerage/orders, Coinbase International /api/v1/orders, Binance /fapi/v1/order,
 * /api/v3/order), plus the private-API authentication paths of ccxt (apiKey/secret set on an
 * exchange).
 */

const PATTERNS: Array<[string, RegExp]> = [
  ['ccxt createOrder and variants', /\bcreate(Market|Limit|Stop|Post|Reduce|Trailing)?\w*Order(s)?\s*\(/i],
  ['ccxt editOrder / cancelOrder', /\b(edit|cancel|cancelAll)Orders?\s*\(/],
  ['Coinbase Advanced Trade orders', /brokerage\/orders/],
  ['Coinbase International orders', /\/api\/v1\/orders/],
  ['Binance order endpoints', /\/(fapi|dapi|api|sapi)\/v\d\/(order|batchOrders|allOpenOrders)/],
  ['ccxt private credentials', /\b(apiKey|secret)\s*:\s*(process\.env|opts|options|config)/],
];

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (/\.(ts|js|mjs|sql)$/.test(e)) out.push(p);
  }
  return out;
}

describe('no code path to an order endpoint', () => {
  it('src/ has no order call or order endpoint of any venue', () => {
    const hits: string[] = [];
    const all = files(join(ROOT, 'src'));
    expect(all.length).toBeGreaterThan(50);
    for (const f of all) {
      const text = readFileSync(f, 'utf8');
      text.split('\n').forEach((line, i) => {
        for (const [what, re] of PATTERNS) if (re.test(line)) hits.push(`${relative(ROOT, f)}:${i + 1}: ${what}: ${line.trim()}`);
      });
    }
    expect(hits).toEqual([]);
  });

  it('the patterns catch what they are for (a planted order call is found)', () => {
    const planted = ["await exchange.createOrder('BTC/USDT', 'market', 'buy', 1)", "fetch('https://api.coinbase.com/api/v3/brokerage/orders')", "post('/fapi/v1/order', body)", 'ex.cancelOrder(id)'];
    for (const p of planted) expect(PATTERNS.some(([, re]) => re.test(p)), p).toBe(true);
    // the engine's own simulated order book is not an endpoint
    expect(PATTERNS.some(([, re]) => re.test('this.book.requestCancel(s, t, true)'))).toBe(false);
  });
});
