import { z } from 'zod';
import { upstreamError } from '../../domain/errors.js';
import type { PriceType } from '../../domain/datasets.js';
import type { VenueDataset, VenueFetchConfig, VenueId } from '../../domain/venue-config.js';
import type { VenueClient } from './client.js';

/** A row as the store takes it (times in epoch microseconds). */
export type Row = Record<string, unknown>;

/** A symbol of a run, resolved to the venue's own id. */
export interface ResolvedSymbol {
  /** canonical perpkit symbol: BTC-PERP, BTC-SPOT (Binance spot), BTC-USD (Coinbase spot) */
  symbol: string;
  /** the venue's id: BIP-20DEC30-CDE, BTC-PERP, BTCUSDT */
  venue_symbol: string;
  kind: 'perp' | 'spot';
  base: string;
  /** the instruments row of this symbol (without ingest clocks filled by the service) */
  instrument: Row;
  /** venue payload kept from discovery (product details with funding / open interest snapshots) */
  details?: unknown;
}

/** One fetch job: a symbol and a dataset over [from, to) of event_time (epoch µs). */
export interface Task {
  symbol: ResolvedSymbol;
  dataset: Exclude<VenueDataset, 'instruments'>;
  timeframe: string;
  from: number;
  to: number;
}

/** One page of rows, complete and validated, in ascending event_time within its task. */
export interface Page {
  rows: Row[];
  /** how far the task has got (event_time, µs), for progress and ETA */
  cursor: number;
}

export interface AdapterContext {
  client: VenueClient;
  config: VenueFetchConfig;
  /** now, epoch µs (bars that have not closed by now are not fetched) */
  now: number;
  /** ingest_time of the rows written by this run, epoch µs */
  ingest: number;
  signal: AbortSignal;
}

export interface ResolveResult {
  resolved: ResolvedSymbol[];
  /** requested symbols the venue does not list, with the reason */
  unlisted: Array<{ symbol: string; reason: string }>;
}

export interface VenueAdapter {
  venue: VenueId;
  /** null when the venue serves this dataset for this kind of symbol, else why not */
  unsupported(dataset: VenueDataset, kind: 'perp' | 'spot'): string | null;
  /** timeframes of its candle endpoint */
  timeframes: readonly string[];
  /** canonical form of a requested symbol or base asset (BTC -> BTC-PERP) */
  canonical(requested: string): string;
  resolve(symbols: string[], ctx: AdapterContext): Promise<ResolveResult>;
  /** pages of a task in ascending time; snapshot datasets yield one page */
  pages(task: Task, ctx: AdapterContext): AsyncGenerator<Page>;
}

export const US_PER_MS = 1000;
export const US_PER_S = 1_000_000;

/** A decimal string as the venues send numbers ("68930", "0.000013"); empty strings are refused. */
export const decimal = z
  .string()
  .refine((s) => s.trim() !== '' && Number.isFinite(Number(s)), { message: 'not a decimal number' });
/** A decimal string or a JSON number. */
export const numeric = z.union([decimal, z.number().finite()]);
/** An ISO-8601 UTC time string. */
export const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), { message: 'not an ISO-8601 time' });

/** ISO-8601 with up to microseconds ("2026-04-07T00:28:58.544778Z") to epoch µs, exactly. */
export function isoToMicros(s: string): number {
  const m = /^(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:?\d\d)$/.exec(s);
  if (!m) return Date.parse(s) * US_PER_MS;
  const [, head, frac = '', zone] = m as unknown as [string, string, string | undefined, string];
  const whole = Date.parse(`${head}${zone}`);
  const us = Number((frac + '000000').slice(0, 6));
  return whole * US_PER_MS + us;
}

/** epoch µs to ISO-8601 with seconds ("2026-03-14T00:00:00Z"), the form the Coinbase APIs take. */
export function microsToIso(us: number): string {
  return new Date(Math.floor(us / US_PER_MS)).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Parses a venue response with its schema or refuses it (exit 5): the API changed under us. */
export function parseResponse<T>(venue: VenueId, endpoint: string, schema: z.ZodType<T>, body: unknown): T {
  const res = schema.safeParse(body);
  if (res.success) return res.data;
  const issue = res.error.issues[0];
  const path = issue ? issue.path.join('.') || '(body)' : '(body)';
  throw upstreamError(
    `${venue}: ${endpoint} response does not have the expected shape (${path}: ${issue?.message ?? 'invalid'}); the venue may have changed its API; nothing was stored from this response`,
    { details: { venue, endpoint, reason: 'schema', path } },
  );
}

/**
 * Candle request windows over [from, to) of bar close times: bar open times in
 * [firstOpen, endOpen) cut into windows of at most `limit` bars, bars closing after `now` left out.
 * All values epoch µs; windows are [start, end) of open times.
 */
export function barWindows(from: number, to: number, now: number, tfUs: number, limit: number): Array<[number, number]> {
  const firstOpen = Math.ceil((from - tfUs) / tfUs) * tfUs;
  const lastClose = Math.min(to - 1, now);
  const endOpen = Math.floor((lastClose - tfUs) / tfUs) * tfUs + tfUs;
  const out: Array<[number, number]> = [];
  for (let s = firstOpen; s < endOpen; s += limit * tfUs) out.push([s, Math.min(s + limit * tfUs, endOpen)]);
  return out;
}

export interface BarInput {
  open_time: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number | null;
  quote_volume: number | null;
  trade_count: number | null;
}

/** A bars row: event_time is the bar close, available_time the close plus the publication delay. */
export function barRow(
  base: { venue: VenueId; symbol: string; price: PriceType; timeframe: string; tfUs: number; source: string; delayMs: number; ingest: number },
  b: BarInput,
): Row {
  const event = b.open_time + base.tfUs;
  return {
    venue: base.venue,
    symbol: base.symbol,
    price: base.price,
    timeframe: base.timeframe,
    event_time: event,
    available_time: event + base.delayMs * US_PER_MS,
    source: base.source,
    ingest_time: base.ingest,
    open_time: b.open_time,
    open: b.open,
    high: b.high,
    low: b.low,
    close: b.close,
    volume: b.volume,
    quote_volume: b.quote_volume,
    trade_count: b.trade_count,
  };
}

/** Keeps the bars of a window that are in range and closed by now, sorted by time, one per open time. */
export function keepBars(rows: BarInput[], window: [number, number], tfUs: number, now: number): BarInput[] {
  const seen = new Map<number, BarInput>();
  for (const r of rows) {
    if (r.open_time < window[0] || r.open_time >= window[1] || r.open_time + tfUs > now) continue;
    seen.set(r.open_time, r);
  }
  return [...seen.values()].sort((a, b) => a.open_time - b.open_time);
}

/** A row of any non-bar dataset with its clocks. */
export function clockRow(
  keys: { venue: VenueId; symbol: string },
  event: number,
  delayMs: number,
  source: string,
  ingest: number,
  values: Row,
): Row {
  return {
    venue: keys.venue,
    symbol: keys.symbol,
    event_time: event,
    available_time: event + delayMs * US_PER_MS,
    source,
    ingest_time: ingest,
    ...values,
  };
}

/** Price type and display label of a bars-like dataset name. */
export function priceOf(dataset: VenueDataset): PriceType | null {
  return dataset === 'bars' ? 'last' : dataset === 'mark' ? 'mark' : dataset === 'index' ? 'index' : null;
}

/** Base asset of a canonical or base symbol: BTC-PERP -> BTC, BTC -> BTC. */
export function baseOf(symbol: string): string {
  return symbol.split('-')[0] ?? symbol;
}
