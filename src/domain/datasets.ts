import { z } from 'zod';

/**
 * The raw datasets of ../shared/DESIGN.md: their columns (named exactly like the Parquet columns,
 * with meaning and unit), partition keys, natural keys and zod schemas.
 *
 * Times in JS rows are integer microseconds since the Unix epoch, UTC (exact in a double until the
 * year 2255); in Parquet they are TIMESTAMP (microseconds, UTC, no zone attached).
 */

export type ColumnType = 'TIMESTAMP' | 'DOUBLE' | 'BIGINT' | 'VARCHAR' | 'BOOLEAN';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** Values must be finite and > 0 (prices, sizes of a contract). */
  positive?: boolean;
  /** Values must be finite and >= 0 (volumes, book sizes, open interest). */
  nonNegative?: boolean;
  /** Allowed values of a VARCHAR column. */
  allowed?: readonly string[];
  /** Meaning and unit. */
  doc: string;
}

export type PartitionKey = 'venue' | 'symbol' | 'price' | 'timeframe';
export type TimeKey = 'month' | 'date' | null;

export interface DatasetSpec {
  name: DatasetName;
  doc: string;
  /** Hive partition keys in path order, before the time key. */
  partitionKeys: readonly PartitionKey[];
  /** Time partition derived from event_time: month=YYYY-MM or date=YYYY-MM-DD; null = none. */
  timeKey: TimeKey;
  /** Columns stored inside the Parquet files (partition keys excluded). */
  columns: readonly ColumnSpec[];
  /** Columns (partition keys included) that identify a row; re-writes dedupe on them. */
  naturalKey: readonly string[];
  /**
   * A dataset of many mostly distinct doubles (features): its files use LZ4 and no dictionary for
   * numbers. The default (zstd, a dictionary tried per column) costs twice the encoding time there,
   * for files ~10% smaller (W1 features, 525,600 rows x 71 columns: 0.86 s and 177 MB against 1.94 s and 159 MB).
   * Row groups are 8,192 rows instead of DuckDB's 122,880: the writer's column buffers are then small
   * enough to be reused from one group to the next, where whole-file buffers were fresh memory each
   * time (W1 build: 1.08 M -> 0.83 M page faults, Parquet files 11.7-12.7 s -> 8.3 s).
   */
  bulkNumbers?: boolean;
}

export const DATASET_NAMES = [
  'bars',
  'trades',
  'quotes',
  'book',
  'funding',
  'open_interest',
  'derivative_ticker',
  'instruments',
  'quarantine',
] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export const PRICE_TYPES = ['last', 'mark', 'index'] as const;
export type PriceType = (typeof PRICE_TYPES)[number];

const time = (name: string, doc: string, nullable = false): ColumnSpec => ({ name, type: 'TIMESTAMP', nullable, doc });
const price = (name: string, doc: string, nullable = false): ColumnSpec => ({
  name,
  type: 'DOUBLE',
  nullable,
  positive: true,
  doc,
});
const amount = (name: string, doc: string, nullable = false): ColumnSpec => ({
  name,
  type: 'DOUBLE',
  nullable,
  nonNegative: true,
  doc,
});
const num = (name: string, doc: string, nullable = true): ColumnSpec => ({ name, type: 'DOUBLE', nullable, doc });
const text = (name: string, doc: string, nullable = true, allowed?: readonly string[]): ColumnSpec => ({
  name,
  type: 'VARCHAR',
  nullable,
  doc,
  ...(allowed ? { allowed } : {}),
});
const int = (name: string, doc: string, nullable = true): ColumnSpec => ({ name, type: 'BIGINT', nullable, doc });

/** Columns every market dataset row carries (the two clocks and lineage). */
const CLOCKS: readonly ColumnSpec[] = [
  time('event_time', 'when it happened at the venue (for a bar: its close, the end of the interval), UTC'),
  time(
    'available_time',
    'when a live system could have had it: receive time for recorded data, event_time + documented delay for backfills; never before event_time, UTC',
  ),
  text('source', 'where the row came from (adapter and file or endpoint), e.g. "binance-candles:BTC_USDT_USDT-1h-futures.csv.gz"', false),
  time('ingest_time', 'when perpkit first stored this row, UTC'),
];

