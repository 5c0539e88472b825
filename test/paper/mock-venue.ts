import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';

/**
 * A local Coinbase Advanced Trade venue for the paper tests: the real market_trades messages of
 * the fixtures (test/fixtures/coinbase-ws/advanced-trade/http_ticker.json: product, sizes, sides,
 * field names and string types as recorded) replayed at speed, one trade per period, each with the
 * time of a fast clock (so bars close on it), its price moved by a seeded walk from the real price
 * (so a signal trades), a venue-wide trade id, sequence_num per connection, heartbeats. Scripted
 * trouble: connection 0 is dropped after `dropAfter` trades; on connection 1 the sequence skips at
 * trade `skipAt` (lost messages); trades with a global index in `silence` are not sent (a data gap).
 */

const here = dirname(fileURLToPath(import.meta.url));
const ticker = JSON.parse(readFileSync(join(here, '..', 'fixtures', 'coinbase-ws', 'advanced-trade', 'http_ticker.json'), 'utf8')) as {
  trades: Array<Record<string, string>>;
};
export const REAL = ticker.trades.map(({ bid: _b, ask: _a, exchange: _e, ...t }) => t);

/** the test clock: T0 at real R0, `speed` x real time (µs) */
export interface FastClock {
  r0: number;
  t0: number;
  speed: number;
}

export function fastNow(c: FastClock): number {
  return Math.round(c.t0 + (performance.timeOrigin + performance.now() - c.r0) * 1000 * c.speed);
}

export function clockEnv(c: FastClock): string {
  return `${c.r0},${c.t0},${c.speed}`;
}

export interface MockVenue {
  url: string;
  /** trades sent (global count) */
  sent: number;
  connections: number;
  close(): Promise<void>;
}

export async function startVenue(o: { clock: FastClock; periodMs: number; dropAfter: number; skipAt: number; silence: [number, number] }): Promise<MockVenue> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as { port: number }).port;
  const state: MockVenue = { url: `ws://127.0.0.1:${port}`, sent: 0, connections: 0, close: async () => undefined };
  const timers = new Set<NodeJS.Timeout>();
  let index = 0;
  let walk = 0;
  let seed = 12345;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  wss.on('connection', (ws: WebSocket) => {
    const conn = state.connections++;
    let seq = 0;
    let started = false;
    let onConn = 0;
    const send = (m: Record<string, unknown>): void => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ ...m, sequence_num: seq++ }));
    };
    const iso = (us: number): string => new Date(Math.floor(us / 1000)).toISOString().replace('Z', `${String(us % 1000).padStart(3, '0')}Z`);
    const loop = (): void => {
      if (ws.readyState !== ws.OPEN) return;
      const i = index++;
      walk += (rnd() - 0.5) * 40;
      if (!(i >= o.silence[0] && i < o.silence[1])) {
        const base = REAL[i % REAL.length]!;
        const now = fastNow(o.clock) - 1000;
        const price = (Number(base['price']) + walk).toFixed(2);
        if (conn === 1 && onConn === o.skipAt) seq += 5;
        send({ channel: 'market_trades', client_id: '', timestamp: iso(now), events: [{ type: 'update', trades: [{ ...base, trade_id: String(5_000_000 + i), price, time: iso(now) }] }] });
        state.sent++;
        onConn++;
        if (conn === 0 && onConn >= o.dropAfter) {
          ws.terminate();
          return;
        }
      }
      if (i % 10 === 0) send({ channel: 'heartbeats', client_id: '', timestamp: new Date().toISOString(), events: [{ current_time: new Date().toISOString(), heartbeat_counter: seq }] });
      const t = setTimeout(loop, o.periodMs);
      timers.add(t);
    };
    ws.on('message', () => {
      if (started) return;
      started = true;
      send({ channel: 'subscriptions', client_id: '', timestamp: new Date().toISOString(), events: [{ subscriptions: {} }] });
      const t = setTimeout(loop, 20);
      timers.add(t);
    });
  });
  state.close = async () => {
    for (const t of timers) clearTimeout(t);
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  };
  return state;
}
