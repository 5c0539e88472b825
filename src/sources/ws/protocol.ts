import { createHmac } from 'node:crypto';
import type { Row } from '../../store/stage.js';

/**
 * Normalizers of the recorded WebSocket feeds: one message (parsed JSON) and its receive time in,
 * perpkit rows out. event_time is the venue's time of the message (or of the trade / book update
 * inside it); available_time is the receive time read when the frame arrived, never changed later,
 * except that a venue clock ahead of ours would put available_time before event_time, which the
 * store refuses: such a row gets available_time = event_time and is counted (`clock_skew_rows`).
 */

export type RecDataset = 'trades' | 'quotes' | 'book' | 'derivative_ticker' | 'funding';
export type RecRows = Partial<Record<RecDataset, Row[]>>;

export interface Handled {
  rows: RecRows;
  /** a sequence break: gap rows are in `rows.book`; the connection should be renewed (fresh snapshots) */
  resync?: string;
  /** sequence breaks of channels without a book (trades, tickers): counted, nothing to rebuild */
  lost?: string;
  /** the venue refused the subscription (bad credentials, unknown product): fatal */
  rejected?: string;
  kind: 'data' | 'heartbeat' | 'control' | 'ignored';
}

export interface FeedSession {
  handle(msg: Record<string, unknown>, recvUs: number): Handled;
  /** gap rows for every book of the session (connection lost or stale) at a receive time */
  gapRows(recvUs: number, reason: string): Row[];
  /** rows whose available_time had to be raised to event_time */
  clockSkewRows: number;
}

export interface FeedProtocol {
  venue: 'coinbase' | 'coinbase-intx';
  defaultUrl: string;
  /** channels a user may ask for (--channels) and the default set */
  channels: readonly string[];
  defaultChannels: readonly string[];
  /** messages sent after each connect */
  subscribe(productIds: string[], channels: string[], env: NodeJS.ProcessEnv): Array<Record<string, unknown>>;
  /** per-connection state (sequence numbers); products maps the venue id -> perpkit symbol */
  session(products: Map<string, string>, channels: string[]): FeedSession;
}

const isoUs = (s: unknown): number | null => {
  if (typeof s !== 'string') return null;
  // Date.parse keeps milliseconds; the digits after them are added back (Coinbase sends ns).
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(s);
  if (!m) return null;
  const secs = Date.parse(`${m[1]}${m[3]}`);
  if (!Number.isFinite(secs)) return null;
  const frac = (m[2] ?? '').padEnd(6, '0').slice(0, 6);
  return secs * 1000 + Number(frac);
};
export { isoUs as isoToMicrosPrecise };

const n = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

class Stamper {
  clockSkewRows = 0;
  times(eventUs: number | null, recvUs: number): { event_time: number; available_time: number } {
    const ev = eventUs ?? recvUs;
    if (recvUs >= ev) return { event_time: ev, available_time: recvUs };
    this.clockSkewRows++;
    return { event_time: ev, available_time: ev };
  }
}

function gapRow(venue: string, symbol: string, source: string, recvUs: number, updateId: number | null, expected: number | null): Row {
  return {
    venue,
    symbol,
    event_time: recvUs,
    available_time: recvUs,
    source,
    ingest_time: recvUs,
    update_type: 'gap',
    side: null,
    price: null,
    size: null,
    update_id: updateId,
    first_update_id: expected,
  };
}

/**
 * Coinbase Advanced Trade market data (wss://advanced-trade-ws.coinbase.com, public): channels
 * ticker -> quotes, level2 (messages on l2_data) -> book, market_trades -> trades, and heartbeats
 * (always subscribed: it keeps quiet subscriptions open and is the liveness signal). One
 * subscribe message per channel. sequence_num counts every message of the connection: a jump
 * means a lost message of unknown channel, so every book of the connection gets a gap row and the
 * connection is renewed for fresh level2 snapshots.
 */
