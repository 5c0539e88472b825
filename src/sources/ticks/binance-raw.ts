import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { VENUE_STATIC } from '../../domain/config.js';
import { binanceInstrumentRows, type CandleFile } from '../binance-candles.js';
import { BinanceDepthSync, L2Book, type BookSide } from './book.js';
import type { Row } from '../../store/stage.js';

/**
 * Binance raw WebSocket recordings (../shared/data/binance-ticks, from nkaz001/hftbacktest):
 * gzip text, one message a line, `<local receive time, ns> <combined-stream JSON>`; a line
 * without a `stream` key is a REST depth snapshot. Mapped to perpkit rows:
 *
 *   folder spot/  btcusdt_YYYYMMDD.gz      -> venue binance-spot,  symbol BTC-SPOT
 *   folder usdm/  btcusdt_YYYYMMDD.gz      -> venue binance-usdm,  symbol BTC-PERP (USDT-margined, linear)
 *   folder cm/    btcusd_perp_YYYYMMDD.gz  -> venue binance-coinm, symbol BTC-PERP (coin-margined, inverse)
 *
 *   <sym>@trade       -> trades  (event_time T, trade_id t, side: m = buyer is maker -> taker sold)
 *   <sym>@bookTicker  -> quotes  (update_id u; event_time T, or see the clock notes for spot)
 *   <sym>@depth...    -> book    diff rows (update_id u, first_update_id U), checked against the snapshot
 *   snapshot line     -> book    snapshot rows (update_id lastUpdateId)
 *
 * Clocks. The collector's clock ran about 1.27 s behind the exchange (the largest exchange time
 * minus receive time over all ten files is 1276.7 ms). available_time is the receive time plus
 * one constant offset (BINANCE_TICKS_CLOCK_OFFSET_US, 1.28 s) for every file and venue, so venues
 * stay comparable on one clock and available_time >= event_time holds; a row where it still would
 * not is raised to event_time and counted (`clock_clamped`), never dropped. Spot bookTicker
 * messages carry no exchange time: their event_time is that corrected receive time, and their
 * source ends in `#event_time=receive`.
 *
 * Sizes are base units everywhere. COIN-M quantities are contracts of a fixed USD value
 * (COINM_CONTRACT_USD: 100 USD for BTC, 10 USD for other bases) and become base units as
 * contracts x contract USD / price of that trade or level.
 */

/** Receive-clock correction of the hftbacktest recordings, microseconds (see above). */
export const BINANCE_TICKS_CLOCK_OFFSET_US = 1_280_000;

/** USD value of one COIN-M contract by base asset (Binance: BTC 100 USD, all others 10 USD). */
export const COINM_CONTRACT_USD: Record<string, number> = { BTC: 100 };
export const COINM_DEFAULT_CONTRACT_USD = 10;

export type BinanceTickVenue = 'binance-spot' | 'binance-usdm' | 'binance-coinm';

export interface BinanceTickFile {
  path: string;
  venue: BinanceTickVenue;
  /** venue id, e.g. BTCUSDT, BTCUSD_PERP */
  venue_symbol: string;
  /** perpkit symbol, e.g. BTC-PERP */
  symbol: string;
  base: string;
}

const NAME_RE = /^([a-z0-9]+?)(_perp)?_(\d{8})\.(?:txt\.)?gz$/;
const FOLDER_VENUE: Record<string, BinanceTickVenue> = {
  spot: 'binance-spot',
  usdm: 'binance-usdm',
  um: 'binance-usdm',
  futures: 'binance-usdm',
  cm: 'binance-coinm',
  coinm: 'binance-coinm',
};

