import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/domain/datasets.js';
import { systemClock, type ServiceContext } from '../../src/domain/context.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { record, type RecordOptions, type RecordResult } from '../../src/services/record.js';
import { isoToMicrosPrecise } from '../../src/sources/ws/protocol.js';
import { monotonicClock } from '../../src/sources/ws/connection.js';
import { tempDir, testContext } from '../helpers.js';
import { at, intx, startMockWs, type Step } from './mock-ws.js';

async function liveContext(): Promise<{ ctx: ServiceContext; abort: AbortController }> {
  const base = await testContext();
  const abort = new AbortController();
  return { ctx: { ...base, clock: systemClock, signal: abort.signal }, abort };
}

async function rows(ctx: ServiceContext, root: string, dataset: keyof typeof DATASETS, order = 'available_time'): Promise<Array<Record<string, unknown>>> {
  const files = await datasetFiles(root, DATASETS[dataset]);
  if (files.length === 0) return [];
  return ctx.db.all(
    `SELECT * EXCLUDE (event_time, available_time), epoch_us(event_time) AS event_time, epoch_us(available_time) AS available_time
     FROM ${SCAN_SQL} ORDER BY ${order}`,
    { files: listOf(files) },
  ).then((rs) =>
    rs.map((r) => {
      for (const k of ['event_time', 'available_time', 'update_id', 'first_update_id']) if (r[k] !== null && r[k] !== undefined) r[k] = Number(r[k]);
      return r;
    }),
  );
}

const INTX_ENV = { COINBASE_INTX_API_KEY: 'k', COINBASE_INTX_API_SECRET: 'c2VjcmV0', COINBASE_INTX_PASSPHRASE: 'p' };

/** Runs the recorder until `until` holds (or the deadline), then stops it like a signal does. */
async function runUntil(
  opts: Omit<RecordOptions, 'root'>,
  until: (seen: { root: string; clockReads: number }) => boolean,
  deadlineMs = 15_000,
): Promise<{ r: RecordResult; root: string; ctx: ServiceContext }> {
  const root = tempDir();
  const { ctx, abort } = await liveContext();
  // The recorder reads its receive clock once per frame received and once per closed connection:
  // counting the reads tells a test when frames the mock sent have really arrived.
  const base = monotonicClock();
  let clockReads = 0;
  const clock = { nowUs: (): number => (clockReads++, base.nowUs()) };
  const p = record({ flush_ms: 200, backoff_base_ms: 50, backoff_max_ms: 200, clock, ...opts, root }, ctx);
  const t0 = Date.now();
  while (!until({ root, clockReads }) && Date.now() - t0 < deadlineMs) await new Promise((res) => setTimeout(res, 50));
  abort.abort(new Error('test stop'));
  return { r: await p, root, ctx };
}

