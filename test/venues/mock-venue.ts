import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../helpers.js';

/**
 * A local stand-in for the venues perpkit fetches from: Coinbase Advanced Trade, Coinbase
 * International and Binance (USD-M and spot), on 127.0.0.1 and a free port, one path prefix per
 * venue (http://127.0.0.1:PORT/coinbase, /coinbase-intx, /binance-usdm, /binance-spot). Responses
 * keep the venues' real shapes (recorded responses in test/fixtures/venues, see its README) and
 * values (real Binance candles, funding and trades), and follow each venue's paging rules with a
 * configurable maximum page size. Faults can be injected per venue and path: 429 with
 * Retry-After, 500/503, timeouts (no answer), truncated or malformed JSON, schema changes and
 * empty pages.
 */

export type MockVenueId = 'coinbase' | 'coinbase-intx' | 'binance-usdm' | 'binance-spot';
export type FaultKind = '429' | '500' | '503' | 'timeout' | 'truncated' | 'malformed' | 'schema' | 'empty';

export interface Fault {
  venue?: MockVenueId;
  /** matched against the path after the venue prefix, e.g. /candles$/ */
  path?: RegExp;
  kind: FaultKind;
  /** how many matching requests get the fault (default 1) */
  times?: number;
  /** matching requests answered normally before the fault starts (default 0) */
  skip?: number;
  /** Retry-After of a 429, seconds (default 1) */
  retryAfterS?: number;
}

export interface ServedRequest {
  venue: MockVenueId;
  path: string;
  query: Record<string, string>;
  status: number;
  fault: FaultKind | null;
  /** performance.now() when the request arrived */
  at: number;
}

/** Maximum items per request, as the venues enforce them (lowered by tests to force paging). */
export interface MockLimits {
  coinbase_candles: number;
  coinbase_trades: number;
  intx_candles: number;
  intx_funding: number;
  binance_klines: number;
  binance_funding: number;
  binance_oi: number;
  binance_trades: number;
}

export const DEFAULT_MOCK_LIMITS: MockLimits = {
  coinbase_candles: 350,
  coinbase_trades: 1000,
  intx_candles: 300,
  intx_funding: 100,
  binance_klines: 1500,
  binance_funding: 1000,
  binance_oi: 500,
  binance_trades: 1000,
};

/** One candle as served: open time (ms) and the decimal strings of the CSV. */
export interface MockCandle {
  open_ms: number;
  open: string;
  high: string;
  low: string;
  close: string;
  volume: string;
}
export interface MockFunding {
  time_ms: number;
  rate: string;
  mark: string;
}
export interface MockTrade {
  t: number;
  T: number;
  p: string;
  q: string;
  m: boolean;
}

const VENUE_FIX = join(FIXTURES, 'venues');
const readJson = (p: string): unknown => JSON.parse(readFileSync(join(VENUE_FIX, p), 'utf8'));

function readCandles(file: string): MockCandle[] {
  const [, ...lines] = readFileSync(join(VENUE_FIX, 'binance', file), 'utf8').trim().split('\n');
  return lines.map((l) => {
    const [date, open, high, low, close, volume] = l.split(',') as [string, string, string, string, string, string | undefined];
    return { open_ms: Date.parse(date), open, high, low, close, volume: volume ?? '0' };
  });
}

