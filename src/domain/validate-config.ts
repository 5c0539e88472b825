import { z } from 'zod';

/**
 * Thresholds, severities and known closures of `perpkit validate`, with their defaults, in one
 * place. `--config FILE` (JSON) overrides any of them; a key not listed here is refused (exit 2).
 * The README's validate section repeats these defaults.
 */

export const SEVERITIES = ['info', 'warn', 'error'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Rank for comparisons: a check fails the run when its rank >= the --fail-on rank. */
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warn: 1, error: 2 };

/**
 * Every check name a validation query may emit, with its default severity and whether its rows
 * go to the quarantine (a row-level defect) or are only reported (something is missing, or the
 * row was found to be real).
 */
export const CHECK_DEFAULTS = {
  // bars_gaps.sql
  bar_gap: { severity: 'warn', quarantine: false },
  bar_missing: { severity: 'info', quarantine: false },
  known_closure: { severity: 'info', quarantine: false },
  // duplicates.sql
  duplicate_key: { severity: 'error', quarantine: true },
  // bars_timestamps.sql
  misaligned_time: { severity: 'error', quarantine: true },
  non_monotonic_time: { severity: 'warn', quarantine: true },
  wrong_partition: { severity: 'error', quarantine: true },
  // bars_ohlc.sql
  ohlc_inconsistent: { severity: 'error', quarantine: true },
  nonpositive_price: { severity: 'error', quarantine: true },
  nonfinite_value: { severity: 'error', quarantine: true },
  negative_volume: { severity: 'error', quarantine: true },
  // bars_outliers.sql
  price_outlier: { severity: 'error', quarantine: true },
  price_outlier_unconfirmed: { severity: 'warn', quarantine: true },
  outlier_confirmed: { severity: 'info', quarantine: false },
  // clocks.sql
  available_before_event: { severity: 'error', quarantine: true },
  event_in_future: { severity: 'error', quarantine: true },
  implausible_time: { severity: 'error', quarantine: true },
  time_precision_loss: { severity: 'warn', quarantine: true },
  // funding_schedule.sql
  funding_missing: { severity: 'warn', quarantine: false },
  funding_off_schedule: { severity: 'error', quarantine: true },
  funding_out_of_bounds: { severity: 'error', quarantine: true },
  funding_nonfinite: { severity: 'error', quarantine: true },
  // funding_cross_source.sql
  funding_cross_source: { severity: 'warn', quarantine: false },
  // predicted_funding.sql
  predicted_funding_stale: { severity: 'warn', quarantine: true },
  predicted_funding_mixup: { severity: 'error', quarantine: true },
  // coverage.sql
  spot_reference_missing: { severity: 'warn', quarantine: false },
  mark_index_missing: { severity: 'warn', quarantine: false },
} as const satisfies Record<string, { severity: Severity; quarantine: boolean }>;

export type CheckName = keyof typeof CHECK_DEFAULTS;
export const CHECK_NAMES = Object.keys(CHECK_DEFAULTS) as CheckName[];

const severity = z.enum(SEVERITIES);
const fraction = z.number().finite().nonnegative();
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM');

/** A recurring weekly closure of a venue: bars missing inside it are a known closure, not a gap. */
export const ClosureSchema = z
  .object({
    /** venue slug it applies to, e.g. coinbase */
    venue: z.string().min(1),
    /** day of week the closure starts, in `tz`: 0 = Sunday ... 6 = Saturday */
    weekday: z.number().int().min(0).max(6),
    /** start time of day in `tz`, HH:MM */
    start: hhmm,
    /** length of the closure, minutes */
    duration_minutes: z.number().int().positive().max(7 * 24 * 60),
    /** IANA time zone of weekday/start (daylight saving follows it), e.g. America/New_York */
    tz: z.string().min(1).default('UTC'),
    /** where the fact comes from */
    note: z.string().default(''),
  })
  .strict();
export type Closure = z.infer<typeof ClosureSchema>;

const checkOverride = z.object({ severity: severity.optional(), quarantine: z.boolean().optional(), enabled: z.boolean().optional() }).strict();