export const coinbaseAdvancedTrade: FeedProtocol = {
  venue: 'coinbase',
  defaultUrl: 'wss://advanced-trade-ws.coinbase.com',
  channels: ['ticker', 'level2', 'market_trades', 'heartbeats'],
  defaultChannels: ['ticker', 'level2', 'market_trades'],
  subscribe(productIds, channels) {
    const all = [...new Set([...channels, 'heartbeats'])];
    return all.map((channel) => ({ type: 'subscribe', product_ids: productIds, channel }));
  },
  session(products, channels) {
    const st = new Stamper();
    let last: number | null = null;
    const books = channels.includes('level2') ? [...products.values()] : [];
    const src = (c: string): string => `coinbase-ws:${c}`;
    const sym = (id: unknown): string | null => (typeof id === 'string' ? (products.get(id) ?? null) : null);
    const gapRows = (recv: number, _reason: string, seq: number | null = null, expected: number | null = null): Row[] =>
      books.map((s) => gapRow('coinbase', s, src('level2'), recv, seq, expected));
    return {
      get clockSkewRows() {
        return st.clockSkewRows;
      },
      gapRows: (recv, reason) => gapRows(recv, reason),
      handle(msg, recv) {
        const channel = msg['channel'];
        const seq = typeof msg['sequence_num'] === 'number' ? msg['sequence_num'] : null;
        const rows: RecRows = {};
        let resync: string | undefined;
        if (seq !== null) {
          if (last !== null && seq !== last + 1) {
            resync = `sequence_num jumped from ${last} to ${seq}`;
            rows.book = gapRows(recv, resync, seq, last + 1);
          }
          last = seq;
        }
        if (msg['type'] === 'error') return { rows, rejected: String(msg['message'] ?? 'error'), kind: 'control' };
        const stamp = isoUs(msg['timestamp']);
        const events = Array.isArray(msg['events']) ? (msg['events'] as Array<Record<string, unknown>>) : [];
        const withResync = (h: Handled): Handled => (resync ? { ...h, resync } : h);
        switch (channel) {
          case 'heartbeats':
            return withResync({ rows, kind: 'heartbeat' });
          case 'subscriptions':
            return withResync({ rows, kind: 'control' });
          case 'ticker':
          case 'ticker_batch': {
            const q: Row[] = [];
            for (const e of events) {
              for (const t of (e['tickers'] as Array<Record<string, unknown>> | undefined) ?? []) {
                const s = sym(t['product_id']);
                if (!s) continue;
                const bid = t['best_bid'] === undefined || t['best_bid'] === '' ? null : n(t['best_bid']);
                const ask = t['best_ask'] === undefined || t['best_ask'] === '' ? null : n(t['best_ask']);
                q.push({
                  venue: 'coinbase',
                  symbol: s,
                  ...st.times(stamp, recv),
                  source: src(String(channel)),
                  ingest_time: recv,
                  update_id: seq,
                  bid_price: bid,
                  bid_size: bid === null ? null : n(t['best_bid_quantity']),
                  ask_price: ask,
                  ask_size: ask === null ? null : n(t['best_ask_quantity']),
                });
              }
            }
            rows.quotes = q;
            return withResync({ rows, kind: 'data' });
          }
          case 'market_trades': {
            const out: Row[] = [];
            for (const e of events) {
              for (const t of (e['trades'] as Array<Record<string, unknown>> | undefined) ?? []) {
                const s = sym(t['product_id']);
                if (!s) continue;
                out.push({
                  venue: 'coinbase',
                  symbol: s,
                  ...st.times(isoUs(t['time']) ?? stamp, recv),
                  source: src('market_trades'),
                  ingest_time: recv,
                  trade_id: String(t['trade_id']),
                  price: n(t['price']),
                  size: n(t['size']),
                  // taken as the aggressor side, like the REST trades of the fetch adapter
                  side: t['side'] === 'BUY' ? 'buy' : t['side'] === 'SELL' ? 'sell' : null,
                });
              }
            }
            rows.trades = out;
            return withResync({ rows, kind: 'data' });
          }
          case 'l2_data': {
            const out: Row[] = rows.book ?? [];
            for (const e of events) {
              const s = sym(e['product_id']);
              if (!s) continue;
              const snapshot = e['type'] === 'snapshot';
              for (const u of (e['updates'] as Array<Record<string, unknown>> | undefined) ?? []) {
                const ut = isoUs(u['event_time']);
                out.push({
                  venue: 'coinbase',
                  symbol: s,
                  // snapshot levels carry event_time 1970-01-01: the message time is their time
                  ...st.times(snapshot || ut === null || ut <= 0 ? stamp : ut, recv),
                  source: src('level2'),
                  ingest_time: recv,
                  update_type: snapshot ? 'snapshot' : 'diff',
                  side: u['side'] === 'bid' ? 'bid' : 'ask',
                  price: n(u['price_level']),
                  size: n(u['new_quantity']),
                  update_id: seq,
                  first_update_id: null,
                });
              }
            }
            rows.book = out;
            return withResync({ rows, kind: 'data' });
          }
          default:
            return withResync({ rows, kind: 'ignored' });
        }
      },
    };
  },
};

