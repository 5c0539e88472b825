import { timestampValue } from '@duckdb/node-api';
import type { ServiceContext } from '../../domain/context.js';
import { isSlug, timeframeSeconds, BAR_TIMEFRAMES } from '../../domain/datasets.js';
import { missingError, usageError } from '../../domain/errors.js';
import { DEFAULT_FEATURES_CONFIG, FeaturesConfigSchema, type FeatureFamily, type FeaturesConfig } from '../../domain/features.js';
import { latestInstruments } from '../../store/read.js';

export const US_PER_MS = 1000;

export interface FeaturesOptions {
  root: string;
  venue: string;
  /** perps to compute; default: every perp of the venue in instruments */
  symbols?: string[];
  timeframe: string;
  /** decision times in [from, to), epoch µs; default: everything stored */
  from?: number;
  to?: number;
  /** families to compute; the others are written as NULL. Default: all */
  families?: FeatureFamily[];
  config?: Partial<FeaturesConfig>;
  /**
   * recompute only decisions at or after the earliest input row stored since the last build of
   * this scope (and write the same values a full rebuild would)
   */
  incremental?: boolean;
  /** compute symbols in a worker thread while the store writes the one before: auto (default: symbols of 100,000+ slots on 2+ cores), on, off */
  worker?: WorkerMode;
}

/** Where a feature build computes its symbols: a worker thread when large enough (auto), always (on), never (off). */
export type WorkerMode = 'auto' | 'on' | 'off';

export interface Plan {
  root: string;
  venue: string;
  timeframe: string;
  tfUs: number;
  symbols: string[];
  /** symbol -> spot reference and funding interval */
  refs: Map<string, { spot_venue: string | null; spot_symbol: string | null; funding_interval_hours: number }>;
  cfg: FeaturesConfig;
  from: number | undefined;
  to: number | undefined;
}

export const ts = (us: number | undefined): ReturnType<typeof timestampValue> | null =>
  us === undefined ? null : timestampValue(BigInt(Math.round(us)));

export async function plan(opts: FeaturesOptions, ctx: ServiceContext): Promise<Plan> {
  const cfg = FeaturesConfigSchema.parse({ ...DEFAULT_FEATURES_CONFIG, ...(opts.config ?? {}) });
  if (!isSlug(opts.venue)) throw usageError(`--venue ${JSON.stringify(opts.venue)} is not a valid venue name`);
  if (!(opts.timeframe in BAR_TIMEFRAMES)) {
    throw usageError(`--timeframe ${opts.timeframe} is not known`, { hint: `use one of ${Object.keys(BAR_TIMEFRAMES).join(', ')}` });
  }
  for (const s of opts.symbols ?? []) if (!isSlug(s)) throw usageError(`--symbols value ${JSON.stringify(s)} is not a valid symbol`);
  const all = await latestInstruments(ctx, opts.root, { venue: [opts.venue] });
  if (all.length === 0) {
    throw missingError(`no instruments for venue ${opts.venue} under ${opts.root}`, {
      hint: 'run "perpkit fetch --source sample" (or a fetch of that venue) first',
    });
  }
  const inst = all.filter((r) => r['kind'] === 'perp');
  const perps = inst.map((r) => String(r['symbol']));
  const symbols = opts.symbols ?? perps;
  const unknown = symbols.filter((s) => !perps.includes(s));
  if (unknown.length) {
    throw usageError(`--symbols must be perps stored for ${opts.venue}, got ${unknown.join(', ')}`, {
      hint: `perps stored for ${opts.venue}: ${perps.join(', ') || 'none'}`,
      details: { flag: 'symbols', value: unknown, accepted: perps },
    });
  }
  const refs = new Map<string, { spot_venue: string | null; spot_symbol: string | null; funding_interval_hours: number }>();
  for (const r of inst) {
    refs.set(String(r['symbol']), {
      spot_venue: (r['spot_venue'] as string | null) ?? null,
      spot_symbol: (r['spot_symbol'] as string | null) ?? null,
      funding_interval_hours: Number(r['funding_interval_hours'] ?? cfg.default_funding_interval_hours),
    });
  }
  return {
    root: opts.root,
    venue: opts.venue,
    timeframe: opts.timeframe,
    tfUs: timeframeSeconds(opts.timeframe) * 1_000_000,
    symbols,
    refs,
    cfg,
    from: opts.from,
    to: opts.to,
  };
}

/** Loads one bar series into table `into` (appending), rolled up from a finer stored timeframe if needed. */