export const ValidateConfigSchema = z
  .object({
    /** per check: severity, whether its rows are quarantined, whether it runs at all */
    checks: z.record(z.string(), checkOverride).default({}),
    gaps: z
      .object({
        /**
         * Seed §2.3: flag gaps > 5 minutes in 1m data, i.e. more than 5 bar intervals between two
         * consecutive bars; scaled to the timeframe (1h bars: more than 5 h). Shorter holes are
         * reported as bar_missing (info).
         */
        max_gap_bars: z.number().positive().default(5),
      })
      .strict()
      .default({ max_gap_bars: 5 }),
    /**
     * Recurring weekly closures by venue. Seed §1.1 says Coinbase US perp-style futures trade 24/7
     * "with 1-hour weekly maintenance"; Coinbase Derivatives' market-hours page says the window is
     * weekly and "to be announced" without giving a time. The default below (Friday 17:00-18:00
     * New York time, the slot of the former Friday close) is an assumption: set the real window here.
     */
    closures: z
      .array(ClosureSchema)
      .default([
        {
          venue: 'coinbase',
          weekday: 5,
          start: '17:00',
          duration_minutes: 60,
          tz: 'America/New_York',
          note: 'assumed slot of the 1-hour weekly maintenance of Coinbase Derivatives (seed §1.1); not confirmed by a published schedule',
        },
      ]),
    outliers: z
      .object({
        /** seed §2.3: a move over 10% within 1 minute is a potential bad print (fraction) */
        max_move_1m: fraction.default(0.1),
        /**
         * Volatility scaling: a bar is a candidate when its largest excursion from the previous close
         * exceeds this many times the trailing median excursion of its series.
         */
        vol_multiple: z.number().positive().default(12),
        /** trailing window of the median excursion, bars */
        vol_window_bars: z.number().int().min(4).default(96),
        /** never flag an excursion below this (fraction), whatever the trailing volatility */
        min_move: fraction.default(0.03),
        /**
         * Cross-check: a candidate move is real when a reference series (other price type of the same
         * perp, its spot reference, or the perp of a spot market) moved at least this share of it in
         * the same direction from the same previous close; else it is a bad print.
         */
        confirm_ratio: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .default({ max_move_1m: 0.1, vol_multiple: 12, vol_window_bars: 96, min_move: 0.03, confirm_ratio: 0.5 }),
    clocks: z
      .object({
        /** event_time later than the row's ingest_time (its fetch time) by more than this is in the future, ms */
        future_tolerance_ms: z.number().int().nonnegative().default(60_000),
        /** event times before this (UTC date) are implausible for market data: a unit mix-up (s vs ms vs µs) */
        earliest_event_time: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).default('2009-01-03'),
      })
      .strict()
      .default({ future_tolerance_ms: 60_000, earliest_event_time: '2009-01-03' }),
    funding: z
      .object({
        /** cadence when neither the row nor the instrument says, hours */
        default_interval_hours: z.number().positive().default(8),
        /** a settlement may be stamped this far from its schedule (Binance stamps carry a few ms), ms */
        schedule_tolerance_ms: z.number().int().nonnegative().default(1_000),
        /** plausible |settled rate| per hour of interval (0.5% per 8 h by default), fraction */
        max_abs_rate_per_hour: fraction.default(0.000625),
        /** predicted rate unchanged for longer than this is stale (frozen feed), ms */
        predicted_max_age_ms: z.number().int().positive().default(3_600_000),
        /** cross-source: |rate difference| allowed between two sources of one settlement, fraction */
        cross_source_tolerance: fraction.default(0.000005),
        /**
         * Pairs of venues that carry the same perps under the same symbols (e.g. the venue's REST
         * history and a file import stored under another venue slug). Compared settlement by settlement.
         */
        cross_sources: z.array(z.object({ venue: z.string(), other_venue: z.string() }).strict()).default([]),
      })
      .strict()
      .default({
        default_interval_hours: 8,
        schedule_tolerance_ms: 1_000,
        max_abs_rate_per_hour: 0.000625,
        predicted_max_age_ms: 3_600_000,
        cross_source_tolerance: 0.000005,
        cross_sources: [],
      }),
    coverage: z
      .object({
        /** coverage is compared by buckets of this many minutes */
        bucket_minutes: z.number().int().positive().default(60),
        /** bar price types a perp's last bars need alongside (features use mark for basis and funding) */
        required_prices: z.array(z.enum(['mark', 'index'])).default(['mark']),
        /** report perps without spot reference bars */
        spot_reference: z.boolean().default(true),
      })
      .strict()
      .default({ bucket_minutes: 60, required_prices: ['mark'], spot_reference: true }),
    report: z
      .object({
        /** examples kept per (dataset, venue, symbol, check) in the report */
        examples: z.number().int().nonnegative().default(5),
      })
      .strict()
      .default({ examples: 5 }),
  })
  .strict();

export type ValidateConfig = z.infer<typeof ValidateConfigSchema>;

export const DEFAULT_VALIDATE_CONFIG: ValidateConfig = ValidateConfigSchema.parse({});

export interface ResolvedCheck {
  name: CheckName;
  severity: Severity;
  quarantine: boolean;
  enabled: boolean;
}

/** Severity, quarantine and enabled flag of every check after the config's overrides. */
export function resolveChecks(config: ValidateConfig): Record<CheckName, ResolvedCheck> {
  const unknown = Object.keys(config.checks).filter((k) => !(CHECK_NAMES as string[]).includes(k));
  if (unknown.length) throw new Error(`unknown check(s) ${unknown.join(', ')}; known: ${CHECK_NAMES.join(', ')}`);
  const out = {} as Record<CheckName, ResolvedCheck>;
  for (const name of CHECK_NAMES) {
    const o = config.checks[name] ?? {};
    out[name] = {
      name,
      severity: o.severity ?? CHECK_DEFAULTS[name].severity,
      quarantine: o.quarantine ?? CHECK_DEFAULTS[name].quarantine,
      enabled: o.enabled ?? true,
    };
  }
  return out;
}
