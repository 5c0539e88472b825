import { COINM_CONTRACT_USD, COINM_DEFAULT_CONTRACT_USD } from './binance-raw.js';
import type { Row } from '../../store/stage.js';

/**
 * Tardis.dev CSV exports (../shared/data/tardis-samples). Every file starts with
 * `exchange,symbol,timestamp,local_timestamp,`: `timestamp` is the exchange time and
 * `local_timestamp` the receive time, both epoch microseconds; they become event_time and
 * available_time as they are (a row received "before" it happened is raised to event_time and
 * counted in `clock_clamped`). The data type is recognised by the remaining columns:
 *
 *   id,side,price,amount                                   trades            -> trades
 *   ask_amount,ask_price,bid_price,bid_amount               quotes            -> quotes
 *   asks[0].price,asks[0].amount,bids[0].price,...          book_snapshot_N   -> book snapshot rows (each line a full snapshot)
 *   is_snapshot,side,price,amount                           incremental_book_L2 -> book snapshot / diff rows
 *   funding_timestamp,funding_rate,predicted_funding_rate,  derivative_ticker -> derivative_ticker
 *     open_interest,last_price,index_price,mark_price
 *
 * derivative_ticker: Tardis' funding_rate is the rate of the period running now, settled at
 * funding_timestamp, so it is stored as predicted_funding_rate (not settled yet) with
 * next_funding_time = funding_timestamp; Tardis' predicted_funding_rate (the period after, where a
 * venue publishes one) has no column and is not stored.
 */

export type TardisKind = 'trades' | 'quotes' | 'book_snapshot' | 'incremental_book_L2' | 'derivative_ticker';

/** Tardis exchange id -> perpkit venue. */
export const TARDIS_VENUES: Record<string, string> = {
  'binance-futures': 'binance-usdm',
  'binance-delivery': 'binance-coinm',
  binance: 'binance-spot',
  deribit: 'deribit',
  bitmex: 'bitmex',
  'huobi-dm-swap': 'huobi-dm-swap',
  okex: 'okx-spot',
  'okex-swap': 'okx',
  'okex-futures': 'okx-futures',
};

/**
 * How the amounts of an instrument are expressed: base units (linear and spot), USD (inverse
 * with amounts in USD: Deribit perps, BitMEX XBTUSD contracts of 1 USD), or contracts of a USD value
 * (Binance COIN-M, Huobi coin-margined swaps). Sizes are stored in base units: USD / price.
 */
export type SizeUnit = { kind: 'base' } | { kind: 'usd'; usd_per_unit: number };

export interface TardisInstrument {
  venue: string;
  symbol: string;
  /** null when perpkit does not know the contract: sizes cannot be converted */
  unit: SizeUnit | null;
}

/** perpkit venue, symbol and size unit of a Tardis (exchange, symbol). */
export function tardisInstrument(exchange: string, sym: string): TardisInstrument | null {
  const venue = TARDIS_VENUES[exchange];
  if (!venue) return null;
  let m: RegExpExecArray | null;
  if (exchange === 'binance-futures' && (m = /^([A-Z0-9]+)USDT$/.exec(sym))) return { venue, symbol: `${m[1]}-PERP`, unit: { kind: 'base' } };
  if (exchange === 'binance' && (m = /^([A-Z0-9]+)USDT$/.exec(sym))) return { venue, symbol: `${m[1]}-SPOT`, unit: { kind: 'base' } };
  if (exchange === 'binance-delivery' && (m = /^([A-Z0-9]+)USD_PERP$/.exec(sym))) {
    const base = m[1] as string;
    return { venue, symbol: `${base}-PERP`, unit: { kind: 'usd', usd_per_unit: COINM_CONTRACT_USD[base] ?? COINM_DEFAULT_CONTRACT_USD } };
  }
  if (exchange === 'deribit' && (m = /^([A-Z]+)-PERPETUAL$/.exec(sym))) return { venue, symbol: `${m[1]}-PERP`, unit: { kind: 'usd', usd_per_unit: 1 } };
  if (exchange === 'bitmex' && sym === 'XBTUSD') return { venue, symbol: 'BTC-PERP', unit: { kind: 'usd', usd_per_unit: 1 } };
  if (exchange === 'huobi-dm-swap' && (m = /^([A-Z0-9]+)-USD$/.exec(sym))) {
    const base = m[1] as string;
    return { venue, symbol: `${base}-PERP`, unit: { kind: 'usd', usd_per_unit: base === 'BTC' ? 100 : 10 } };
  }
  if (exchange === 'okex-swap' && (m = /^([A-Z0-9]+)-USDT-SWAP$/.exec(sym))) return { venue, symbol: `${m[1]}-PERP`, unit: null };
  // Unknown instrument: keep the venue's id as the symbol (when it is a safe name), sizes unknown.
  return /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(sym) ? { venue, symbol: sym, unit: null } : null;
}

const HEAD = 'exchange,symbol,timestamp,local_timestamp,';

/** The data type of a Tardis CSV from its header line; null when it is not one. */
export function classifyTardisHeader(header: string): TardisKind | null {
  if (!header.startsWith(HEAD)) return null;
  const rest = header.slice(HEAD.length).trim();
  if (rest === 'id,side,price,amount') return 'trades';
  if (rest === 'ask_amount,ask_price,bid_price,bid_amount') return 'quotes';
  if (rest.startsWith('asks[0].price,asks[0].amount,bids[0].price,bids[0].amount')) return 'book_snapshot';
  if (rest === 'is_snapshot,side,price,amount') return 'incremental_book_L2';
  if (rest.startsWith('funding_timestamp,funding_rate,predicted_funding_rate,open_interest,last_price,index_price,mark_price')) {
    return 'derivative_ticker';
  }
  return null;
}

