import { z } from 'zod';

/**
 * Exchange REST fetch (`perpkit fetch --venue ...`): venues, the datasets they serve, and every
 * number that matters (publication delays, rate limits, retry budget, page sizes, fee tiers)
 * with its default, documented here and nowhere else.
 */

export const VENUES = ['coinbase', 'coinbase-intx', 'binance-usdm', 'binance-spot'] as const;
export type VenueId = (typeof VENUES)[number];

/**
 * What `--datasets` accepts: the dataset names of the store, with `mark` and `index` standing for
 * `bars` with price=mark and price=index (`bars` alone is price=last).
 */
export const VENUE_DATASETS = ['bars', 'mark', 'index', 'trades', 'funding', 'open_interest', 'instruments'] as const;
export type VenueDataset = (typeof VENUE_DATASETS)[number];

export const DEFAULT_VENUE_DATASETS: readonly VenueDataset[] = ['instruments', 'bars', 'funding', 'open_interest'];

/**
 * The target set of the Coinbase US perp-style futures: the five largest by volume
 * (../shared/DESIGN.md). Used as the default `--symbols` of every venue.
 */
export const TARGET_BASES = ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE'] as const;

/** Publication delays of backfilled rows: available_time = event_time + delay (milliseconds). */
export const VenueDelaysSchema = z.object({
  /**
   * A closed candle is served by the REST candle endpoints of all four venues within about a
   * second of the bar close; 2 s leaves margin (same as the Binance file import).
   */
  bars_ms: z.number().int().nonnegative().default(2_000),
  /** A trade is on the public trade endpoints (and the trade streams) well within a second. */
  trades_ms: z.number().int().nonnegative().default(1_000),
  /** A settled funding rate appears on the funding endpoints shortly after the settlement time. */
  funding_ms: z.number().int().nonnegative().default(5_000),
  /**
   * Binance openInterestHist is a statistics endpoint refreshed every few minutes; 5 min is a
   * conservative allowance. Open interest snapshots (Coinbase) are stamped at receive time instead.
   */
  open_interest_ms: z.number().int().nonnegative().default(300_000),
});
export type VenueDelays = z.infer<typeof VenueDelaysSchema>;

/** Retries of one HTTP request (429, 5xx, timeouts, connection errors). */
export const RetrySchema = z.object({
  /** retries after the first attempt; then the fetch stops with exit 5 */
  max_retries: z.number().int().nonnegative().default(5),
  /** first backoff; doubles per retry, with full jitter (a random wait in [0, backoff]) */
  base_delay_ms: z.number().int().nonnegative().default(500),
  /** cap of one backoff */
  max_delay_ms: z.number().int().nonnegative().default(30_000),
  /** a Retry-After longer than this is not waited for: the fetch stops (exit 5) instead */
  max_retry_after_ms: z.number().int().nonnegative().default(120_000),
  /** one attempt fails as a timeout after this long */
  timeout_ms: z.number().int().positive().default(15_000),
});
export type RetryConfig = z.infer<typeof RetrySchema>;

/**
 * Public REST request rates used per venue (requests per second, all endpoints together).
 * - coinbase: Advanced Trade public endpoints allow 10 requests/s per IP.
 * - coinbase-intx: 10 requests/s (ccxt's coinbaseinternational rateLimit is 100 ms).
 * - binance-usdm: 2400 request weight/min per IP; klines at limit 1500 weigh 10, so 4/s stays under.
 * - binance-spot: 6000 weight/min; klines at limit 1000 weigh 2; 10/s is far under.
 */
export const RATE_LIMITS_PER_S: Record<VenueId, number> = {
  coinbase: 10,
  'coinbase-intx': 10,
  'binance-usdm': 4,
  'binance-spot': 10,
};

/** Items per request, at each venue's documented maximum. Tests lower them to force paging. */
export const PageLimitsSchema = z.object({
  /** Coinbase Advanced Trade candles: at most 350 per request (else INVALID_ARGUMENT) */
  coinbase_candles: z.number().int().positive().default(350),
  /** Coinbase Advanced Trade market trades (ticker) */
  coinbase_trades: z.number().int().positive().default(1000),
  /** Coinbase International candles: 300 per request (ccxt features.fetchOHLCV.limit) */
  intx_candles: z.number().int().positive().default(300),
  /** Coinbase International funding history: result_limit */
  intx_funding: z.number().int().positive().default(100),
  /** Binance USD-M klines / markPriceKlines / indexPriceKlines: max 1500 */
  binance_usdm_klines: z.number().int().positive().default(1500),
  /** Binance USD-M fundingRate: max 1000 */
  binance_funding: z.number().int().positive().default(1000),
  /** Binance USD-M openInterestHist: max 500 */
  binance_open_interest: z.number().int().positive().default(500),
  /** Binance aggTrades (spot and USD-M): max 1000 */
  binance_trades: z.number().int().positive().default(1000),
  /** Binance spot klines: max 1000 */
  binance_spot_klines: z.number().int().positive().default(1000),
});
export type PageLimits = z.infer<typeof PageLimitsSchema>;

