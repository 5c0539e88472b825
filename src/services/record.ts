import type { ServiceContext } from '../domain/context.js';
import { RECORD_DEFAULTS } from '../domain/defaults.js';
import { DATASETS } from '../domain/datasets.js';
import { upstreamError, usageError } from '../domain/errors.js';
import { isSlug } from '../domain/datasets.js';
import { writeStaged, type WriteResult } from '../store/dataset.js';
import { monotonicClock, WsFeed, type ReceiveClock } from '../sources/ws/connection.js';
import { FEEDS, type FeedSession, type FeedVenue, type RecDataset, type RecRows } from '../sources/ws/protocol.js';
import { RowStage, type Row } from '../store/stage.js';

/**
 * `perpkit record`: WebSocket market data of Coinbase Advanced Trade or Coinbase International
 * into the raw datasets, every row stamped with its receive time (src/sources/ws/).
 *
 * Buffering: rows wait in memory until a flush, which is one atomic store write per dataset (a
 * time bound, flush_ms, and a size bound, flush_rows). Memory is bounded: past max_buffer_rows
 * the socket is no longer read (TCP backpressure on the venue) until the flush is done; nothing is
 * dropped. On abort (SIGINT/SIGTERM) the feed stops and everything received is flushed before
 * the service returns.
 */

/** Defaults of the recorder, in one place (README "Defaults"). */
export { RECORD_DEFAULTS };

/** Known Coinbase US perp-style futures: perpkit symbol -> product id (from the product list, "BTC PERP"). */
export const COINBASE_PERP_PRODUCTS: Record<string, string> = { 'BTC-PERP': 'BIP-20DEC30-CDE' };

export interface RecordOptions {
  root: string;
  venue: FeedVenue;
  /** perpkit symbols (BTC-PERP, BTC-USD) or base assets (BTC) */
  symbols: string[];
  channels?: string[];
  /** perpkit symbol -> venue product id, for perps not in COINBASE_PERP_PRODUCTS */
  symbol_map?: Record<string, string>;
  url?: string;
  stale_ms?: number;
  flush_ms?: number;
  flush_rows?: number;
  max_buffer_rows?: number;
  backoff_base_ms?: number;
  backoff_max_ms?: number;
  /** stop after this long (ms); default: until aborted */
  duration_ms?: number;
  env?: NodeJS.ProcessEnv;
  clock?: ReceiveClock;
  /** every row accepted for writing (after the duplicate-trade filter), as it is buffered (perpkit paper) */
  onRow?: (dataset: RecDataset, row: Row) => void;
  /** a reconnect, book gap or lost sequence (perpkit paper's data-health events) */
  onIncident?: (kind: 'reconnect' | 'gap' | 'lost', at: number, reason: string) => void;
  /** hands over a function that writes everything buffered now (perpkit paper flushes before closing a bar) */
  onReady?: (api: { flush: () => Promise<void> }) => void;
}

export interface RecordResult {
  venue: FeedVenue;
  url: string;
  data_dir: string;
  symbols: Array<{ symbol: string; product_id: string }>;
  channels: string[];
  stopped_by: 'signal' | 'duration';
  /** frames received (every frame, heartbeats included) */
  messages: number;
  data_messages: number;
  heartbeats: number;
  malformed: number;
  connects: number;
  reconnects: Array<{ at: number; reason: string }>;
  /** book sequence breaks (gap rows written, connection renewed) */
  gaps: Array<{ at: number; reason: string }>;
  /** sequence breaks of channels without a book (trades/tickers possibly missed) */
  lost: Array<{ at: number; reason: string }>;
  /** trades dropped because the same trade id was already recorded (re-sent after a resubscribe) */
  duplicate_trades: number;
  /** rows whose venue time was after our receive time (available_time raised to event_time) */
  clock_skew_rows: number;
  rows: Partial<Record<RecDataset, number>>;
  flushes: number;
  /** times the socket was paused because max_buffer_rows were buffered */
  backpressure_pauses: number;
  max_buffered_rows: number;
  writes: WriteResult[];
  elapsed_ms: number;
  /** sustained rate: messages / elapsed seconds */
  messages_per_s: number;
}

