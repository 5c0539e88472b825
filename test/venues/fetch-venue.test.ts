import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fetchVenue, type FetchVenueOptions } from '../../src/services/fetch-venue.js';
import { DATASETS } from '../../src/domain/datasets.js';
import { contentHash } from '../../src/store/dataset.js';
import { tempDir } from '../helpers.js';
import { MockVenue, type MockCandle } from './mock-venue.js';
import { capturingContext, dataHash, FROM, H, NOW_MS, SMALL_LIMITS, stored, TO, testConfig, us } from './util.js';

let mock: MockVenue;
beforeAll(async () => {
  mock = await MockVenue.start(SMALL_LIMITS);
});
afterAll(async () => {
  await mock.stop();
});
beforeEach(() => {
  mock.reset();
});

const opts = (over: Partial<FetchVenueOptions> & Pick<FetchVenueOptions, 'venue' | 'root'>): FetchVenueOptions => ({
  symbols: ['BTC-PERP'],
  datasets: ['bars'],
  timeframe: '1h',
  from: FROM,
  to: TO,
  baseUrl: mock.url(over.venue),
  config: testConfig(),
  ...over,
});

/** Candles of the mock whose close falls in [from, to): what a backfill must store. */
const inRange = (c: MockCandle[], from = FROM, to = TO): MockCandle[] =>
  c.filter((x) => x.open_ms * 1000 + H >= from && x.open_ms * 1000 + H < to);