const spec = (s: DatasetSpec): DatasetSpec => s;

export const DATASETS: Record<DatasetName, DatasetSpec> = {
  bars: spec({
    name: 'bars',
    doc: 'OHLCV bars; price=last (traded), mark or index; event_time is the bar close',
    partitionKeys: ['venue', 'symbol', 'price', 'timeframe'],
    timeKey: 'month',
    columns: [
      ...CLOCKS,
      time('open_time', 'start of the bar interval, UTC (event_time - timeframe)'),
      price('open', 'first price in the interval, quote currency'),
      price('high', 'highest price in the interval, quote currency'),
      price('low', 'lowest price in the interval, quote currency'),
      price('close', 'last price in the interval, quote currency'),
      amount('volume', 'traded volume in base units (contracts x contract size); null for mark and index bars', true),
      amount('quote_volume', 'traded volume in quote currency; null when the source does not give it', true),
      int('trade_count', 'number of trades in the interval; null when unknown'),
    ],
    naturalKey: ['venue', 'symbol', 'price', 'timeframe', 'event_time'],
  }),
  trades: spec({
    name: 'trades',
    doc: 'individual trades (prints)',
    partitionKeys: ['venue', 'symbol'],
    timeKey: 'date',
    columns: [
      ...CLOCKS,
      text('trade_id', 'venue trade id; null when the venue gives none'),
      price('price', 'trade price, quote currency'),
      amount('size', 'trade size in base units'),
      text('side', 'aggressor side: buy = taker bought, sell = taker sold; null when unknown', true, ['buy', 'sell']),
    ],
    naturalKey: ['venue', 'symbol', 'event_time', 'trade_id', 'price', 'size', 'side'],
  }),
  quotes: spec({
    name: 'quotes',
    doc: 'top of book updates',
    partitionKeys: ['venue', 'symbol'],
    timeKey: 'date',
    columns: [
      ...CLOCKS,
      int('update_id', 'venue book update id or sequence number; null when none'),
      price('bid_price', 'best bid, quote currency', true),
      amount('bid_size', 'size at the best bid, base units', true),
      price('ask_price', 'best ask, quote currency', true),
      amount('ask_size', 'size at the best ask, base units', true),
    ],
    naturalKey: ['venue', 'symbol', 'event_time', 'available_time', 'update_id'],
  }),
  book: spec({
    name: 'book',
    doc: 'L2 book: snapshot levels, diffs (size 0 deletes a level) and explicit gap markers',
    partitionKeys: ['venue', 'symbol'],
    timeKey: 'date',
    columns: [
      ...CLOCKS,
      text('update_type', 'snapshot = a full-book level; diff = a level change; gap = sequence break (no level)', false, [
        'snapshot',
        'diff',
        'gap',
      ]),
      text('side', 'bid or ask; null on gap rows', true, ['bid', 'ask']),
      price('price', 'level price, quote currency; null on gap rows', true),
      amount('size', 'resting size at the level after the update, base units; 0 removes it; null on gap rows', true),
      int('update_id', 'last update id covered by this message; null when none'),
      int('first_update_id', 'first update id covered by this message; null when none'),
    ],
    naturalKey: ['venue', 'symbol', 'event_time', 'available_time', 'update_type', 'update_id', 'side', 'price'],
  }),
  funding: spec({
    name: 'funding',
    doc: 'settled funding rates at their settlement time (predicted rates live in derivative_ticker)',
    partitionKeys: ['venue', 'symbol'],
    timeKey: 'month',
    columns: [
      ...CLOCKS,
      num('funding_rate', 'settled funding rate per settlement interval, fraction; longs pay shorts when > 0', false),
      num('funding_interval_hours', 'hours covered by this settlement (8 on Binance USD-M); null when unknown'),
      price('mark_price', 'mark price used for the settlement, quote currency; null when unknown', true),
    ],
    naturalKey: ['venue', 'symbol', 'event_time'],
  }),
  open_interest: spec({
    name: 'open_interest',
    doc: 'open interest as published',
    partitionKeys: ['venue', 'symbol'],
    timeKey: 'month',
    columns: [
      ...CLOCKS,
      amount('open_interest', 'open interest in base units'),
      amount('open_interest_value', 'open interest in quote currency; null when not published', true),
    ],
    naturalKey: ['venue', 'symbol', 'event_time'],
  }),
  derivative_ticker: spec({
    name: 'derivative_ticker',
    doc: 'derivative ticker: mark, index, predicted funding, next funding time, open interest as published',
    partitionKeys: ['venue', 'symbol'],
    timeKey: 'date',
    columns: [
      ...CLOCKS,
      price('last_price', 'last traded price, quote currency', true),
      price('mark_price', 'mark price, quote currency', true),
      price('index_price', 'index (spot reference) price, quote currency', true),
      num('predicted_funding_rate', 'predicted (not settled) funding rate for the next settlement, fraction per interval'),
      time('next_funding_time', 'next funding settlement time, UTC', true),
      amount('open_interest', 'open interest in base units', true),
    ],
    naturalKey: ['venue', 'symbol', 'event_time', 'available_time'],
  }),
  instruments: spec({
    name: 'instruments',
    doc: 'instrument metadata: kind, contract size, tick size, funding cadence, fees, the spot reference of each perp',
    partitionKeys: ['venue', 'symbol'],
    timeKey: null,
    columns: [
      ...CLOCKS,
      text('venue_symbol', 'the venue\'s own id, e.g. BTCUSDT or BIP-20DEC30-CDE', false),
      text('kind', 'perp, spot or future', false, ['perp', 'spot', 'future']),
      text('base', 'base asset, e.g. BTC', false),
      text('quote', 'quote asset, e.g. USDT', false),
      text('settle', 'settlement asset of a derivative; null for spot'),
      amount('contract_size', 'base units per contract (1 for linear per-coin contracts)', true),
      amount('tick_size', 'minimum price increment, quote currency', true),
      amount('lot_size', 'minimum size increment, contracts', true),
      num('funding_interval_hours', 'hours between funding settlements; null for spot'),
      num('funding_accrual_hours', 'hours between funding accruals (1 on Coinbase US, equal to the interval elsewhere); null for spot'),
      num('maker_fee', 'maker fee at the lowest tier, fraction of notional'),
      num('taker_fee', 'taker fee at the lowest tier, fraction of notional'),
      text('fee_tiers', 'fee schedule as JSON: [{"min_volume_30d": usd, "maker": fraction, "taker": fraction}]; null when unknown'),
      text('spot_venue', 'venue of the spot reference of a perp; null for spot'),
      text('spot_symbol', 'symbol of the spot reference of a perp; null for spot'),
      time('expiry', 'expiry of a dated future, UTC; null for perps and spot', true),
    ],
    naturalKey: ['venue', 'symbol', 'event_time'],
  }),
  quarantine: spec({
    name: 'quarantine',
    doc:
      'rows that perpkit validate found bad, by key, with the check and reason; raw data is never changed, later steps exclude these keys',
    partitionKeys: ['venue', 'symbol'],
    timeKey: null,
    columns: [
      time('event_time', 'event_time of the offending row, UTC'),
      time(
        'available_time',
        'when the verdict could first have been reached: the offending row\'s available_time, or its event_time when that row claims to be available before it happened (so never before event_time), UTC',
      ),
      text('source', 'the validation query that flagged the row, e.g. "perpkit-validate:bars_ohlc"', false),
      time('ingest_time', 'when perpkit validate first stored this verdict (kept while the row stays flagged), UTC'),
      text('dataset', 'dataset of the offending row, e.g. bars', false),
      text('price', 'price type of an offending bar (last, mark, index); null for other datasets'),
      text('timeframe', 'timeframe of an offending bar, e.g. 1h; null for other datasets'),
      text('check', 'name of the failed check, e.g. ohlc_inconsistent', false),
      text('severity', 'severity of the check: error, warn or info', false, ['error', 'warn', 'info']),
      text('reason', 'why the row was flagged, with the measured values', false),
      text('row_key', 'natural key of the offending row as JSON text (times as ISO-8601 UTC)', false),
      time('row_available_time', 'available_time of the offending row as stored (may be before event_time), UTC', true),
      text('row_source', 'source (lineage) of the offending row'),
    ],
    naturalKey: ['venue', 'symbol', 'dataset', 'check', 'row_key'],
  }),
};