/** The data the mock serves, by venue and venue symbol. */
export function mockData(): {
  candles: Map<string, MockCandle[]>;
  funding: Map<string, MockFunding[]>;
  trades: MockTrade[];
} {
  const btc = readCandles('BTC_USDT_USDT-1h-futures.csv');
  const eth = readCandles('ETH_USDT_USDT-1h-futures.csv');
  const mark = readCandles('BTC_USDT_USDT-1h-mark.csv');
  const spot = readCandles('BTC_USDT-1h.csv');
  const candles = new Map<string, MockCandle[]>([
    ['binance-usdm|BTCUSDT|last|1h', btc],
    ['binance-usdm|ETHUSDT|last|1h', eth],
    ['binance-usdm|BTCUSDT|mark|1h', mark],
    // no public index-price history exists: the spot candles stand in for the index
    ['binance-usdm|BTCUSDT|index|1h', spot],
    ['binance-spot|BTCUSDT|last|1h', spot],
    ['coinbase|BIP-20DEC30-CDE|last|1h', btc],
    ['coinbase|BTC-USD|last|1h', spot],
    ['coinbase-intx|BTC-PERP|last|1h', btc],
  ]);
  const markAt = new Map(mark.map((c) => [c.open_ms, c.open]));
  const [, ...fl] = readFileSync(join(VENUE_FIX, 'binance', 'BTC_USDT_USDT-8h-funding_rate.csv'), 'utf8').trim().split('\n');
  const fund = fl.map((l) => {
    const [date, rate] = l.split(',') as [string, string];
    const t = Date.parse(date);
    return { time_ms: t, rate, mark: markAt.get(t) ?? '' };
  });
  const funding = new Map([
    ['binance-usdm|BTCUSDT', fund],
    ['coinbase-intx|BTC-PERP', fund],
  ]);
  const trades = readFileSync(join(VENUE_FIX, 'binance', 'btcusdt-usdm-trades-20240808.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as MockTrade);
  return { candles, funding, trades };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`HTTP ${status}`);
  }
}

const int = (q: Record<string, string>, k: string, dflt?: number): number => {
  const v = q[k];
  if (v === undefined) {
    if (dflt === undefined) throw new HttpError(400, { code: -1102, msg: `Mandatory parameter '${k}' was not sent` });
    return dflt;
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new HttpError(400, { code: -1100, msg: `Illegal characters found in parameter '${k}'` });
  return n;
};

/** Microsecond ISO time as Coinbase writes trade times: 2024-08-08T23:54:16.322000Z */
const isoMicros = (ms: number): string => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
const isoSec = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A schema change: every key renamed (objects), array rows turned into objects. */
function schemaBreak(json: unknown): unknown {
  if (Array.isArray(json)) return json.map((x) => (Array.isArray(x) ? { values: x } : schemaBreak(x)));
  if (json && typeof json === 'object') return Object.fromEntries(Object.entries(json).map(([k, v]) => [`${k}_v2`, v]));
  return json;
}

/** The empty page of an endpoint: arrays emptied, everything else kept. */
function emptyLike(json: unknown): unknown {
  if (Array.isArray(json)) return [];
  if (json && typeof json === 'object') return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, Array.isArray(v) ? [] : v]));
  return json;
}