describe('Coinbase US perp-style futures', () => {
  it('backfills a multi-page range exactly, reports unlisted contracts, and a second run fetches nothing', async () => {
    const { ctx, logs } = await capturingContext();
    const root = tempDir();
    const r = await fetchVenue(
      opts({ venue: 'coinbase', root, symbols: ['BTC-PERP', 'ETH-PERP', 'SOL', 'XRP-PERP', 'DOGE-PERP'], datasets: ['instruments', 'bars', 'mark'] }),
      ctx,
    );
    expect(r.symbols).toEqual(['BTC-PERP']);
    expect(r.unlisted.map((u) => u.symbol)).toEqual(['ETH-PERP', 'SOL-PERP', 'XRP-PERP', 'DOGE-PERP']);
    expect(logs.some((l) => l.startsWith('warning: coinbase: ETH-PERP is not listed'))).toBe(true);
    expect(r.unsupported).toEqual([expect.objectContaining({ symbol: 'BTC-PERP', dataset: 'mark' })]);

    const expected = inRange(mock.data.candles.get('coinbase|BIP-20DEC30-CDE|last|1h') ?? []);
    expect(expected.length).toBe(95);
    const bars = await stored(ctx, root, 'bars', { venue: ['coinbase'] });
    expect(bars.map((b) => [b['symbol'], b['price'], b['timeframe']])).toEqual(expected.map(() => ['BTC-PERP', 'last', '1h']));
    expect(bars.map((b) => b['open_time'])).toEqual(expected.map((c) => c.open_ms * 1000));
    expect(bars.map((b) => b['event_time'])).toEqual(expected.map((c) => c.open_ms * 1000 + H));
    expect(bars.map((b) => b['available_time'])).toEqual(expected.map((c) => c.open_ms * 1000 + H + 2_000_000));
    expect(bars.map((b) => [b['open'], b['high'], b['low'], b['close']])).toEqual(
      expected.map((c) => [Number(c.open), Number(c.high), Number(c.low), Number(c.close)]),
    );
    // candle volume is in contracts; stored in BTC (contract size 0.01)
    expect(bars.map((b) => b['volume'])).toEqual(expected.map((c) => Number(c.volume) * 0.01));
    expect(new Set(bars.map((b) => b['source']))).toEqual(new Set(['coinbase:market/products/BIP-20DEC30-CDE/candles']));
    // 95 bars at 20 per request: 5 pages, none asking for more than the venue allows
    const candleReqs = mock.served('coinbase', /candles$/);
    expect(candleReqs.length).toBe(5);
    expect(mock.requests.filter((q) => q.status !== 200)).toEqual([]);

    const inst = await stored(ctx, root, 'instruments', { venue: ['coinbase'] });
    expect(inst).toHaveLength(1);
    expect(inst[0]).toMatchObject({
      symbol: 'BTC-PERP',
      venue_symbol: 'BIP-20DEC30-CDE',
      kind: 'perp',
      base: 'BTC',
      quote: 'USD',
      contract_size: 0.01,
      tick_size: 5,
      funding_accrual_hours: 1,
      funding_interval_hours: 12,
      maker_fee: 0.004,
      taker_fee: 0.006,
      spot_venue: 'coinbase',
      spot_symbol: 'BTC-USD',
      expiry: null,
    });
    const tiers = JSON.parse(String(inst[0]?.['fee_tiers'])) as Array<{ maker: number; taker: number }>;
    expect(tiers[tiers.length - 1]).toMatchObject({ maker: 0, taker: 0.0005 });

    // Second run, no --from: resumes after the last stored bar; nothing new to fetch.
    const before = await dataHash(ctx, root);
    mock.reset();
    const again = await fetchVenue(opts({ venue: 'coinbase', root, from: undefined, datasets: ['instruments', 'bars'] }), ctx);
    expect(again.tasks.map((t) => [t.dataset, t.status, t.rows])).toEqual([['bars', 'up_to_date', 0]]);
    expect(again.writes).toEqual([]);
    expect(mock.served('coinbase', /candles$/)).toHaveLength(0);
    expect(await dataHash(ctx, root)).toEqual(before);
  });

  it('stores the funding rate and open interest that the product details publish (no history)', async () => {
    // the products capture is of 2026-04-07 00:28 UTC; funding_time 00:00, rate 0.000013, OI 183283 contracts
    const nowMs = Date.parse('2026-04-07T00:30:00Z');
    const { ctx } = await capturingContext(nowMs);
    const root = tempDir();
    const r = await fetchVenue(
      opts({ venue: 'coinbase', root, datasets: ['funding', 'open_interest'], from: us('2026-04-06T00:00:00Z'), to: undefined }),
      ctx,
    );
    expect(r.tasks.map((t) => [t.dataset, t.rows])).toEqual([
      ['funding', 1],
      ['open_interest', 1],
    ]);
    const f = await stored(ctx, root, 'funding');
    expect(f).toEqual([
      expect.objectContaining({
        venue: 'coinbase',
        symbol: 'BTC-PERP',
        event_time: us('2026-04-07T00:00:00Z'),
        available_time: us('2026-04-07T00:00:05Z'),
        funding_rate: 0.000013,
        funding_interval_hours: 1,
      }),
    ]);
    const oi = await stored(ctx, root, 'open_interest');
    expect(oi).toEqual([expect.objectContaining({ event_time: nowMs * 1000, available_time: nowMs * 1000 })]);
    expect(oi[0]?.['open_interest']).toBeCloseTo(1832.83, 6);
    // only the product list was asked: no history endpoint exists
    expect(mock.served('coinbase').map((q) => q.path)).toEqual(['/api/v3/brokerage/market/products']);
  });

  it('fetches trades backwards inside each window, without gaps or duplicates', async () => {
    const { ctx } = await capturingContext(Date.parse('2024-08-09T00:00:00Z'));
    const root = tempDir();
    const from = us('2024-08-08T23:54:00Z');
    const to = us('2024-08-08T23:55:00Z');
    const r = await fetchVenue(opts({ venue: 'coinbase', root, datasets: ['trades'], from, to }), ctx);
    const t = await stored(ctx, root, 'trades');
    const served = [...mock.data.trades].sort((a, b) => a.T - b.T || a.t - b.t);
    expect(served.length).toBe(400);
    expect(t.map((x) => x['trade_id'])).toEqual(served.map((x) => String(x.t)).sort());
    const byId = new Map(t.map((x) => [x['trade_id'], x]));
    for (const s of served) {
      expect(byId.get(String(s.t))).toMatchObject({ event_time: s.T * 1000, price: Number(s.p), side: s.m ? 'sell' : 'buy' });
      expect(byId.get(String(s.t))?.['size']).toBeCloseTo(Number(s.q) * 0.01, 12);
    }
    // more than one page per busy window
    expect(r.tasks[0]?.requests).toBeGreaterThan(400 / SMALL_LIMITS.coinbase_trades);
  });
});