export function datasetSpec(name: string): DatasetSpec {
  if (!(DATASET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`unknown dataset ${JSON.stringify(name)}; known: ${DATASET_NAMES.join(', ')}`);
  }
  return DATASETS[name as DatasetName];
}

/** All columns of a dataset as rows carry them: partition keys first, then stored columns. */
export function allColumns(spec: DatasetSpec): ColumnSpec[] {
  const keys: ColumnSpec[] = spec.partitionKeys.map((k) => ({
    name: k,
    type: 'VARCHAR',
    nullable: false,
    doc: `partition key ${k}`,
    ...(k === 'price' ? { allowed: PRICE_TYPES } : {}),
  }));
  return [...keys, ...spec.columns];
}

/**
 * Partition values become folder names: lower-risk slugs only (letters, digits, '-', '_', '.'),
 * starting with a letter or digit, at most 64 characters. "../x", "a/b" and "" are refused.
 */
export const SLUG_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isSlug(value: string): boolean {
  return SLUG_RE.test(value) && !value.includes('..');
}

const slug = z.string().refine(isSlug, { message: 'not a safe partition value (letters, digits, - _ . only)' });
const micros = z.number().int().refine(Number.isSafeInteger, { message: 'time must be integer microseconds' });

function zodFor(c: ColumnSpec): z.ZodType {
  let t: z.ZodType;
  switch (c.type) {
    case 'TIMESTAMP':
      t = micros;
      break;
    case 'DOUBLE': {
      // Same wording as the SQL checks of the store, whichever path a row takes.
      let n: z.ZodType<number> = z.custom<number>((v) => typeof v === 'number' && Number.isFinite(v), {
        message: 'not a finite number (NaN or infinity)',
      });
      if (c.positive) n = n.refine((v) => v > 0, { message: 'must be > 0' });
      if (c.nonNegative) n = n.refine((v) => v >= 0, { message: 'must be >= 0' });
      t = n;
      break;
    }
    case 'BIGINT':
      t = z.union([z.number().int(), z.bigint()]);
      break;
    case 'BOOLEAN':
      t = z.boolean();
      break;
    case 'VARCHAR':
      t = c.allowed ? z.enum(c.allowed as [string, ...string[]]) : z.string();
      break;
  }
  return c.nullable ? t.nullable().optional() : t;
}