/** True when a line looks like `<ns receive time> {json}`. */
export function isRawStreamLine(line: string): boolean {
  return /^\d{16,20} \{/.test(line);
}

/**
 * What a file holds, from its name and folder (spot/, usdm/, cm/) and its first line; null when
 * it is not a raw-stream recording. A file outside those folders is spot or USD-M by its name
 * (`_perp` = COIN-M) and its content (`"pu":` or `"X":` appear only in futures streams).
 */
export function classifyBinanceTickFile(path: string, head: string): BinanceTickFile | null {
  const m = NAME_RE.exec(basename(path));
  const first = head.split('\n', 1)[0] ?? '';
  if (!m || !isRawStreamLine(first)) return null;
  const name = (m[1] as string).toUpperCase();
  const perp = m[2] !== undefined;
  let venue: BinanceTickVenue | undefined = FOLDER_VENUE[basename(dirname(path)).toLowerCase()];
  if (!venue) venue = perp ? 'binance-coinm' : /"pu":|"X":"/.test(head) ? 'binance-usdm' : 'binance-spot';
  if (venue === 'binance-coinm') {
    const base = name.replace(/USD$/, '');
    return { path, venue, venue_symbol: `${name}_PERP`, symbol: `${base}-PERP`, base };
  }
  const base = name.replace(/USDT$/, '');
  return { path, venue, venue_symbol: name, symbol: venue === 'binance-spot' ? `${base}-SPOT` : `${base}-PERP`, base };
}

export interface BinanceTickStats {
  lines: number;
  trade: number;
  bookTicker: number;
  depthUpdate: number;
  snapshot: number;
  /** lines that are not `<ns> <json>`, or JSON of an unknown shape; reported, not imported */
  malformed: number;
  /** rows whose corrected receive time was still before event_time (raised to event_time) */
  clock_clamped: number;
  /** diffs older than the snapshot (stored as diff rows, not applied) */
  stale_diffs: number;
  /** diffs with no usable book (before the first snapshot or after a gap; stored, not applied) */
  unsynced_diffs: number;
  /** sequence breaks: expected update id and the diff that broke it (a gap row is written) */
  gaps: Array<{ expected: number; first_update_id: number; update_id: number; available_time: number }>;
  /** first and last receive time, µs (raw collector clock) */
  first_receive_us: number | null;
  last_receive_us: number | null;
}

export interface TickRows {
  trades: Row[];
  quotes: Row[];
  book: Row[];
}

interface MapperOptions {
  file: BinanceTickFile;
  /** lineage, e.g. binance-ticks:spot/btcusdt_20240808.gz */
  source: string;
  ingest_time: number;
  clock_offset_us?: number;
  /** keep rows with from <= event_time < to (µs); the book is replayed regardless */
  from?: number;
  to?: number;
}

type Json = Record<string, unknown>;

/** Unapplied diffs kept to bring a late snapshot forward (Binance: buffer the stream, then fetch the snapshot). */
const PENDING_DIFFS = 10_000;
type Level = [string, string];

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

/** Maps the lines of one recording to rows, replaying the book with update-id checks. */
export class BinanceTickMapper {
  readonly book = new L2Book();
  readonly sync: BinanceDepthSync;
  readonly out: TickRows = { trades: [], quotes: [], book: [] };
  readonly stats: BinanceTickStats = {
    lines: 0,
    trade: 0,
    bookTicker: 0,
    depthUpdate: 0,
    snapshot: 0,
    malformed: 0,
    clock_clamped: 0,
    stale_diffs: 0,
    unsynced_diffs: 0,
    gaps: [],
    first_receive_us: null,
    last_receive_us: null,
  };
  /** called after each diff applied in sequence (tests compare the top of book with bookTicker) */
  onApplied: ((updateId: number, book: L2Book) => void) | null = null;
  private readonly offset: number;
  private readonly contractUsd: number | null;
  private readonly base: Json;
  /** diffs received while there was no usable book (newest last, at most PENDING_DIFFS) */
  private readonly pending: Json[] = [];

  constructor(private readonly o: MapperOptions) {
    this.offset = o.clock_offset_us ?? BINANCE_TICKS_CLOCK_OFFSET_US;
    this.sync = new BinanceDepthSync(o.file.venue === 'binance-spot' ? 'spot' : 'futures');
    this.contractUsd = o.file.venue === 'binance-coinm' ? (COINM_CONTRACT_USD[o.file.base] ?? COINM_DEFAULT_CONTRACT_USD) : null;
    this.base = { venue: o.file.venue, symbol: o.file.symbol, source: o.source, ingest_time: o.ingest_time };
  }

  /** Size in base units (COIN-M: contracts -> base at the given price). */
  private size(qty: number, price: number): number {
    return this.contractUsd === null ? qty : (qty * this.contractUsd) / price;
  }

  private keep(eventTime: number): boolean {
    return (this.o.from === undefined || eventTime >= this.o.from) && (this.o.to === undefined || eventTime < this.o.to);
  }

  private avail(recv: number, eventTime: number): number {
    if (recv >= eventTime) return recv;
    this.stats.clock_clamped++;
    return eventTime;
  }

  line(text: string): void {
    this.stats.lines++;
    const sp = text.indexOf(' ');
    const ns = sp > 0 ? text.slice(0, sp) : '';
    if (!/^\d{16,20}$/.test(ns)) {
      this.stats.malformed++;
      return;
    }
    const recvRaw = Number(BigInt(ns) / 1000n);
    if (this.stats.first_receive_us === null) this.stats.first_receive_us = recvRaw;
    this.stats.last_receive_us = recvRaw;
    const recv = recvRaw + this.offset;
    let msg: Json;
    try {
      msg = JSON.parse(text.slice(sp + 1)) as Json;
    } catch {
      this.stats.malformed++;
      return;
    }
    const stream = typeof msg['stream'] === 'string' ? (msg['stream'] as string) : null;
    const data = (stream ? msg['data'] : msg) as Json | undefined;
    if (!data || typeof data !== 'object') {
      this.stats.malformed++;
      return;
    }
    if (!stream) {
      if (typeof data['lastUpdateId'] === 'number') return this.snapshot(data, recv);
      this.stats.malformed++;
      return;
    }
    if (stream.endsWith('@trade') || data['e'] === 'trade') return this.trade(data, recv);
    if (stream.endsWith('@bookTicker')) return this.bookTicker(data, recv);
    if (data['e'] === 'depthUpdate') return this.depth(data, recv);
    this.stats.malformed++;
  }

  private trade(d: Json, recv: number): void {
    this.stats.trade++;
    const ev = num(d['T'] ?? d['E']) * 1000;
    const price = num(d['p']);
    if (!this.keep(ev)) return;
    this.out.trades.push({
      ...this.base,
      event_time: ev,
      available_time: this.avail(recv, ev),
      trade_id: String(d['t']),
      price,
      size: this.size(num(d['q']), price),
      side: d['m'] === true ? 'sell' : 'buy',
    });
  }

  private bookTicker(d: Json, recv: number): void {
    this.stats.bookTicker++;
    const t = d['T'] ?? d['E'];
    const ev = t === undefined ? recv : num(t) * 1000;
    if (!this.keep(ev)) return;
    const bid = num(d['b']);
    const ask = num(d['a']);
    this.out.quotes.push({
      ...this.base,
      ...(t === undefined ? { source: `${this.o.source}#event_time=receive` } : {}),
      event_time: ev,
      available_time: this.avail(recv, ev),
      update_id: num(d['u']),
      bid_price: bid > 0 ? bid : null,
      bid_size: bid > 0 ? this.size(num(d['B']), bid) : null,
      ask_price: ask > 0 ? ask : null,
      ask_size: ask > 0 ? this.size(num(d['A']), ask) : null,
    });
  }

  private levels(rows: Row[], side: BookSide, levels: unknown, common: Json, apply: boolean): void {
    if (!Array.isArray(levels)) return;
    for (const l of levels as Level[]) {
      const price = num(l[0]);
      const size = this.size(num(l[1]), price);
      if (apply) this.book.set(side, price, size);
      rows.push({ ...common, side, price, size });
    }
  }

  private depth(d: Json, recv: number): void {
    this.stats.depthUpdate++;
    const ev = num(d['T'] ?? d['E']) * 1000;
    const U = num(d['U']);
    const u = num(d['u']);
    const verdict = this.sync.diff(U, u, d['pu'] === undefined ? undefined : num(d['pu']));
    if (verdict === 'stale') this.stats.stale_diffs++;
    if (verdict === 'unsynced') {
      this.stats.unsynced_diffs++;
      // The REST snapshot is usually received after the diffs that follow it: keep the recent
      // unapplied diffs so that a snapshot can be brought forward with them (Binance's procedure).
      this.pending.push(d);
      if (this.pending.length > PENDING_DIFFS) this.pending.shift();
    }
    const available = this.avail(recv, ev);
    const keep = this.keep(ev);
    if (verdict === 'gap') this.gap(U, u, ev, available, keep);
    const apply = verdict === 'applied';
    const common = { ...this.base, event_time: ev, available_time: available, update_type: 'diff', update_id: u, first_update_id: U };
    const rows: Row[] = keep ? this.out.book : [];
    this.levels(rows, 'bid', d['b'], common, apply);
    this.levels(rows, 'ask', d['a'], common, apply);
    if (apply && this.onApplied) this.onApplied(u, this.book);
  }

  private snapshot(d: Json, recv: number): void {
    this.stats.snapshot++;
    const t = d['T'] ?? d['E'];
    const ev = t === undefined ? recv : num(t) * 1000;
    const L = num(d['lastUpdateId']);
    this.book.clear();
    this.sync.snapshot(L);
    const available = this.avail(recv, ev);
    const common = {
      ...this.base,
      ...(t === undefined ? { source: `${this.o.source}#event_time=receive` } : {}),
      event_time: ev,
      available_time: available,
      update_type: 'snapshot',
      update_id: L,
      first_update_id: null,
    };
    const rows: Row[] = this.keep(ev) ? this.out.book : [];
    this.levels(rows, 'bid', d['bids'], common, true);
    this.levels(rows, 'ask', d['asks'], common, true);
    this.replayPending(ev, available, this.keep(ev));
  }

  /**
   * Applies the buffered diffs that follow a new snapshot (their rows were written when they
   * arrived). A break among them is a gap like any other: reported, with a gap row at the snapshot.
   */
  private replayPending(ev: number, available: number, keep: boolean): void {
    const pending = this.pending.splice(0);
    for (const d of pending) {
      const U = num(d['U']);
      const u = num(d['u']);
      const v = this.sync.diff(U, u, d['pu'] === undefined ? undefined : num(d['pu']));
      if (v === 'unsynced') continue; // after a gap below: stays unapplied
      this.stats.unsynced_diffs--;
      if (v === 'stale') {
        this.stats.stale_diffs++;
      } else if (v === 'gap') {
        this.stats.unsynced_diffs++;
        this.gap(U, u, ev, available, keep);
      } else {
        for (const side of ['b', 'a'] as const) {
          for (const l of (d[side] ?? []) as Level[]) {
            const price = num(l[0]);
            this.book.set(side === 'b' ? 'bid' : 'ask', price, this.size(num(l[1]), price));
          }
        }
        if (this.onApplied) this.onApplied(u, this.book);
      }
    }
  }

  private gap(U: number, u: number, ev: number, available: number, keep: boolean): void {
    const g = this.sync.gaps[this.sync.gaps.length - 1];
    this.stats.gaps.push({ expected: g?.expected ?? -1, first_update_id: U, update_id: u, available_time: available });
    this.book.clear();
    if (!keep) return;
    this.out.book.push({
      ...this.base,
      event_time: ev,
      available_time: available,
      update_type: 'gap',
      side: null,
      price: null,
      size: null,
      update_id: u,
      first_update_id: U,
    });
  }

  /** Takes the rows mapped so far (the mapper keeps nothing). */
  drain(): TickRows {
    const r = { trades: this.out.trades.splice(0), quotes: this.out.quotes.splice(0), book: this.out.book.splice(0) };
    return r;
  }
}

/** Lines of a gzip (or plain) text file, streamed. */
export async function* readLines(path: string): AsyncGenerator<string> {
  const input = createReadStream(path);
  const stream = path.endsWith('.gz') ? input.pipe(createGunzip()) : input;
  const rl = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of rl) if (line.length > 0) yield line;
  } finally {
    rl.close();
    input.destroy();
  }
}