export class MockVenue {
  readonly requests: ServedRequest[] = [];
  readonly faults: Array<Fault & { left: number; skipLeft: number }> = [];
  readonly data = mockData();
  limits: MockLimits;
  /** called for every request as it arrives (tests use it to kill a run mid-way) */
  onRequest: ((r: ServedRequest) => void) | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly hangs = new Set<ServerResponse>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
    limits: Partial<MockLimits>,
  ) {
    this.limits = { ...DEFAULT_MOCK_LIMITS, ...limits };
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(limits: Partial<MockLimits> = {}): Promise<MockVenue> {
    let mock: MockVenue | null = null;
    const server = createServer((req, res) => {
      mock?.handle(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const addr = server.address();
    if (!addr || typeof addr === 'string') throw new Error('mock venue: no port');
    mock = new MockVenue(server, addr.port, limits);
    return mock;
  }

  url(venue: MockVenueId): string {
    return `http://127.0.0.1:${this.port}/${venue}`;
  }

  /** PERPKIT_VENUE_BASE_URL_* for every venue, to point the CLI at the mock. */
  env(): Record<string, string> {
    return {
      PERPKIT_VENUE_BASE_URL_COINBASE: this.url('coinbase'),
      PERPKIT_VENUE_BASE_URL_COINBASE_INTX: this.url('coinbase-intx'),
      PERPKIT_VENUE_BASE_URL_BINANCE_USDM: this.url('binance-usdm'),
      PERPKIT_VENUE_BASE_URL_BINANCE_SPOT: this.url('binance-spot'),
    };
  }

  inject(f: Fault): void {
    this.faults.push({ ...f, left: f.times ?? 1, skipLeft: f.skip ?? 0 });
  }

  /** Requests that got a normal answer (no fault), optionally of one venue and path. */
  served(venue?: MockVenueId, path?: RegExp): ServedRequest[] {
    return this.requests.filter((r) => r.fault === null && (!venue || r.venue === venue) && (!path || path.test(r.path)));
  }

  reset(): void {
    this.requests.length = 0;
    this.faults.length = 0;
  }

  async stop(): Promise<void> {
    for (const r of this.hangs) r.destroy();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const u = new URL(req.url ?? '/', `http://127.0.0.1:${this.port}`);
    const m = /^\/(coinbase-intx|coinbase|binance-usdm|binance-spot)(\/.*)$/.exec(u.pathname);
    const query = Object.fromEntries(u.searchParams.entries());
    if (!m) {
      this.send(res, 404, { error: 'NOT_FOUND' });
      return;
    }
    const venue = m[1] as MockVenueId;
    const path = m[2] as string;
    const rec: ServedRequest = { venue, path, query, status: 200, fault: null, at: performance.now() };
    this.requests.push(rec);
    this.onRequest?.(rec);
    const fault = this.faults.find((f) => f.left > 0 && (!f.venue || f.venue === venue) && (!f.path || f.path.test(path)));
    let kind: FaultKind | null = null;
    if (fault) {
      if (fault.skipLeft > 0) fault.skipLeft--;
      else {
        fault.left--;
        kind = fault.kind;
      }
    }
    rec.fault = kind;
    if (kind === '429') {
      rec.status = 429;
      res.setHeader('Retry-After', String(fault?.retryAfterS ?? 1));
      this.send(res, 429, venue.startsWith('binance') ? { code: -1003, msg: 'Too many requests' } : { error: 'RATE_LIMIT_EXCEEDED', message: 'Too many requests' });
      return;
    }
    if (kind === '500' || kind === '503') {
      rec.status = Number(kind);
      this.send(res, rec.status, { error: 'UNAVAILABLE', message: 'service unavailable' });
      return;
    }
    if (kind === 'timeout') {
      // never answers; the client's timeout fires, the socket is destroyed at stop()
      this.hangs.add(res);
      res.on('close', () => this.hangs.delete(res));
      return;
    }
    let body: unknown;
    try {
      body = this.route(venue, path, query);
    } catch (err) {
      if (err instanceof HttpError) {
        rec.status = err.status;
        this.send(res, err.status, err.body);
        return;
      }
      throw err;
    }
    if (kind === 'truncated') {
      const text = JSON.stringify(body);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      return;
    }
    if (kind === 'malformed') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"candles": [{"start": "1712192400", "low": 66055.14,,]}');
      return;
    }
    if (kind === 'schema') body = schemaBreak(body);
    if (kind === 'empty') body = emptyLike(body);
    this.send(res, 200, body);
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  private candles(venue: MockVenueId, sym: string, price: string, tf: string): MockCandle[] {
    const c = this.data.candles.get(`${venue}|${sym}|${price}|${tf}`);
    if (!c) throw new HttpError(400, { code: -1121, msg: 'Invalid symbol.' });
    return c;
  }

  private route(venue: MockVenueId, path: string, q: Record<string, string>): unknown {
    if (venue === 'coinbase') return this.coinbase(path, q);
    if (venue === 'coinbase-intx') return this.intx(path, q);
    return this.binance(venue, path, q);
  }

  private coinbase(path: string, q: Record<string, string>): unknown {
    if (path === '/api/v3/brokerage/market/products') {
      const fut = readJson('coinbase/http_products_future.json') as { products: unknown[] };
      const spot = readJson('coinbase/http_products.json') as { products: unknown[] };
      const products = q['product_type'] === 'FUTURE' ? fut.products : q['product_type'] === 'SPOT' ? spot.products : [...spot.products, ...fut.products];
      return { products, num_products: products.length, pagination: null };
    }
    let m = /^\/api\/v3\/brokerage\/market\/products\/([^/]+)\/candles$/.exec(path);
    if (m) {
      const gran = { ONE_HOUR: 3600 }[q['granularity'] ?? ''];
      if (!gran) throw new HttpError(400, { error: 'INVALID_ARGUMENT', message: `granularity ${q['granularity']} not served by the mock` });
      const start = int(q, 'start');
      const end = int(q, 'end');
      const count = Math.floor((end - start) / gran) + 1;
      if (count > this.limits.coinbase_candles || end < start) {
        throw new HttpError(400, {
          error: 'INVALID_ARGUMENT',
          error_details: `number of candles requested should be less than ${this.limits.coinbase_candles + 1}`,
          message: `number of candles requested should be less than ${this.limits.coinbase_candles + 1}`,
        });
      }
      const c = this.candles('coinbase', decodeURIComponent(m[1] as string), 'last', '1h')
        .filter((x) => x.open_ms >= start * 1000 && x.open_ms <= end * 1000)
        .sort((a, b) => b.open_ms - a.open_ms);
      return {
        candles: c.map((x) => ({ start: String(x.open_ms / 1000), low: x.low, high: x.high, open: x.open, close: x.close, volume: x.volume })),
      };
    }
    m = /^\/api\/v3\/brokerage\/market\/products\/([^/]+)\/ticker$/.exec(path);
    if (m) {
      if (decodeURIComponent(m[1] as string) !== 'BIP-20DEC30-CDE') throw new HttpError(404, { error: 'NOT_FOUND', message: 'product not found' });
      const limit = int(q, 'limit');
      if (limit > this.limits.coinbase_trades) throw new HttpError(400, { error: 'INVALID_ARGUMENT', message: 'limit too large' });
      const start = q['start'] !== undefined ? int(q, 'start') * 1000 : -Infinity;
      const end = q['end'] !== undefined ? int(q, 'end') * 1000 : Infinity;
      const trades = this.data.trades
        .filter((t) => t.T >= start && t.T < end)
        .sort((a, b) => b.T - a.T || b.t - a.t)
        .slice(0, limit);
      return {
        trades: trades.map((t) => ({
          trade_id: String(t.t),
          product_id: 'BIP-20DEC30-CDE',
          price: t.p,
          size: t.q,
          time: isoMicros(t.T),
          side: t.m ? 'SELL' : 'BUY',
          bid: '',
          ask: '',
          exchange: 'coinbase',
        })),
        best_bid: '',
        best_ask: '',
      };
    }
    throw new HttpError(404, { error: 'NOT_FOUND', message: `no route ${path}` });
  }

  private intx(path: string, q: Record<string, string>): unknown {
    if (path === '/api/v1/instruments') return readJson('intx/http_get_instruments.json');
    if (path === '/api/v1/fee-rate-tiers') return readJson('intx/http_get_fee-rate-tiers.json');
    let m = /^\/api\/v1\/instruments\/([^/]+)\/candles$/.exec(path);
    if (m) {
      if (q['granularity'] !== 'ONE_HOUR') throw new HttpError(400, { title: 'granularity not served by the mock' });
      const start = Date.parse(q['start'] ?? '');
      const end = q['end'] ? Date.parse(q['end']) : Infinity;
      if (!Number.isFinite(start)) throw new HttpError(400, { title: 'start is required' });
      const count = Math.floor((end - start) / 3_600_000) + 1;
      if (count > this.limits.intx_candles) throw new HttpError(400, { title: `too many candles requested (max ${this.limits.intx_candles})` });
      const c = this.candles('coinbase-intx', decodeURIComponent(m[1] as string), 'last', '1h')
        .filter((x) => x.open_ms >= start && x.open_ms <= end)
        .sort((a, b) => b.open_ms - a.open_ms);
      return {
        aggregations: c.map((x) => ({ start: isoSec(x.open_ms), open: x.open, high: x.high, low: x.low, close: x.close, volume: x.volume })),
      };
    }
    m = /^\/api\/v1\/instruments\/([^/]+)\/funding$/.exec(path);
    if (m) {
      const limit = int(q, 'result_limit', 25);
      const offset = int(q, 'result_offset', 0);
      if (limit > this.limits.intx_funding) throw new HttpError(400, { title: `result_limit max ${this.limits.intx_funding}` });
      const all = [...(this.data.funding.get(`coinbase-intx|${decodeURIComponent(m[1] as string)}`) ?? [])].sort((a, b) => b.time_ms - a.time_ms);
      return {
        pagination: { result_limit: String(limit), result_offset: String(offset) },
        results: all.slice(offset, offset + limit).map((f) => ({
          instrument_id: '149264167780483072',
          funding_rate: f.rate,
          mark_price: f.mark,
          event_time: isoSec(f.time_ms),
        })),
      };
    }
    throw new HttpError(404, { title: `no route ${path}` });
  }

  private binance(venue: MockVenueId, path: string, q: Record<string, string>): unknown {
    const usdm = venue === 'binance-usdm';
    const kl: Record<string, string> = usdm
      ? { '/fapi/v1/klines': 'last', '/fapi/v1/markPriceKlines': 'mark', '/fapi/v1/indexPriceKlines': 'index' }
      : { '/api/v3/klines': 'last' };
    const price = kl[path];
    if (price) {
      const sym = (price === 'index' ? q['pair'] : q['symbol']) ?? '';
      if (q['interval'] !== '1h') throw new HttpError(400, { code: -1120, msg: 'Invalid interval (mock serves 1h).' });
      const limit = int(q, 'limit', 500);
      if (limit > this.limits.binance_klines) throw new HttpError(400, { code: -1130, msg: "Data sent for parameter 'limit' is not valid." });
      const start = int(q, 'startTime', 0);
      const end = int(q, 'endTime', Number.MAX_SAFE_INTEGER);
      const c = this.candles(venue, sym, price, '1h').filter((x) => x.open_ms >= start && x.open_ms <= end).slice(0, limit);
      return c.map((x) => {
        const last = price === 'last';
        const quote = last ? (Number(x.volume) * Number(x.close)).toFixed(4) : '0';
        return [x.open_ms, x.open, x.high, x.low, x.close, last ? x.volume : '0', x.open_ms + 3_599_999, quote, last ? 1000 : 0, '0', '0', '0'];
      });
    }
    if (usdm && path === '/fapi/v1/fundingRate') {
      const limit = int(q, 'limit', 100);
      if (limit > this.limits.binance_funding) throw new HttpError(400, { code: -1130, msg: "Data sent for parameter 'limit' is not valid." });
      const start = int(q, 'startTime', 0);
      const end = int(q, 'endTime', Number.MAX_SAFE_INTEGER);
      const f = (this.data.funding.get(`binance-usdm|${q['symbol']}`) ?? []).filter((x) => x.time_ms >= start && x.time_ms <= end).slice(0, limit);
      return f.map((x) => ({ symbol: q['symbol'], fundingTime: x.time_ms, fundingRate: x.rate, markPrice: x.mark }));
    }
    if (usdm && path === '/futures/data/openInterestHist') {
      if (q['period'] !== '1h') throw new HttpError(400, { code: -1120, msg: 'Invalid period (mock serves 1h).' });
      const limit = int(q, 'limit', 30);
      if (limit > this.limits.binance_oi) throw new HttpError(400, { code: -1130, msg: "Data sent for parameter 'limit' is not valid." });
      const start = int(q, 'startTime', 0);
      const end = int(q, 'endTime', Number.MAX_SAFE_INTEGER);
      // no public open-interest history exists: candle volumes stand in for the values
      const c = this.candles(venue, q['symbol'] ?? '', 'last', '1h').filter((x) => x.open_ms >= start && x.open_ms <= end).slice(0, limit);
      return c.map((x) => ({
        symbol: q['symbol'],
        sumOpenInterest: x.volume,
        sumOpenInterestValue: (Number(x.volume) * Number(x.close)).toFixed(8),
        timestamp: x.open_ms,
      }));
    }
    if (usdm && path === '/fapi/v1/aggTrades') {
      if (q['symbol'] !== 'BTCUSDT') throw new HttpError(400, { code: -1121, msg: 'Invalid symbol.' });
      const limit = int(q, 'limit', 500);
      if (limit > this.limits.binance_trades) throw new HttpError(400, { code: -1130, msg: "Data sent for parameter 'limit' is not valid." });
      let t = [...this.data.trades].sort((a, b) => a.t - b.t);
      if (q['fromId'] !== undefined) t = t.filter((x) => x.t >= int(q, 'fromId'));
      else {
        const start = int(q, 'startTime', 0);
        const end = int(q, 'endTime', Number.MAX_SAFE_INTEGER);
        if (end - start >= 3_600_000) throw new HttpError(400, { code: -1127, msg: 'More than 1 hours between startTime and endTime.' });
        t = t.filter((x) => x.T >= start && x.T <= end);
      }
      return t.slice(0, limit).map((x) => ({ a: x.t, p: x.p, q: x.q, f: x.t, l: x.t, T: x.T, m: x.m }));
    }
    throw new HttpError(404, { code: -1, msg: `no route ${path}` });
  }
}