const DATASETS_REC: readonly RecDataset[] = ['trades', 'quotes', 'book', 'derivative_ticker', 'funding'];

/** Venue product ids of the requested symbols. */
export function resolveProducts(opts: Pick<RecordOptions, 'venue' | 'symbols' | 'symbol_map'>): Array<{ symbol: string; product_id: string }> {
  const out: Array<{ symbol: string; product_id: string }> = [];
  const add = (symbol: string, product_id: string): void => {
    if (!out.some((o) => o.symbol === symbol)) out.push({ symbol, product_id });
  };
  const map = { ...(opts.venue === 'coinbase' ? COINBASE_PERP_PRODUCTS : {}), ...(opts.symbol_map ?? {}) };
  for (const s of opts.symbols) {
    if (!isSlug(s)) throw usageError(`--symbols value ${JSON.stringify(s)} is not a valid symbol (letters, digits, - _ . only)`);
    const perp = /-PERP$/.test(s);
    const isBase = /^[A-Z0-9]+$/.test(s);
    if (opts.venue === 'coinbase') {
      if (isBase || perp) {
        const sym = isBase ? `${s}-PERP` : s;
        const id = map[sym];
        if (id) add(sym, id);
        else if (perp) {
          throw usageError(`coinbase: no product id known for ${sym}`, {
            hint: `give it with --symbol-map ${sym}=<product id> (the "${sym.replace('-PERP', '')} PERP" future of the product list, e.g. BIP-20DEC30-CDE for BTC)`,
          });
        }
      }
      // spot reference of a perp (BTC-USD) or a spot symbol given as is
      if (isBase) add(`${s}-USD`, `${s}-USD`);
      else if (!perp) add(s, map[s] ?? s);
    } else {
      if (isBase) add(`${s}-PERP`, `${s}-PERP`);
      else add(s, map[s] ?? s);
    }
  }
  return out;
}