/** zod schema of one row of a dataset as a JS object (partition keys included). */
export function rowSchema(spec: DatasetSpec): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const c of allColumns(spec)) {
    shape[c.name] = spec.partitionKeys.includes(c.name as PartitionKey) && !c.allowed ? slug : zodFor(c);
  }
  return z
    .object(shape)
    .strict()
    .refine(
      (r) => typeof r['available_time'] !== 'number' || typeof r['event_time'] !== 'number' || r['available_time'] >= r['event_time'],
      { message: 'available_time is earlier than event_time', path: ['available_time'] },
    ) as unknown as z.ZodType<Record<string, unknown>>;
}

export const BAR_TIMEFRAMES: Record<string, number> = {
  '1m': 60,
  '3m': 180,
  '5m': 300,
  '15m': 900,
  '30m': 1800,
  '1h': 3600,
  '2h': 7200,
  '4h': 14400,
  '6h': 21600,
  '8h': 28800,
  '12h': 43200,
  '1d': 86400,
};

/** Seconds in a bar timeframe such as "15m"; throws on an unknown one. */
export function timeframeSeconds(tf: string): number {
  const s = BAR_TIMEFRAMES[tf];
  if (s === undefined) throw new Error(`unknown timeframe ${JSON.stringify(tf)}; known: ${Object.keys(BAR_TIMEFRAMES).join(', ')}`);
  return s;
}