describe('Binance USD-M and spot', () => {
  it('backfills last, mark and index candles, funding and open interest exactly', async () => {
    const { ctx } = await capturingContext();
    const root = tempDir();
    const from = us('2026-02-01T00:00:00Z');
    const r = await fetchVenue(
      opts({
        venue: 'binance-usdm',
        root,
        from,
        datasets: ['instruments', 'bars', 'mark', 'index', 'funding', 'open_interest'],
        config: testConfig({ binance_oi_history_days: 60 }),
      }),
      ctx,
    );
    expect(r.tasks.every((t) => t.status === 'done')).toBe(true);
    for (const [price, key] of [
      ['last', 'binance-usdm|BTCUSDT|last|1h'],
      ['mark', 'binance-usdm|BTCUSDT|mark|1h'],
      ['index', 'binance-usdm|BTCUSDT|index|1h'],
    ] as const) {
      const exp = inRange(mock.data.candles.get(key) ?? [], from);
      const got = await stored(ctx, root, 'bars', { price: [price] });
      expect(got.map((b) => [b['event_time'], b['open'], b['high'], b['low'], b['close']])).toEqual(
        exp.map((c) => [c.open_ms * 1000 + H, Number(c.open), Number(c.high), Number(c.low), Number(c.close)]),
      );
      if (price === 'last') {
        expect(got.map((b) => [b['volume'], b['quote_volume'], b['trade_count']])).toEqual(
          exp.map((c) => [Number(c.volume), Number((Number(c.volume) * Number(c.close)).toFixed(4)), 1000]),
        );
      } else {
        expect(got.every((b) => b['volume'] === null && b['trade_count'] === null)).toBe(true);
      }
    }
    const fund = mock.data.funding.get('binance-usdm|BTCUSDT') ?? [];
    const f = await stored(ctx, root, 'funding');
    expect(f.map((x) => [x['event_time'], x['available_time'], x['funding_rate'], x['funding_interval_hours'], x['mark_price']])).toEqual(
      fund.map((x) => [x.time_ms * 1000, x.time_ms * 1000 + 5_000_000, Number(x.rate), 8, x.mark ? Number(x.mark) : null]),
    );
    expect(f.length).toBe(135);
    // 135 rates, 15 a page: 9 full pages, then an empty one ends the paging
    expect(mock.served('binance-usdm', /fundingRate$/).length).toBe(Math.floor(135 / SMALL_LIMITS.binance_funding) + 1);
    const oi = await stored(ctx, root, 'open_interest');
    const oiExp = (mock.data.candles.get('binance-usdm|BTCUSDT|last|1h') ?? []).filter((c) => c.open_ms * 1000 < TO);
    expect(oi.map((x) => [x['event_time'], x['open_interest'], x['available_time']])).toEqual(
      oiExp.map((c) => [c.open_ms * 1000, Number(c.volume), c.open_ms * 1000 + 300_000_000]),
    );
    const inst = await stored(ctx, root, 'instruments');
    expect(inst[0]).toMatchObject({ venue: 'binance-usdm', symbol: 'BTC-PERP', venue_symbol: 'BTCUSDT', spot_venue: 'binance-spot', spot_symbol: 'BTC-SPOT' });
  });

  it('resumes after the last stored row: two runs equal one, with no request overlapping', async () => {
    const { ctx } = await capturingContext();
    const full = tempDir();
    await fetchVenue(opts({ venue: 'binance-usdm', root: full, datasets: ['bars', 'funding'] }), ctx);
    const split = tempDir();
    const mid = us('2026-03-16T05:00:00Z');
    await fetchVenue(opts({ venue: 'binance-usdm', root: split, datasets: ['bars', 'funding'], to: mid }), ctx);
    mock.reset();
    const r = await fetchVenue(opts({ venue: 'binance-usdm', root: split, datasets: ['bars', 'funding'], from: undefined }), ctx);
    const bars = r.tasks.find((t) => t.dataset === 'bars');
    expect(bars?.resumed_after).toBe(mid - 1 - ((mid - 1) % H)); // the last close before mid
    const first = mock.served('binance-usdm', /klines$/)[0];
    expect(Number(first?.query['startTime']) * 1000).toBe(bars?.resumed_after); // next bar opens at the last close
    expect(await dataHash(ctx, split)).toEqual(await dataHash(ctx, full));
    expect((await stored(ctx, split, 'bars')).length).toBe(95);
  });

  it('binance-spot: candles; funding and open interest reported as not published', async () => {
    const { ctx } = await capturingContext();
    const root = tempDir();
    const r = await fetchVenue(opts({ venue: 'binance-spot', root, symbols: ['BTC'], datasets: ['bars', 'funding'] }), ctx);
    expect(r.symbols).toEqual(['BTC-SPOT']);
    expect(r.unsupported.map((u) => u.dataset)).toEqual(['funding']);
    const exp = inRange(mock.data.candles.get('binance-spot|BTCUSDT|last|1h') ?? []);
    const got = await stored(ctx, root, 'bars', { venue: ['binance-spot'] });
    expect(got.map((b) => [b['event_time'], b['close']])).toEqual(exp.map((c) => [c.open_ms * 1000 + H, Number(c.close)]));
  });

  it('aggTrades: time window to find the start, then fromId paging', async () => {
    const { ctx } = await capturingContext(Date.parse('2024-08-09T00:00:00Z'));
    const root = tempDir();
    const from = us('2024-08-08T23:00:00Z');
    const to = us('2024-08-08T23:54:20Z');
    await fetchVenue(opts({ venue: 'binance-usdm', root, datasets: ['trades'], from, to }), ctx);
    const exp = mock.data.trades.filter((t) => t.T * 1000 >= from && t.T * 1000 < to);
    const got = await stored(ctx, root, 'trades');
    expect(exp.length).toBeGreaterThan(SMALL_LIMITS.binance_trades * 2);
    expect(got.map((x) => [x['trade_id'], x['event_time'], x['price'], x['size'], x['side']])).toEqual(
      [...exp]
        .sort((a, b) => a.T - b.T || String(a.t).localeCompare(String(b.t)))
        .map((t) => [String(t.t), t.T * 1000, Number(t.p), Number(t.q), t.m ? 'sell' : 'buy']),
    );
    expect(mock.served('binance-usdm', /aggTrades$/).some((q) => q.query['fromId'] !== undefined)).toBe(true);
  });
});