export async function record(opts: RecordOptions, ctx: ServiceContext): Promise<RecordResult> {
  const started = ctx.clock.now();
  const feed = FEEDS[opts.venue];
  const channels = opts.channels && opts.channels.length ? opts.channels : [...feed.defaultChannels];
  for (const c of channels) {
    if (!feed.channels.includes(c)) {
      throw usageError(`--channels: ${opts.venue} has no channel ${JSON.stringify(c)}`, { hint: `channels of ${opts.venue}: ${feed.channels.join(', ')}` });
    }
  }
  const env = opts.env ?? process.env;
  if (opts.venue === 'coinbase-intx' && !(env['COINBASE_INTX_API_KEY'] && env['COINBASE_INTX_API_SECRET'] && env['COINBASE_INTX_PASSPHRASE'])) {
    throw usageError('coinbase-intx: the market data feed needs a signed subscription', {
      hint: 'set COINBASE_INTX_API_KEY, COINBASE_INTX_API_SECRET and COINBASE_INTX_PASSPHRASE in the environment (they are never logged or stored)',
    });
  }
  if (opts.symbols.length === 0) throw usageError('record needs --symbols (e.g. BTC, or BTC-PERP,BTC-USD)');
  const products = resolveProducts(opts);
  const productMap = new Map(products.map((p) => [p.product_id, p.symbol]));
  const cfg = {
    stale_ms: opts.stale_ms ?? RECORD_DEFAULTS.stale_ms,
    flush_ms: opts.flush_ms ?? RECORD_DEFAULTS.flush_ms,
    flush_rows: opts.flush_rows ?? RECORD_DEFAULTS.flush_rows,
    max_buffer_rows: opts.max_buffer_rows ?? RECORD_DEFAULTS.max_buffer_rows,
  };
  const url = opts.url ?? feed.defaultUrl;
  const clock = opts.clock ?? monotonicClock();

  const r: RecordResult = {
    venue: opts.venue,
    url,
    data_dir: opts.root,
    symbols: products,
    channels,
    stopped_by: 'signal',
    messages: 0,
    data_messages: 0,
    heartbeats: 0,
    malformed: 0,
    connects: 0,
    reconnects: [],
    gaps: [],
    lost: [],
    duplicate_trades: 0,
    clock_skew_rows: 0,
    rows: {},
    flushes: 0,
    backpressure_pauses: 0,
    max_buffered_rows: 0,
    writes: [],
    elapsed_ms: 0,
    messages_per_s: 0,
  };

  // Buffers and the writer.
  let buffers: Record<RecDataset, Row[]> = { trades: [], quotes: [], book: [], derivative_ticker: [], funding: [] };
  let buffered = 0;
  /** rows handed to a flush that is not finished yet: they still take memory */
  let inflight = 0;
  const seenTrades = new Set<string>();
  const stages = Object.fromEntries(DATASETS_REC.map((d) => [d, new RowStage(ctx.db, DATASETS[d], `__rec_${d}`)])) as Record<RecDataset, RowStage>;
  let writing: Promise<void> = Promise.resolve();
  let writeError: unknown = null;
  let fatal: Error | null = null;

  const push = (rows: RecRows): void => {
    for (const d of DATASETS_REC) {
      const rs = rows[d];
      if (!rs || rs.length === 0) continue;
      for (const row of rs) {
        if (d === 'trades') {
          const key = `${String(row['symbol'])}/${String(row['trade_id'])}`;
          if (seenTrades.has(key)) {
            r.duplicate_trades++;
            continue;
          }
          seenTrades.add(key);
          if (seenTrades.size > RECORD_DEFAULTS.trade_id_memory) seenTrades.delete(seenTrades.values().next().value as string);
        }
        buffers[d].push(row);
        buffered++;
        opts.onRow?.(d, row);
      }
    }
    if (buffered + inflight > r.max_buffered_rows) r.max_buffered_rows = buffered + inflight;
  };

  const flush = (): Promise<void> => {
    if (buffered === 0) return writing;
    const take = buffers;
    const n = buffered;
    buffers = { trades: [], quotes: [], book: [], derivative_ticker: [], funding: [] };
    buffered = 0;
    inflight += n;
    writing = writing.then(async () => {
      if (writeError) return;
      try {
        const ingest = ctx.clock.now() * 1000;
        // The writer ignores the abort signal: a flush started is finished (it is what the signal asks for).
        const wctx = { ...ctx, signal: new AbortController().signal };
        for (const d of DATASETS_REC) {
          const rows = take[d];
          if (rows.length === 0) continue;
          for (const row of rows) row['ingest_time'] = ingest;
          await stages[d].append(rows);
          const w = await writeStaged(wctx, { root: opts.root }, stages[d]);
          r.rows[d] = (r.rows[d] ?? 0) + rows.length;
          if (w) r.writes.push(w);
        }
        r.flushes++;
      } catch (err) {
        // A refused or failed write stops the recording (the error is the result); nothing is dropped quietly.
        writeError = err;
        stop();
      } finally {
        inflight -= n;
      }
    });
    return writing;
  };

  let session: FeedSession | null = null;
  let skewBase = 0;
  const ws: WsFeed = new WsFeed(
    {
      url,
      subscribe: () => feed.subscribe(products.map((p) => p.product_id), channels, env),
      stale_ms: cfg.stale_ms,
      backoff_base_ms: opts.backoff_base_ms ?? RECORD_DEFAULTS.backoff_base_ms,
      backoff_max_ms: opts.backoff_max_ms ?? RECORD_DEFAULTS.backoff_max_ms,
      connect_timeout_ms: RECORD_DEFAULTS.connect_timeout_ms,
    },
    {
      onOpen: () => {
        if (session) skewBase += session.clockSkewRows;
        session = feed.session(productMap, channels);
        ctx.log.info(`${opts.venue}: connected to ${url}, subscribing ${channels.join(',')} for ${products.map((p) => p.product_id).join(',')}`);
      },
      onFrame: (text, recv) => {
        r.messages++;
        let msg: unknown;
        try {
          msg = JSON.parse(text);
        } catch {
          msg = null;
        }
        if (!msg || typeof msg !== 'object' || Array.isArray(msg) || !session) {
          if (r.malformed++ < 5) ctx.log.warn(`${opts.venue}: malformed frame ignored: ${text.slice(0, 80)}`);
          return;
        }
        const h = session.handle(msg as Record<string, unknown>, recv);
        if (h.kind === 'heartbeat') r.heartbeats++;
        if (h.kind === 'data') r.data_messages++;
        push(h.rows);
        if (h.lost) {
          r.lost.push({ at: recv, reason: h.lost });
          opts.onIncident?.('lost', recv, h.lost);
          ctx.log.warn(`${opts.venue}: ${h.lost} (messages lost; no book to rebuild)`);
        }
        if (h.rejected) {
          fatal = upstreamError(`${opts.venue} refused the subscription: ${h.rejected}`, {
            hint: 'check the symbols, channels and (coinbase-intx) the API credentials in the environment',
          });
          stop();
          return;
        }
        if (h.resync) {
          r.gaps.push({ at: recv, reason: h.resync });
          opts.onIncident?.('gap', recv, h.resync);
          ctx.log.warn(`${opts.venue}: ${h.resync}; gap rows written, reconnecting for fresh book snapshots`);
          ws.drop('resync');
        }
        if (buffered >= cfg.flush_rows) void flush();
        if (buffered + inflight >= cfg.max_buffer_rows && !ws.isPaused) {
          r.backpressure_pauses++;
          ws.pause();
          const resumeWhenDrained = (): void => {
            void writing.then(() => {
              if (buffered + inflight >= cfg.max_buffer_rows) {
                void flush();
                resumeWhenDrained();
              } else ws.resume();
            });
          };
          resumeWhenDrained();
        }
      },
      onClose: (_conn, reason, at) => {
        if (reason === 'stopped') return;
        r.reconnects.push({ at, reason });
        opts.onIncident?.('reconnect', at, reason);
        // Whatever the reason, updates may have been missed until the next snapshot.
        if (session && reason !== 'resync') push({ book: session.gapRows(at, reason) });
        ctx.log.warn(
          ws.connects === 0
            ? `${opts.venue}: cannot connect to ${url} (${ws.lastError ?? reason}); retrying`
            : `${opts.venue}: connection lost (${reason}); reconnecting`,
        );
      },
    },
    clock,
  );

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    ws.stop();
  };
  const onAbort = (): void => stop();
  ctx.signal.addEventListener('abort', onAbort);
  const flushTimer = setInterval(() => void flush(), cfg.flush_ms);
  // the promise of this flush (the chain up to it), not of later ones: a busy writer never starves the caller
  opts.onReady?.({ flush: () => flush() });
  let durationTimer: NodeJS.Timeout | undefined;
  if (opts.duration_ms !== undefined) {
    durationTimer = setTimeout(() => {
      r.stopped_by = 'duration';
      stop();
    }, opts.duration_ms);
  }
  try {
    if (ctx.signal.aborted) stop();
    await ws.run();
  } finally {
    clearInterval(flushTimer);
    if (durationTimer) clearTimeout(durationTimer);
    ctx.signal.removeEventListener('abort', onAbort);
    await flush();
    for (const s of Object.values(stages)) await s.discard().catch(() => undefined);
  }
  r.connects = ws.connects;
  r.clock_skew_rows = skewBase + ((session as FeedSession | null)?.clockSkewRows ?? 0);
  r.elapsed_ms = ctx.clock.now() - started;
  r.messages_per_s = r.elapsed_ms > 0 ? r.messages / (r.elapsed_ms / 1000) : 0;
  if (writeError) throw writeError;
  if (fatal) throw fatal;
  if (r.stopped_by === 'duration' && r.messages === 0) {
    // Nothing could be recorded: an exit 0 here would tell a cron job that all is well.
    const why = r.connects === 0 ? `no connection could be made in ${(opts.duration_ms ?? 0) / 1000} s${ws.lastError ? ` (last error: ${ws.lastError})` : ''}` : `connected ${r.connects} time(s) but received no message`;
    throw upstreamError(`${opts.venue}: nothing was recorded from ${url}: ${why}`, {
      hint: 'check the network (and --url or $PERPKIT_WS_URL_<VENUE>), then re-run; nothing was written',
      details: { venue: opts.venue, url, connects: r.connects, attempts: r.reconnects.length, messages: 0 },
    });
  }
  if (r.clock_skew_rows > 0) ctx.log.warn(`${opts.venue}: ${r.clock_skew_rows} row(s) stamped by the venue after our receive time (is this clock synchronised?); available_time raised to event_time`);
  return r;
}