export const VenueFetchConfigSchema = z.object({
  delays: VenueDelaysSchema.default(VenueDelaysSchema.parse({})),
  retry: RetrySchema.default(RetrySchema.parse({})),
  /** overrides RATE_LIMITS_PER_S for the venue of the run */
  requests_per_second: z.number().positive().optional(),
  /** (symbol, dataset) tasks run at once; all share the venue's rate limit */
  max_concurrency: z.number().int().positive().default(2),
  pages: PageLimitsSchema.default(PageLimitsSchema.parse({})),
  /** rows buffered per task before a write; a killed run loses at most this much (refetched on resume) */
  write_batch_rows: z.number().int().positive().default(50_000),
  /** with no --from and nothing stored yet, start this long before --to (or now) */
  initial_lookback_ms: z.number().int().positive().default(86_400_000),
  /** Coinbase trades are fetched in windows of this length (each window is written whole) */
  trades_window_ms: z.number().int().positive().default(3_600_000),
  /** Binance serves openInterestHist for the last 30 days only */
  binance_oi_history_days: z.number().int().positive().default(30),
  /** period of Binance openInterestHist rows */
  binance_oi_period: z.enum(['5m', '15m', '30m', '1h', '2h', '4h', '6h', '12h', '1d']).default('5m'),
});
export type VenueFetchConfig = z.infer<typeof VenueFetchConfigSchema>;
export type VenueFetchConfigInput = z.input<typeof VenueFetchConfigSchema>;

export const DEFAULT_VENUE_FETCH_CONFIG: VenueFetchConfig = VenueFetchConfigSchema.parse({});

/** One fee tier: from this 30-day USD volume on, these maker/taker fees (fractions of notional). */
export interface FeeTier {
  min_volume_30d: number;
  maker: number;
  taker: number;
}

/**
 * Coinbase US (Advanced Trade) fee tiers applied to the perp-style futures, lowest tier first:
 * 0.40% maker / 0.60% taker up to 0% / 0.05% from $400M. Source: the tier table of ccxt 4.5.84
 * (js/src/coinbase.js, fees.trading.tiers, citing https://www.coinbase.com/advanced-fees), which
 * matches the figures of the task statement (0.40%/0.60% down to 0%/0.05%). Coinbase Financial
 * Markets may quote its futures differently (per-contract fees, promotions): check before trading.
 */
export const COINBASE_FEE_TIERS: readonly FeeTier[] = [
  { min_volume_30d: 0, maker: 0.004, taker: 0.006 },
  { min_volume_30d: 10_000, maker: 0.0025, taker: 0.004 },
  { min_volume_30d: 50_000, maker: 0.0015, taker: 0.0025 },
  { min_volume_30d: 100_000, maker: 0.001, taker: 0.002 },
  { min_volume_30d: 1_000_000, maker: 0.0008, taker: 0.0018 },
  { min_volume_30d: 15_000_000, maker: 0.0006, taker: 0.0016 },
  { min_volume_30d: 75_000_000, maker: 0.0003, taker: 0.0012 },
  { min_volume_30d: 250_000_000, maker: 0, taker: 0.0008 },
  { min_volume_30d: 400_000_000, maker: 0, taker: 0.0005 },
];

/**
 * Coinbase US perp-style futures funding: the rate is set and accrues every hour (product
 * metadata: funding_interval "3600s") and is settled in cash twice a day.
 */
export const COINBASE_PERP_FUNDING = {
  accrual_hours: 1,
  settlement_hours: 12,
} as const;

/** Environment variable that points a venue at another base URL (tests, proxies): PERPKIT_VENUE_BASE_URL_COINBASE_INTX */
export function baseUrlEnvVar(venue: VenueId): string {
  return `PERPKIT_VENUE_BASE_URL_${venue.toUpperCase().replace(/-/g, '_')}`;
}

/** Environment variables read for credentials (never logged or stored); public endpoints need none. */
export const CREDENTIAL_ENV: Record<VenueId, { apiKey: string; secret: string; password?: string }> = {
  coinbase: { apiKey: 'COINBASE_API_KEY', secret: 'COINBASE_API_SECRET' },
  'coinbase-intx': { apiKey: 'COINBASE_INTX_API_KEY', secret: 'COINBASE_INTX_API_SECRET', password: 'COINBASE_INTX_PASSPHRASE' },
  'binance-usdm': { apiKey: 'BINANCE_API_KEY', secret: 'BINANCE_API_SECRET' },
  'binance-spot': { apiKey: 'BINANCE_API_KEY', secret: 'BINANCE_API_SECRET' },
};