export interface TardisStats {
  lines: number;
  rows: number;
  malformed: number;
  clock_clamped: number;
  /** rows of an instrument whose contract perpkit does not know: sizes left out (open interest) or the line refused */
  unconverted: number;
}

export interface TardisRows {
  trades: Row[];
  quotes: Row[];
  book: Row[];
  derivative_ticker: Row[];
}

const optNum = (s: string | undefined): number | null => (s === undefined || s === '' ? null : Number(s));

/** Maps the lines of one Tardis CSV (header first) to rows. */
export class TardisMapper {
  readonly stats: TardisStats = { lines: 0, rows: 0, malformed: 0, clock_clamped: 0, unconverted: 0 };
  readonly out: TardisRows = { trades: [], quotes: [], book: [], derivative_ticker: [] };
  private cols: string[] = [];
  private readonly instruments = new Map<string, TardisInstrument | null>();
  /** (venue, symbol) pairs seen */
  readonly seen = new Map<string, TardisInstrument>();

  constructor(
    readonly kind: TardisKind,
    private readonly o: { source: string; ingest_time: number; from?: number; to?: number; symbols?: (symbol: string) => boolean },
  ) {}

  private instrument(exchange: string, sym: string): TardisInstrument | null {
    const k = `${exchange}/${sym}`;
    if (!this.instruments.has(k)) this.instruments.set(k, tardisInstrument(exchange, sym));
    return this.instruments.get(k) ?? null;
  }

  private size(unit: SizeUnit, amount: number, price: number): number {
    return unit.kind === 'base' ? amount : (amount * unit.usd_per_unit) / price;
  }

  line(text: string): void {
    if (this.cols.length === 0) {
      this.cols = text.trim().split(',');
      return;
    }
    this.stats.lines++;
    const f = text.split(',');
    if (f.length !== this.cols.length) {
      this.stats.malformed++;
      return;
    }
    const inst = this.instrument(f[0] as string, f[1] as string);
    const ev = Number(f[2]);
    const recv = Number(f[3]);
    if (!inst || !Number.isSafeInteger(ev) || !Number.isSafeInteger(recv)) {
      this.stats.malformed++;
      return;
    }
    if ((this.o.from !== undefined && ev < this.o.from) || (this.o.to !== undefined && ev >= this.o.to)) return;
    if (this.o.symbols && !this.o.symbols(inst.symbol)) return;
    let avail = recv;
    if (avail < ev) {
      this.stats.clock_clamped++;
      avail = ev;
    }
    this.seen.set(`${inst.venue}/${inst.symbol}`, inst);
    const base = { venue: inst.venue, symbol: inst.symbol, event_time: ev, available_time: avail, source: this.o.source, ingest_time: this.o.ingest_time };
    switch (this.kind) {
      case 'trades': {
        if (!inst.unit) return void this.stats.unconverted++;
        const price = Number(f[6]);
        const side = f[5] === 'buy' || f[5] === 'sell' ? f[5] : null;
        this.out.trades.push({ ...base, trade_id: f[4] === '' ? null : f[4], price, size: this.size(inst.unit, Number(f[7]), price), side });
        this.stats.rows++;
        break;
      }
      case 'quotes': {
        if (!inst.unit) return void this.stats.unconverted++;
        const ask = optNum(f[5]);
        const bid = optNum(f[6]);
        const askAmt = optNum(f[4]);
        const bidAmt = optNum(f[7]);
        this.out.quotes.push({
          ...base,
          update_id: null,
          bid_price: bid,
          bid_size: bid !== null && bidAmt !== null ? this.size(inst.unit, bidAmt, bid) : null,
          ask_price: ask,
          ask_size: ask !== null && askAmt !== null ? this.size(inst.unit, askAmt, ask) : null,
        });
        this.stats.rows++;
        break;
      }
      case 'book_snapshot': {
        if (!inst.unit) return void this.stats.unconverted++;
        for (let i = 4; i + 1 < f.length; i += 2) {
          const col = this.cols[i] as string;
          if (f[i] === '') continue;
          const price = Number(f[i]);
          this.out.book.push({
            ...base,
            update_type: 'snapshot',
            side: col.startsWith('asks') ? 'ask' : 'bid',
            price,
            size: this.size(inst.unit, Number(f[i + 1]), price),
            update_id: null,
            first_update_id: null,
          });
          this.stats.rows++;
        }
        break;
      }
      case 'incremental_book_L2': {
        if (!inst.unit) return void this.stats.unconverted++;
        const price = Number(f[6]);
        this.out.book.push({
          ...base,
          update_type: f[4] === 'true' ? 'snapshot' : 'diff',
          side: f[5] === 'ask' ? 'ask' : 'bid',
          price,
          size: this.size(inst.unit, Number(f[7]), price),
          update_id: null,
          first_update_id: null,
        });
        this.stats.rows++;
        break;
      }
      case 'derivative_ticker': {
        const mark = optNum(f[10]);
        const oi = optNum(f[7]);
        let openInterest: number | null = null;
        if (oi !== null) {
          if (inst.unit?.kind === 'base') openInterest = oi;
          else if (inst.unit && mark) openInterest = (oi * inst.unit.usd_per_unit) / mark;
          else this.stats.unconverted++;
        }
        this.out.derivative_ticker.push({
          ...base,
          last_price: optNum(f[8]),
          mark_price: mark,
          index_price: optNum(f[9]),
          predicted_funding_rate: optNum(f[5]),
          next_funding_time: optNum(f[4]),
          open_interest: openInterest,
        });
        this.stats.rows++;
        break;
      }
    }
  }
}