describe('Coinbase International', () => {
  it('candles, funding history by offset, open interest snapshot and instruments with fee tiers', async () => {
    const { ctx } = await capturingContext(Date.parse('2026-03-18T01:00:00Z'));
    const root = tempDir();
    const from = us('2026-03-01T00:00:00Z');
    const r = await fetchVenue(
      opts({ venue: 'coinbase-intx', root, symbols: ['BTC-PERP', 'ETH-PERP'], from, datasets: ['instruments', 'bars', 'funding', 'index'] }),
      ctx,
    );
    expect(r.unlisted.map((u) => u.symbol)).toEqual(['ETH-PERP']);
    expect(r.unsupported.map((u) => u.dataset)).toEqual(['index']);
    const exp = inRange(mock.data.candles.get('coinbase-intx|BTC-PERP|last|1h') ?? [], from);
    const bars = await stored(ctx, root, 'bars');
    expect(bars.map((b) => [b['event_time'], b['close'], b['volume']])).toEqual(
      exp.map((c) => [c.open_ms * 1000 + H, Number(c.close), Number(c.volume)]),
    );
    const fund = (mock.data.funding.get('coinbase-intx|BTC-PERP') ?? []).filter((x) => x.time_ms * 1000 >= from && x.time_ms * 1000 < TO);
    const f = await stored(ctx, root, 'funding');
    expect(f.map((x) => [x['event_time'], x['funding_rate'], x['funding_interval_hours']])).toEqual(
      fund.map((x) => [x.time_ms * 1000, Number(x.rate), 1]),
    );
    // newest first by offset, stopping once past --from
    const offs = mock.served('coinbase-intx', /funding$/).map((q) => Number(q.query['result_offset']));
    expect(offs.slice(0, 3)).toEqual([0, 10, 20]);
    expect(offs.length).toBeLessThan(Math.ceil(135 / 10));
    const inst = await stored(ctx, root, 'instruments');
    expect(inst[0]).toMatchObject({ venue: 'coinbase-intx', symbol: 'BTC-PERP', tick_size: 0.1, lot_size: 0.0001, funding_interval_hours: 1, quote: 'USDC' });
    expect(inst[0]?.['maker_fee']).toBeCloseTo(0.0002, 12);
    expect(inst[0]?.['taker_fee']).toBeCloseTo(0.0004, 12);
  });
});