describe('record: replay of real messages', () => {
  it('Coinbase Advanced Trade: rows equal the replayed messages, venue times kept, receive times monotone', async () => {
    const script = (): Step[] => [{ send: at.l2Snapshot() }, { send: at.ticker() }, { send: at.trades() }, { send: at.l2Update() }];
    const mock = await startMockWs({ venue: 'coinbase', script, subscribes: 4 });
    try {
      const { r, root, ctx } = await runUntil(
        { venue: 'coinbase', symbols: ['BTC-USD'], channels: ['ticker', 'level2', 'market_trades'], url: mock.url },
        ({ clockReads }) => (mock.sent[0]?.length ?? 0) >= 6 && clockReads >= (mock.sent[0]?.length ?? 0),
      );
      // one subscribe per channel, heartbeats added
      expect(mock.subscriptions[0]?.map((s) => s['channel']).sort()).toEqual(['heartbeats', 'level2', 'market_trades', 'ticker']);
      expect(r.malformed).toBe(0);
      expect(r.gaps).toEqual([]);
      const trades = await rows(ctx, root, 'trades', 'trade_id');
      const sent = (at.trades()['events'] as Array<{ trades: Array<Record<string, string>> }>)[0]!.trades;
      expect(trades.map((t) => t['trade_id'])).toEqual(sent.map((t) => t['trade_id']).sort());
      for (const t of trades) {
        const s = sent.find((x) => x['trade_id'] === t['trade_id'])!;
        expect(t).toMatchObject({ venue: 'coinbase', symbol: 'BTC-USD', price: Number(s['price']), size: Number(s['size']), side: s['side']!.toLowerCase() });
        expect(t['event_time']).toBe(isoToMicrosPrecise(s['time']));
        expect(Number(t['available_time'])).toBeGreaterThan(Number(t['event_time']));
      }
      const book = await rows(ctx, root, 'book', 'update_id, side, price');
      const snap = book.filter((b) => b['update_type'] === 'snapshot');
      expect(snap).toHaveLength(10);
      expect(snap.every((b) => b['event_time'] === isoToMicrosPrecise(at.time))).toBe(true);
      const diff = book.filter((b) => b['update_type'] === 'diff');
      expect(diff).toEqual([expect.objectContaining({ side: 'ask', size: 0, price: 68923.67, event_time: isoToMicrosPrecise('2026-04-07T00:28:59.699123Z') })]);
      const quotes = await rows(ctx, root, 'quotes');
      expect(quotes).toEqual([expect.objectContaining({ bid_price: 68923.66, bid_size: 0.17189468, ask_price: 68923.67, ask_size: 0.16987193 })]);
      // receive times follow the venue's sequence numbers of the connection
      const bySeq = [...book, ...quotes].sort((a, b) => Number(a['update_id']) - Number(b['update_id']));
      for (let i = 1; i < bySeq.length; i++) expect(Number(bySeq[i]!['available_time'])).toBeGreaterThanOrEqual(Number(bySeq[i - 1]!['available_time']));
      expect(new Set(bySeq.map((b) => b['available_time'])).size).toBe(new Set(bySeq.map((b) => b['update_id'])).size);
    } finally {
      await mock.close();
    }
  });

  it('Coinbase International: LEVEL2 snapshot + update, MATCH and LEVEL1 as recorded', async () => {
    const script = (): Step[] => [{ send: intx.snapshot() }, { send: intx.update() }, { send: intx.match() }, { send: intx.quote() }];
    const mock = await startMockWs({ venue: 'coinbase-intx', script });
    try {
      const { r, root, ctx } = await runUntil(
        { venue: 'coinbase-intx', symbols: ['BTC-PERP'], channels: ['LEVEL1', 'LEVEL2', 'MATCH'], url: mock.url, env: INTX_ENV },
        ({ clockReads }) => (mock.sent[0]?.length ?? 0) >= 4 && clockReads >= (mock.sent[0]?.length ?? 0),
      );
      const sub = mock.subscriptions[0]?.[0] as Record<string, unknown>;
      expect(sub).toMatchObject({ type: 'SUBSCRIBE', product_ids: ['BTC-PERP'], channels: ['LEVEL1', 'LEVEL2', 'MATCH'], key: 'k', passphrase: 'p' });
      expect(typeof sub['signature']).toBe('string');
      expect(r.data_messages).toBe(4);
      const snapMsg = intx.snapshot() as { bids: string[][]; asks: string[][]; time: string };
      const book = await rows(ctx, root, 'book');
      expect(book.filter((b) => b['update_type'] === 'snapshot')).toHaveLength(snapMsg.bids.length + snapMsg.asks.length);
      expect(book.filter((b) => b['update_type'] === 'diff').map((b) => [b['side'], b['price'], b['size']])).toEqual([
        ['bid', 84296.2, 0],
        ['bid', 84296.3, 0.1779],
      ]);
      const trades = await rows(ctx, root, 'trades');
      expect(trades).toEqual([
        expect.objectContaining({ trade_id: '423596942694547460', price: 84374, size: 0.0213, side: 'buy', event_time: isoToMicrosPrecise('2025-03-14T23:03:01.189Z') }),
      ]);
      expect(await rows(ctx, root, 'quotes')).toEqual([expect.objectContaining({ bid_price: 84368.5, bid_size: 2.608, ask_price: 84368.6, ask_size: 2.9453 })]);
    } finally {
      await mock.close();
    }
  });
});

