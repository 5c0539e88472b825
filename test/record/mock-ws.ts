import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';

// Not from ../helpers.js: that module needs a vitest worker, and the benchmark uses this server too.
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/**
 * A local WebSocket venue on 127.0.0.1 for the recorder tests. Each connection plays a script
 * of steps: real recorded messages (test/fixtures/coinbase-ws), a dropped connection, a stall (the
 * socket stays open, nothing is sent: no heartbeat), a skipped sequence number, a malformed frame,
 * or a flood of trade messages sent as fast as the socket drains. Sequence numbers are stamped by
 * the server like the venue does (Advanced Trade: sequence_num per connection; International:
 * `sequence` per channel and product, restarting at the snapshot).
 */

export type Step =
  | { send: Record<string, unknown> }
  | { raw: string }
  | { drop: true }
  | { stall: true }
  | { skipSeq: number }
  | { wait: number }
  | { flood: { count: number; make: (i: number) => Record<string, unknown> } };

export interface MockWs {
  url: string;
  /** subscribe messages received, per connection */
  subscriptions: Array<Array<Record<string, unknown>>>;
  /** messages sent (objects, sequence stamped), per connection */
  sent: Array<Array<Record<string, unknown>>>;
  /** frames sent by the flood step */
  flooded: number;
  close(): Promise<void>;
}

export async function startMockWs(opts: {
  venue: 'coinbase' | 'coinbase-intx';
  /** script of the n-th connection (0-based); after its steps the connection sends heartbeats (AT) or idles */
  script: (conn: number) => Step[];
  /** subscribe frames to wait for before playing (AT: one per channel) */
  subscribes?: number;
  heartbeatMs?: number;
}): Promise<MockWs> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const port = (wss.address() as { port: number }).port;
  const state: MockWs = { url: `ws://127.0.0.1:${port}`, subscriptions: [], sent: [], flooded: 0, close: async () => undefined };
  const timers = new Set<NodeJS.Timeout>();
  let conns = 0;
  wss.on('connection', (ws: WebSocket) => {
    const id = conns++;
    const subs: Array<Record<string, unknown>> = [];
    const sent: Array<Record<string, unknown>> = [];
    state.subscriptions.push(subs);
    state.sent.push(sent);
    let seq = 0;
    const perKey = new Map<string, number>();
    let closed = false;
    let stalled = false;
    ws.on('close', () => (closed = true));
    const stamp = (m: Record<string, unknown>): Record<string, unknown> => {
      if (opts.venue === 'coinbase') return { ...m, sequence_num: seq++ };
      if (m['sequence'] === undefined || m['channel'] === 'SUBSCRIPTIONS') return m;
      const k = `${String(m['channel'])}/${String(m['product_id'])}`;
      const next = m['type'] === 'SNAPSHOT' ? 0 : (perKey.get(k) ?? -1) + 1;
      perKey.set(k, next);
      return { ...m, sequence: next };
    };
    const send = (m: Record<string, unknown>): void => {
      const s = stamp(m);
      sent.push(s);
      ws.send(JSON.stringify(s));
    };
    const heartbeat = (): void => {
      if (closed || stalled) return;
      if (opts.venue === 'coinbase') {
        send({ channel: 'heartbeats', client_id: '', timestamp: new Date().toISOString(), events: [{ current_time: new Date().toISOString(), heartbeat_counter: seq }] });
      }
      const t = setTimeout(heartbeat, opts.heartbeatMs ?? 200);
      timers.add(t);
    };
    const play = async (): Promise<void> => {
      for (const step of opts.script(id)) {
        if (closed) return;
        if ('send' in step) send(step.send);
        else if ('raw' in step) ws.send(step.raw);
        else if ('skipSeq' in step) {
          seq += step.skipSeq;
          for (const [k, v] of perKey) perKey.set(k, v + step.skipSeq);
        } else if ('wait' in step) await new Promise((r) => setTimeout(r, step.wait));
        else if ('drop' in step) {
          ws.terminate();
          return;
        } else if ('stall' in step) {
          stalled = true;
          return;
        } else if ('flood' in step) {
          for (let i = 0; i < step.flood.count && !closed; i++) {
            send(step.flood.make(i));
            state.flooded++;
            // Respect the socket: wait while a lot is queued (the recorder may be applying backpressure).
            while (ws.bufferedAmount > 1 << 20 && !closed) await new Promise((r) => setImmediate(r));
            if (i % 200 === 0) await new Promise((r) => setImmediate(r));
          }
        }
      }
      heartbeat();
    };
    ws.on('message', (data) => {
      try {
        subs.push(JSON.parse(data.toString()) as Record<string, unknown>);
      } catch {
        subs.push({ unparsable: data.toString() });
      }
      if (subs.length === (opts.subscribes ?? 1)) {
        if (opts.venue === 'coinbase') send({ channel: 'subscriptions', client_id: '', timestamp: new Date().toISOString(), events: [{ subscriptions: {} }] });
        void play();
      }
    });
  });
  state.close = async () => {
    for (const t of timers) clearTimeout(t);
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
  return state;
}