describe('request rate', () => {
  it('stays at the configured limit (Coinbase public REST: 10 requests/s)', async () => {
    const { ctx } = await capturingContext();
    const from = us('2026-03-04T00:00:00Z');
    const r = await fetchVenue(opts({ venue: 'coinbase', root: tempDir(), from, config: testConfig({ requests_per_second: 10 }) }), ctx);
    const times = mock.requests.map((q) => q.at);
    const rate = (times.length - 1) / (((times[times.length - 1] ?? 0) - (times[0] ?? 0)) / 1000);
    // the product list, then 14 days of hourly candles at 20 a page
    expect(times.length).toBe(1 + Math.ceil((TO - from) / H / 20));
    // measured at the server: spaced 100 ms apart, never faster
    expect(rate).toBeLessThanOrEqual(10.5);
    expect(rate).toBeGreaterThan(8);
    expect(r.request_rate_per_s).toBeLessThanOrEqual(10.5);
    process.stderr.write(`[measured] coinbase mock, limit 10/s: ${rate.toFixed(2)} requests/s over ${times.length} requests\n`);
  });
});

describe('credentials', () => {
  it('are read from the environment and never reach logs, results or files', async () => {
    const { ctx, logs } = await capturingContext();
    const root = tempDir();
    const secret = 'sk-PERPKIT-TEST-SECRET-3f9a';
    mock.inject({ venue: 'coinbase', path: /candles$/, kind: '503' });
    const r = await fetchVenue(
      opts({ venue: 'coinbase', root, datasets: ['instruments', 'bars'], env: { COINBASE_API_KEY: 'key-PERPKIT-TEST-1', COINBASE_API_SECRET: secret } }),
      ctx,
    );
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else files.push(p);
      }
    };
    walk(root);
    expect(files.length).toBeGreaterThan(1);
    const everything = [JSON.stringify(r), ...logs, ...files.map((f) => readFileSync(f).toString('latin1'))].join('\n');
    expect(everything).not.toContain(secret);
    expect(everything).not.toContain('key-PERPKIT-TEST-1');
    expect(logs.some((l) => l.includes('HTTP 503'))).toBe(true);
  });
});

describe('input checks', () => {
  it('refuses an unknown venue, dataset or timeframe with a usage error (exit 2)', async () => {
    const { ctx } = await capturingContext();
    const root = tempDir();
    await expect(fetchVenue(opts({ venue: 'kraken' as never, root }), ctx)).rejects.toMatchObject({ exitCode: 2 });
    await expect(fetchVenue(opts({ venue: 'coinbase', root, datasets: ['book' as never] }), ctx)).rejects.toMatchObject({ exitCode: 2 });
    await expect(fetchVenue(opts({ venue: 'coinbase', root, timeframe: '4h' }), ctx)).rejects.toMatchObject({ exitCode: 2 });
    expect(mock.requests).toHaveLength(0);
  });

  it('exits 2 naming --symbols when the venue lists none of the symbols (issue 14 item 6)', async () => {
    const { ctx } = await capturingContext();
    await expect(fetchVenue(opts({ venue: 'coinbase', root: tempDir(), symbols: ['ETH-PERP'] }), ctx)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^--symbols: coinbase lists none of the requested symbols \(ETH-PERP\)/),
      details: { flag: 'symbols' },
    });
  });

  it('the content hash ignores ingest_time, so two runs compare equal', async () => {
    const a = await capturingContext(NOW_MS);
    const b = await capturingContext(NOW_MS + 60_000);
    const ra = tempDir();
    const rb = tempDir();
    await fetchVenue(opts({ venue: 'binance-spot', root: ra, symbols: ['BTC-SPOT'] }), a.ctx);
    await fetchVenue(opts({ venue: 'binance-spot', root: rb, symbols: ['BTC-SPOT'] }), b.ctx);
    const h = (ctx: typeof a.ctx, r: string, ex: string[]) => contentHash(ctx, r, DATASETS.bars, {}, ex);
    expect((await h(a.ctx, ra, ['ingest_time'])).hash).toBe((await h(a.ctx, rb, ['ingest_time'])).hash);
    expect((await h(a.ctx, ra, [])).hash).not.toBe((await h(a.ctx, rb, [])).hash);
  });
});