describe('record: the real world', () => {
  it('reconnects after a drop and a stall, writes gap rows, no duplicate trades after resubscribe', async () => {
    const script = (conn: number): Step[] => {
      if (conn === 0) return [{ send: at.l2Snapshot() }, { send: at.trades([1, 2, 3, 4, 5]) }, { drop: true }];
      if (conn === 1) return [{ send: at.l2Snapshot() }, { send: at.trades([3, 4, 5, 6, 7, 8]) }, { stall: true }];
      return [{ send: at.l2Snapshot() }, { send: at.trades([8, 9]) }];
    };
    const mock = await startMockWs({ venue: 'coinbase', script, subscribes: 3 });
    try {
      const { r, root, ctx } = await runUntil(
        { venue: 'coinbase', symbols: ['BTC-USD'], channels: ['level2', 'market_trades'], url: mock.url, stale_ms: 600 },
        // all frames of the third connection sent, and every frame sent so far (plus the two
        // closed connections) received
        ({ clockReads }) => (mock.sent[2]?.length ?? 0) >= 4 && clockReads >= mock.sent.reduce((a, x) => a + x.length, 0) + 2,
      );
      expect(r.connects).toBeGreaterThanOrEqual(3);
      expect(r.reconnects.map((x) => x.reason).slice(0, 2)).toEqual(['closed by peer', 'stale']);
      const trades = await rows(ctx, root, 'trades', 'trade_id');
      expect(trades.map((t) => Number(t['trade_id']) - 1_000_000)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(r.duplicate_trades).toBe(4);
      const book = await rows(ctx, root, 'book');
      const gaps = book.filter((b) => b['update_type'] === 'gap');
      expect(gaps.length).toBeGreaterThanOrEqual(2);
      expect(gaps.every((g) => g['symbol'] === 'BTC-USD' && g['price'] === null)).toBe(true);
      // each gap is followed by a fresh snapshot
      const snaps = book.filter((b) => b['update_type'] === 'snapshot').map((b) => Number(b['available_time']));
      for (const g of gaps) expect(snaps.some((s) => s > Number(g['available_time']))).toBe(true);
    } finally {
      await mock.close();
    }
  });

  it('a skipped sequence number is a gap: gap row, resync from a fresh snapshot; a malformed frame is counted, not fatal', async () => {
    const script = (conn: number): Step[] =>
      conn === 0
        ? [{ send: at.l2Snapshot() }, { raw: '{"channel": "l2_data", "events": [' }, { skipSeq: 3 }, { send: at.l2Update() }, { stall: true }]
        : [{ send: at.l2Snapshot() }];
    const mock = await startMockWs({ venue: 'coinbase', script, subscribes: 2 });
    try {
      const { r, root, ctx } = await runUntil(
        { venue: 'coinbase', symbols: ['BTC-USD'], channels: ['level2'], url: mock.url },
        // the raw malformed frame is not in `sent`; the resync closes one connection
        ({ clockReads }) => (mock.sent[1]?.length ?? 0) >= 2 && clockReads >= mock.sent.reduce((a, x) => a + x.length, 0) + 2,
      );
      expect(r.malformed).toBe(1);
      expect(r.gaps).toHaveLength(1);
      expect(r.gaps[0]?.reason).toBe('sequence_num jumped from 1 to 5');
      expect(r.reconnects[0]?.reason).toBe('resync');
      const book = await rows(ctx, root, 'book');
      const gap = book.filter((b) => b['update_type'] === 'gap');
      expect(gap).toEqual([expect.objectContaining({ update_id: 5, first_update_id: 2 })]);
      expect(book.filter((b) => b['update_type'] === 'snapshot' && Number(b['available_time']) > Number(gap[0]!['available_time']))).toHaveLength(10);
    } finally {
      await mock.close();
    }
  });

  it('memory stays bounded under a flood: the socket is paused, nothing is dropped', async () => {
    const N = 20_000;
    let doneAt = 0;
    const mock = await startMockWs({
      venue: 'coinbase',
      subscribes: 2,
      script: () => [{ flood: { count: N, make: (i) => at.trades([i]) } }],
    });
    try {
      const { r, root, ctx } = await runUntil(
        { venue: 'coinbase', symbols: ['BTC-USD'], channels: ['market_trades'], url: mock.url, flush_rows: 2_000, max_buffer_rows: 4_000, flush_ms: 60_000 },
        () => {
          if (mock.flooded >= N && doneAt === 0) doneAt = Date.now();
          return doneAt > 0 && Date.now() - doneAt > 1_500;
        },
        60_000,
      );
      expect(r.backpressure_pauses).toBeGreaterThan(0);
      // the bound plus what one socket read had already decoded when the socket was paused
      expect(r.max_buffered_rows).toBeLessThanOrEqual(4_000 + 1_000);
      const trades = await rows(ctx, root, 'trades', 'trade_id');
      expect(trades.length).toBe(r.rows.trades);
      // every trade received is stored, in order, without holes
      const ids = trades.map((t) => Number(t['trade_id']) - 1_000_000);
      expect(ids[0]).toBe(0);
      expect(ids[ids.length - 1]).toBe(ids.length - 1);
      expect(ids.length).toBeGreaterThan(3 * 4_000);
    } finally {
      await mock.close();
    }
  });
});