// ---- real messages of the fixtures ----

const WS = join(FIXTURES, 'coinbase-ws');
const json = (p: string): Record<string, unknown> => JSON.parse(readFileSync(join(WS, p), 'utf8')) as Record<string, unknown>;

/** Coinbase International WebSocket captures (nautilus_trader test data), as recorded. */
export const intx = {
  snapshot: (): Record<string, unknown> => json('international/ws_book_snapshot.json'),
  update: (): Record<string, unknown> => json('international/ws_book_update.json'),
  match: (): Record<string, unknown> => json('international/ws_match.json'),
  quote: (): Record<string, unknown> => json('international/ws_quote.json'),
};

/**
 * Advanced Trade messages: the real BTC-USD product book and market trades of the REST captures
 * (http_product_book.json, http_ticker.json: same values, field names and string types) in the
 * documented WebSocket envelopes (channel, timestamp, events) of l2_data, ticker and market_trades.
 */
const book = json('advanced-trade/http_product_book.json')['pricebook'] as {
  product_id: string;
  bids: Array<{ price: string; size: string }>;
  asks: Array<{ price: string; size: string }>;
  time: string;
};
const ticker = json('advanced-trade/http_ticker.json') as { trades: Array<Record<string, string>>; best_bid: string; best_ask: string };

export const at = {
  time: book.time,
  l2Snapshot: (): Record<string, unknown> => ({
    channel: 'l2_data',
    client_id: '',
    timestamp: book.time,
    events: [
      {
        type: 'snapshot',
        product_id: book.product_id,
        updates: [
          ...book.bids.map((l) => ({ side: 'bid', event_time: '1970-01-01T00:00:00Z', price_level: l.price, new_quantity: l.size })),
          ...book.asks.map((l) => ({ side: 'offer', event_time: '1970-01-01T00:00:00Z', price_level: l.price, new_quantity: l.size })),
        ],
      },
    ],
  }),
  /** an update removing the best ask level of the snapshot (as the next trade at that price would) */
  l2Update: (): Record<string, unknown> => ({
    channel: 'l2_data',
    client_id: '',
    timestamp: '2026-04-07T00:28:59.700001Z',
    events: [
      { type: 'update', product_id: book.product_id, updates: [{ side: 'offer', event_time: '2026-04-07T00:28:59.699123Z', price_level: book.asks[0]?.price, new_quantity: '0' }] },
    ],
  }),
  ticker: (): Record<string, unknown> => ({
    channel: 'ticker',
    client_id: '',
    timestamp: book.time,
    events: [
      {
        type: 'snapshot',
        tickers: [
          {
            type: 'ticker',
            product_id: book.product_id,
            price: ticker.trades[0]?.['price'],
            best_bid: book.bids[0]?.price,
            best_bid_quantity: book.bids[0]?.size,
            best_ask: book.asks[0]?.price,
            best_ask_quantity: book.asks[0]?.size,
          },
        ],
      },
    ],
  }),
  /** the real trades, or trade i derived from them (trade_id and time advanced by i) */
  trades: (ids?: number[]): Record<string, unknown> => {
    const real = ticker.trades.map(({ bid: _b, ask: _a, exchange: _e, ...t }) => t);
    const list =
      ids === undefined
        ? real
        : ids.map((i) => {
            const t = real[i % real.length] as Record<string, string>;
            const time = new Date(Date.parse('2026-04-07T00:28:58.544Z') + i).toISOString().replace('Z', '778Z');
            return { ...t, trade_id: String(1_000_000 + i), time };
          });
    return { channel: 'market_trades', client_id: '', timestamp: book.time, events: [{ type: ids === undefined ? 'snapshot' : 'update', trades: list }] };
  },
};