/** The first bytes of a file as text (gunzipped when .gz), for format detection. */
export async function fileHead(path: string, maxLines = 200): Promise<string> {
  if (!statSync(path).isFile()) return '';
  const lines: string[] = [];
  try {
    for await (const l of readLines(path)) {
      lines.push(l.slice(0, 4096));
      if (lines.length >= maxLines) break;
    }
  } catch {
    return lines.join('\n');
  }
  return lines.join('\n');
}

/** Every file under a folder (or the file itself), sorted; hidden files skipped. */
export function walkFiles(path: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    if (statSync(p).isDirectory()) {
      for (const e of readdirSync(p).sort()) if (!e.startsWith('.')) walk(`${p}/${e}`);
    } else out.push(p);
  };
  walk(path);
  return out;
}

/**
 * instruments rows of the imported Binance tick venues. Spot and USD-M rows are the same as the
 * candle import's (so re-imports leave them unchanged). COIN-M perps are inverse: quote USD, settled
 * in the base coin; contract_size (base units per contract) is not constant for an inverse contract,
 * so it is null, and every size the importer stores is already in base units (see above).
 */
export function binanceTickInstrumentRows(files: BinanceTickFile[], ingestTime: number): Row[] {
  const seen = new Map<string, BinanceTickFile>();
  for (const f of files) seen.set(`${f.venue}/${f.symbol}`, f);
  const rows: Row[] = [];
  const candleLike: CandleFile[] = [];
  for (const f of [...seen.values()].sort((a, b) => `${a.venue}/${a.symbol}`.localeCompare(`${b.venue}/${b.symbol}`))) {
    if (f.venue === 'binance-coinm') {
      rows.push({
        venue: f.venue,
        symbol: f.symbol,
        event_time: 0,
        available_time: 0,
        source: 'perpkit-static:binance-coinm',
        ingest_time: ingestTime,
        venue_symbol: f.venue_symbol,
        kind: 'perp',
        base: f.base,
        quote: 'USD',
        settle: f.base,
        contract_size: null,
        tick_size: null,
        lot_size: null,
        funding_interval_hours: COINM_STATIC.funding_interval_hours,
        funding_accrual_hours: COINM_STATIC.funding_interval_hours,
        maker_fee: COINM_STATIC.maker_fee,
        taker_fee: COINM_STATIC.taker_fee,
        fee_tiers: JSON.stringify([{ min_volume_30d: 0, maker: COINM_STATIC.maker_fee, taker: COINM_STATIC.taker_fee }]),
        spot_venue: 'binance-spot',
        spot_symbol: `${f.base}-SPOT`,
        expiry: null,
      });
    } else {
      candleLike.push(
        f.venue === 'binance-usdm'
          ? { kind: 'funding', path: f.path, venue: 'binance-usdm', symbol: f.symbol, base: f.base, interval_hours: VENUE_STATIC['binance-usdm'].funding_interval_hours }
          : { kind: 'bars', path: f.path, venue: 'binance-spot', symbol: f.symbol, base: f.base, price: 'last', timeframe: '1h' },
      );
    }
  }
  return [...binanceInstrumentRows(candleLike, ingestTime), ...rows];
}

/** COIN-M perps (VIP 0 fees, fraction of notional; funding every 8 h). */
export const COINM_STATIC = { maker_fee: 0.0002, taker_fee: 0.0005, funding_interval_hours: 8 } as const;
