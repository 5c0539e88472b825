import { z } from 'zod';

/**
 * Numbers that matter, with their defaults, in one place. The README's "Defaults" table is
 * generated from the same values (keep them in step; a test checks it).
 */

/** Publication delays of backfilled data: available_time = event_time + delay. */
export const SourceDelaysSchema = z.object({
  /**
   * Binance candle files: a bar becomes available this long after its close (a live system
   * polling REST klines sees the closed bar within about a second; 2 s leaves margin). Milliseconds.
   */
  binance_bar_delay_ms: z.number().int().nonnegative().default(2_000),
  /**
   * Binance funding files: the settled rate is published shortly after the settlement time;
   * 5 s is a conservative allowance for the REST fundingRate endpoint. Milliseconds.
   */
  binance_funding_delay_ms: z.number().int().nonnegative().default(5_000),
});
export type SourceDelays = z.infer<typeof SourceDelaysSchema>;

/** Fee and funding facts of venues imported from files (no metadata endpoint to ask). */
export const VENUE_STATIC = {
  'binance-usdm': {
    /** USD-M regular user (VIP 0) fees, fraction of notional. */
    maker_fee: 0.0002,
    taker_fee: 0.0005,
    /** funding settles every 8 hours (00:00, 08:00, 16:00 UTC) */
    funding_interval_hours: 8,
    quote: 'USDT',
  },
  'binance-spot': {
    /** spot regular user (VIP 0) fees, fraction of notional. */
    maker_fee: 0.001,
    taker_fee: 0.001,
    quote: 'USDT',
  },
} as const;

export const DEFAULT_SOURCE_DELAYS: SourceDelays = SourceDelaysSchema.parse({});

/** Parses a duration such as "2s", "500ms", "1m", "1h" into milliseconds. */
export function parseDurationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) throw new Error(`bad duration ${JSON.stringify(text)}; use a number and a unit: 500ms, 2s, 1m, 1h, 1d`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(n * unit);
}