/**
 * Coinbase International Exchange market data (wss://ws-md.international.coinbase.com): LEVEL1 ->
 * quotes, LEVEL2 -> book, MATCH -> trades, FUNDING -> derivative_ticker (predicted, is_final false)
 * or funding (settled, is_final true), RISK -> derivative_ticker (mark, index, open interest).
 * Subscriptions are signed with the API key from the environment (COINBASE_INTX_API_KEY,
 * COINBASE_INTX_API_SECRET, COINBASE_INTX_PASSPHRASE). `sequence` counts per channel and product;
 * a jump in LEVEL2 is a book gap (gap row, fresh connection); elsewhere it is counted as lost.
 */
export const coinbaseInternational: FeedProtocol = {
  venue: 'coinbase-intx',
  defaultUrl: 'wss://ws-md.international.coinbase.com',
  channels: ['LEVEL1', 'LEVEL2', 'MATCH', 'FUNDING', 'RISK'],
  defaultChannels: ['LEVEL1', 'LEVEL2', 'MATCH', 'FUNDING', 'RISK'],
  subscribe(productIds, channels, env) {
    const key = env['COINBASE_INTX_API_KEY'] ?? '';
    const secret = env['COINBASE_INTX_API_SECRET'] ?? '';
    const passphrase = env['COINBASE_INTX_PASSPHRASE'] ?? '';
    const time = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', Buffer.from(secret, 'base64')).update(`${time}${key}CBINTLMD${passphrase}`).digest('base64');
    return [{ type: 'SUBSCRIBE', product_ids: productIds, channels, time, key, passphrase, signature }];
  },
  session(products, channels) {
    const st = new Stamper();
    const last = new Map<string, number>();
    const books = channels.includes('LEVEL2') ? [...products.values()] : [];
    const src = (c: string): string => `coinbase-intx-ws:${c}`;
    return {
      get clockSkewRows() {
        return st.clockSkewRows;
      },
      gapRows: (recv) => books.map((s) => gapRow('coinbase-intx', s, src('LEVEL2'), recv, null, null)),
      handle(msg, recv) {
        const channel = String(msg['channel'] ?? '');
        const type = msg['type'];
        if (type === 'REJECT') return { rows: {}, rejected: `${String(msg['message'] ?? 'rejected')}: ${String(msg['reason'] ?? '')}`, kind: 'control' };
        if (channel === 'SUBSCRIPTIONS') return { rows: {}, kind: 'control' };
        if (channel === 'HEARTBEAT' || channel === 'HEARTBEATS') return { rows: {}, kind: 'heartbeat' };
        const s = typeof msg['product_id'] === 'string' ? products.get(msg['product_id']) : undefined;
        if (!s) return { rows: {}, kind: 'ignored' };
        const seq = typeof msg['sequence'] === 'number' ? msg['sequence'] : null;
        const rows: RecRows = {};
        let resync: string | undefined;
        let lost: string | undefined;
        const k = `${channel}/${s}`;
        if (seq !== null) {
          const prev = last.get(k);
          if (type !== 'SNAPSHOT' && prev !== undefined && seq !== prev + 1) {
            const why = `${channel} ${s}: sequence jumped from ${prev} to ${seq}`;
            if (channel === 'LEVEL2') {
              resync = why;
              rows.book = [gapRow('coinbase-intx', s, src('LEVEL2'), recv, seq, prev + 1)];
            } else lost = why;
          }
          last.set(k, seq);
        }
        const base = { venue: 'coinbase-intx', symbol: s, ...st.times(isoUs(msg['time']), recv), source: src(channel), ingest_time: recv };
        const extra = { ...(resync ? { resync } : {}), ...(lost ? { lost } : {}) };
        switch (channel) {
          case 'LEVEL1': {
            const bid = msg['bid_price'] ? n(msg['bid_price']) : null;
            const ask = msg['ask_price'] ? n(msg['ask_price']) : null;
            rows.quotes = [
              {
                ...base,
                update_id: seq,
                bid_price: bid,
                bid_size: bid === null ? null : n(msg['bid_qty']),
                ask_price: ask,
                ask_size: ask === null ? null : n(msg['ask_qty']),
              },
            ];
            return { rows, kind: 'data', ...extra };
          }
          case 'LEVEL2': {
            const out: Row[] = rows.book ?? [];
            const common = { ...base, update_id: seq, first_update_id: null };
            if (type === 'SNAPSHOT') {
              for (const [side, key] of [['bid', 'bids'], ['ask', 'asks']] as const) {
                for (const l of (msg[key] as string[][] | undefined) ?? []) {
                  out.push({ ...common, update_type: 'snapshot', side, price: n(l[0]), size: n(l[1]) });
                }
              }
            } else {
              for (const c of (msg['changes'] as string[][] | undefined) ?? []) {
                out.push({ ...common, update_type: 'diff', side: c[0] === 'BUY' ? 'bid' : 'ask', price: n(c[1]), size: n(c[2]) });
              }
            }
            rows.book = out;
            return { rows, kind: 'data', ...extra };
          }
          case 'MATCH':
            rows.trades = [
              {
                ...base,
                trade_id: String(msg['match_id']),
                price: n(msg['trade_price']),
                size: n(msg['trade_qty']),
                side: msg['aggressor_side'] === 'BUY' ? 'buy' : msg['aggressor_side'] === 'SELL' ? 'sell' : null,
              },
            ];
            return { rows, kind: 'data', ...extra };
          case 'FUNDING':
            if (msg['is_final'] === true) {
              rows.funding = [{ ...base, funding_rate: n(msg['funding_rate']), funding_interval_hours: 1, mark_price: null }];
            } else {
              rows.derivative_ticker = [
                {
                  ...base,
                  last_price: null,
                  mark_price: null,
                  index_price: null,
                  predicted_funding_rate: n(msg['funding_rate']),
                  next_funding_time: null,
                  open_interest: null,
                },
              ];
            }
            return { rows, kind: 'data', ...extra };
          case 'RISK': {
            const opt = (v: unknown): number | null => (v === undefined || v === null || v === '' ? null : n(v));
            rows.derivative_ticker = [
              {
                ...base,
                last_price: null,
                mark_price: opt(msg['mark_price']),
                index_price: opt(msg['index_price']),
                predicted_funding_rate: null,
                next_funding_time: null,
                // INTX perps have a base multiplier of 1: open interest is in base units
                open_interest: opt(msg['open_interest']),
              },
            ];
            return { rows, kind: 'data', ...extra };
          }
          default:
            return { rows, kind: 'ignored', ...extra };
        }
      },
    };
  },
};

export const FEEDS = { coinbase: coinbaseAdvancedTrade, 'coinbase-intx': coinbaseInternational } as const;
export type FeedVenue = keyof typeof FEEDS;
