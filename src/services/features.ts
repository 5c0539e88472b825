import { timestampValue } from '@duckdb/node-api';
import type { ServiceContext } from '../domain/context.js';
import { DATASETS, isSlug, timeframeSeconds, BAR_TIMEFRAMES } from '../domain/datasets.js';
import { missingError, usageError } from '../domain/errors.js';
export { featuresSpec, labelsSpec };
import {
  AGE_COLUMNS,
  DEFAULT_FEATURES_CONFIG,
  FEATURE_FAMILIES,
  FEATURES,
  FeaturesConfigSchema,
  type FeatureFamily,
  type FeaturesConfig,
} from '../domain/features.js';
import { quoteIdent as q } from '../store/duckdb.js';
import { computeFeatures, type ComputeResult } from './features/compute.js';
import { featuresSpec, labelsSpec } from '../domain/features.js';
import { datasetFiles, listOf, SCAN_SQL, writeTable, type WriteResult } from '../store/dataset.js';
import { runStep } from '../store/steps.js';
import { excludeQuarantined } from '../store/quarantine.js';

const US_PER_MS = 1000;

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
}

export interface FeaturesResult {
  data_dir: string;
  venue: string;
  timeframe: string;
  symbols: string[];
  families: FeatureFamily[];
  rows: number;
  /** per input: decision rows where it was older than its maximum age (its features are NULL there) */
  stale: Record<string, number>;
  /** per input: decision rows where it had no row at all yet */
  missing: Record<string, number>;
  /** what is not there and why (no spot reference, no OI data, ...) */
  notes: string[];
  /** input rows left out because perpkit validate quarantined them, per input series */
  excluded: Record<string, number>;
  timings_ms: Record<string, number>;
  write?: WriteResult;
}

interface Plan {
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

const ts = (us: number | undefined): ReturnType<typeof timestampValue> | null =>
  us === undefined ? null : timestampValue(BigInt(Math.round(us)));

async function plan(opts: FeaturesOptions, ctx: ServiceContext): Promise<Plan> {
  const cfg = FeaturesConfigSchema.parse({ ...DEFAULT_FEATURES_CONFIG, ...(opts.config ?? {}) });
  if (!isSlug(opts.venue)) throw usageError(`--venue ${JSON.stringify(opts.venue)} is not a valid venue name`);
  if (!(opts.timeframe in BAR_TIMEFRAMES)) {
    throw usageError(`--timeframe ${opts.timeframe} is not known`, { hint: `use one of ${Object.keys(BAR_TIMEFRAMES).join(', ')}` });
  }
  for (const s of opts.symbols ?? []) if (!isSlug(s)) throw usageError(`--symbols value ${JSON.stringify(s)} is not a valid symbol`);
  const instFiles = await datasetFiles(opts.root, DATASETS.instruments, { venue: [opts.venue] });
  if (instFiles.length === 0) {
    throw missingError(`no instruments for venue ${opts.venue} under ${opts.root}`, {
      hint: 'run "perpkit fetch --source sample" (or a fetch of that venue) first',
    });
  }
  const inst = await ctx.db.all(
    `SELECT symbol, spot_venue, spot_symbol, funding_interval_hours FROM ${SCAN_SQL} WHERE kind = 'perp'
     QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY event_time DESC) = 1 ORDER BY symbol`,
    { files: listOf(instFiles) },
  );
  const perps = inst.map((r) => String(r['symbol']));
  const symbols = opts.symbols ?? perps;
  const unknown = symbols.filter((s) => !perps.includes(s));
  if (unknown.length) {
    throw missingError(`no perp instrument ${unknown.join(', ')} on ${opts.venue}`, { hint: `perps stored for ${opts.venue}: ${perps.join(', ') || 'none'}` });
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
async function stageBars(
  ctx: ServiceContext,
  p: Plan,
  into: string,
  src: { venue: string; symbol: string; price: string },
  asSymbol: string,
  lowerUs: number | undefined,
  excluded: Record<string, number>,
): Promise<string | null> {
  const target = timeframeSeconds(p.timeframe);
  const candidates = Object.entries(BAR_TIMEFRAMES)
    .filter(([, s]) => s <= target && target % s === 0)
    .sort((a, b) => b[1] - a[1]);
  for (const [tf, secs] of candidates) {
    const files = await datasetFiles(p.root, DATASETS.bars, {
      venue: [src.venue],
      symbol: [src.symbol],
      price: [src.price],
      timeframe: [tf],
      ...(lowerUs !== undefined ? { from: lowerUs } : {}),
      ...(p.to !== undefined ? { to: p.to + 86_400_000_000 } : {}),
    });
    if (files.length === 0) continue;
    await ctx.db.exec(
      `CREATE OR REPLACE TEMP TABLE __bars_src AS
       SELECT venue, symbol, price, timeframe, event_time, available_time, open_time, open, high, low, close, volume FROM ${SCAN_SQL}
       WHERE ($lower IS NULL OR event_time >= $lower) AND ($upper IS NULL OR available_time < $upper)`,
      { files: listOf(files), lower: ts(lowerUs), upper: ts(p.to) },
    );
    // Rows quarantined by `perpkit validate` are left out (and counted).
    const ex = await excludeQuarantined(ctx, { root: p.root, dataset: 'bars', table: '__bars_src' });
    if (ex.rows_excluded > 0) excluded[`bars ${src.venue}/${src.symbol} ${src.price} ${tf}`] = ex.rows_excluded;
    if (secs === target) {
      await ctx.db.exec(
        `INSERT INTO ${q(into)} SELECT $sym, event_time, available_time, open_time, open, high, low, close, volume FROM __bars_src`,
        { sym: asSymbol },
      );
    } else {
      // Roll up complete buckets only; a rolled-up bar is available when its last part is.
      await ctx.db.exec(
        `INSERT INTO ${q(into)}
         SELECT $sym, max(event_time), max(available_time), min(open_time), arg_min(open, event_time), max(high), min(low),
                arg_max(close, event_time), sum(volume)
         FROM __bars_src
         GROUP BY time_bucket(to_seconds($secs), open_time)
         HAVING count(*) = $parts`,
        { sym: asSymbol, secs: target, parts: target / secs },
      );
    }
    await ctx.db.exec('DROP TABLE IF EXISTS __bars_src');
    return tf;
  }
  return null;
}

const BAR_COLS = '(symbol VARCHAR, event_time TIMESTAMP, available_time TIMESTAMP, open_time TIMESTAMP, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE)';

/** Loads every input the families need into raw_* tables. */
async function stageInputs(ctx: ServiceContext, p: Plan, notes: string[], excluded: Record<string, number>): Promise<void> {
  const lower = p.from !== undefined ? p.from - p.cfg.warmup_bars * p.tfUs : undefined;
  for (const t of ['raw_perp', 'raw_spot', 'raw_mark']) await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE ${t} ${BAR_COLS}`);
  const perpSyms = [...new Set([...p.symbols, ...(p.refs.has(p.cfg.btc_symbol) ? [p.cfg.btc_symbol] : [])])];
  for (const s of perpSyms) {
    const tf = await stageBars(ctx, p, 'raw_perp', { venue: p.venue, symbol: s, price: p.cfg.price }, s, lower, excluded);
    if (tf === null) {
      if (!p.symbols.includes(s)) {
        notes.push(`no ${p.cfg.price} bars of ${s} at ${p.timeframe}: cross-asset features are NULL`);
        continue;
      }
      throw missingError(`no ${p.cfg.price} bars of ${p.venue}/${s} at ${p.timeframe} or a finer timeframe that divides it`, {
        hint: `run "perpkit datasets --symbols ${s}" to see what is stored`,
      });
    }
    if (tf !== p.timeframe) notes.push(`${s}: ${p.timeframe} bars rolled up from ${tf}`);
    const mtf = await stageBars(ctx, p, 'raw_mark', { venue: p.venue, symbol: s, price: 'mark' }, s, lower, excluded);
    if (mtf === null && p.symbols.includes(s)) notes.push(`${s}: no mark bars at ${p.timeframe}: mark_basis is NULL`);
    const ref = p.refs.get(s);
    if (p.symbols.includes(s)) {
      if (ref?.spot_venue && ref.spot_symbol) {
        const stf = await stageBars(ctx, p, 'raw_spot', { venue: ref.spot_venue, symbol: ref.spot_symbol, price: 'last' }, s, lower, excluded);
        if (stf === null) notes.push(`${s}: no bars of its spot reference ${ref.spot_venue}/${ref.spot_symbol}: perp-spot features are NULL`);
        else if (stf !== p.timeframe) notes.push(`${s}: spot ${ref.spot_symbol} ${p.timeframe} bars rolled up from ${stf}`);
      } else notes.push(`${s}: no spot reference in instruments: perp-spot features are NULL`);
    }
  }
  // Funding and open interest: every perp (BTC too, for funding_diff_btc).
  const fundingLower = p.from !== undefined ? p.from - p.cfg.warmup_funding_prints * 8 * 3_600_000_000 : undefined;
  if (!(await stageSeries(ctx, p, 'funding', 'funding_rate', 'raw_funding', perpSyms, fundingLower, excluded))) {
    notes.push('no funding stored for these perps: funding features are NULL');
  }
  if (!(await stageSeries(ctx, p, 'open_interest', 'open_interest', 'raw_oi', perpSyms, lower, excluded))) {
    notes.push('no open interest stored for these perps: OI features are NULL');
  }
}

/**
 * Loads one value column of a per-print dataset (funding, open interest) into `into`
 * (symbol, event_time, available_time, <column>), quarantined rows left out and counted.
 * Returns false when nothing is stored.
 */
async function stageSeries(
  ctx: ServiceContext,
  p: Plan,
  dataset: 'funding' | 'open_interest',
  column: 'funding_rate' | 'open_interest',
  into: string,
  symbols: string[],
  lowerUs: number | undefined,
  excluded: Record<string, number>,
): Promise<boolean> {
  const col = q(column);
  // funding keeps each print's settlement interval (windows of prints are consecutive on it)
  const extra = dataset === 'funding' ? ', funding_interval_hours' : '';
  await ctx.db.exec(
    `CREATE OR REPLACE TEMP TABLE ${q(into)} (symbol VARCHAR, event_time TIMESTAMP, available_time TIMESTAMP, ${col} DOUBLE${dataset === 'funding' ? ', funding_interval_hours DOUBLE' : ''})`,
  );
  const files = await datasetFiles(p.root, DATASETS[dataset], { venue: [p.venue], symbol: symbols });
  if (files.length === 0) return false;
  await ctx.db.exec(
    `CREATE OR REPLACE TEMP TABLE __series_src AS SELECT venue, symbol, event_time, available_time, ${col}${extra} FROM ${SCAN_SQL}
     WHERE ($lower IS NULL OR event_time >= $lower) AND ($upper IS NULL OR available_time < $upper)`,
    { files: listOf(files), lower: ts(lowerUs), upper: ts(p.to) },
  );
  const ex = await excludeQuarantined(ctx, { root: p.root, dataset, table: '__series_src' });
  if (ex.rows_excluded > 0) excluded[`${dataset} ${p.venue}`] = ex.rows_excluded;
  await ctx.db.exec(`INSERT INTO ${q(into)} SELECT symbol, event_time, available_time, ${col}${extra} FROM __series_src; DROP TABLE __series_src`);
  return true;
}

/** The engine over the staged raw_* tables (a pure function of them and the plan: the leakage harness re-runs it). */
async function compute(ctx: ServiceContext, p: Plan, timings: Record<string, number>): Promise<ComputeResult> {
  const fundingHours = new Map<string, number>();
  for (const [s, r] of p.refs) fundingHours.set(s, r.funding_interval_hours);
  return computeFeatures(ctx, { symbols: p.symbols, tfUs: p.tfUs, cfg: p.cfg, fundingHours, from: p.from, to: p.to }, timings);
}

/**
 * A partial build (--set) replaces only its families' columns: the others are taken from the rows
 * already stored for the same decisions (NULL where there are none).
 */
async function keepOtherFamilies(ctx: ServiceContext, p: Plan, families: FeatureFamily[]): Promise<void> {
  const others = FEATURES.filter((x) => !families.includes(x.family)).map((x) => x.name);
  if (others.length === 0) return;
  const files = await datasetFiles(p.root, featuresSpec(), { venue: [p.venue], symbol: p.symbols, timeframe: [p.timeframe] });
  if (files.length === 0) {
    await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE feat_stage AS SELECT * REPLACE (${others.map((c) => `NULL::DOUBLE AS ${q(c)}`).join(', ')}) FROM feat_stage`);
    return;
  }
  await ctx.db.exec(
    `CREATE OR REPLACE TEMP TABLE feat_stage AS
     SELECT s.* REPLACE (${others.map((c) => `prev.${q(c)} AS ${q(c)}`).join(', ')})
     FROM feat_stage s
     LEFT JOIN (SELECT symbol, event_time, ${others.map(q).join(', ')} FROM ${SCAN_SQL} WHERE venue = $venue AND timeframe = $tf) prev
       USING (symbol, event_time)`,
    { files: listOf(files), venue: p.venue, tf: p.timeframe },
  );
}

export async function buildFeatures(opts: FeaturesOptions, ctx: ServiceContext): Promise<FeaturesResult> {
  const p = await plan(opts, ctx);
  const families = opts.families ?? [...FEATURE_FAMILIES];
  const notes: string[] = [];
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  ctx.log.info(`features: staging inputs for ${p.symbols.join(', ')} at ${p.timeframe}`);
  const excluded: Record<string, number> = {};
  await stageInputs(ctx, p, notes, excluded);
  for (const [k, n] of Object.entries(excluded)) ctx.log.warn(`excluded ${n} quarantined row(s) of ${k}`);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  ctx.log.info('features: computing');
  const { stale, missing } = await compute(ctx, p, timings);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const rows = Number(await ctx.db.scalar('SELECT count(*) FROM feat_out'));
  const spec = featuresSpec();
  const now = ctx.clock.now() * US_PER_MS;
  await ctx.db.exec(
    `CREATE OR REPLACE TEMP TABLE feat_stage AS
     SELECT $venue AS venue, symbol, $tf AS timeframe, decision_time AS event_time, decision_time AS available_time,
            $source AS source, $now AS ingest_time, ${spec.columns.slice(4).map((c) => q(c.name)).join(', ')}
     FROM feat_out`,
    { venue: p.venue, tf: p.timeframe, source: 'perpkit-features', now: timestampValue(BigInt(now)) },
  );
  await keepOtherFamilies(ctx, p, families);
  ctx.log.info(`features: writing ${rows} rows`);
  const t1 = performance.now();
  const write = await writeTable(ctx, { root: opts.root, spec }, 'feat_stage');
  timings['write'] = performance.now() - t1;
  timings['total'] = performance.now() - t0;
  for (const [input, n] of Object.entries(stale)) if (n > 0) ctx.log.warn(`${n} decision rows had stale ${input} (features from it are NULL there)`);
  return {
    data_dir: opts.root,
    venue: p.venue,
    timeframe: p.timeframe,
    symbols: p.symbols,
    families,
    rows,
    stale,
    missing,
    notes,
    excluded,
    timings_ms: Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, Math.round(v)])),
    write,
  };
}

// ---------------------------------------------------------------------------------------------
// Labels

export interface LabelsOptions {
  root: string;
  venue: string;
  symbols?: string[];
  /** timeframe of the decision grid (the features' timeframe) */
  timeframe: string;
  /** only bars of this timeframe price entries and exits; default: the finest data present (trades, then bars up to the decision timeframe) */
  label_timeframe?: string;
  /** e.g. ["1h", "4h"]: label horizons */
  horizons: string[];
  from?: number;
  to?: number;
  /** after the decision, ms */
  exec_latency_ms?: number;
  /** round-trip cost as a fraction; default: 2 x the instrument's taker fee */
  round_trip_cost?: number;
  config?: Partial<FeaturesConfig>;
}

export interface LabelsResult {
  data_dir: string;
  venue: string;
  timeframe: string;
  /** --label-timeframe, or "finest" */
  label_timeframe: string;
  /** per symbol: the sources that priced entries and exits (bars:<tf>, trades) */
  price_sources: Record<string, string[]>;
  horizons: string[];
  rows: number;
  /** decision rows per horizon with no label (no exit bar yet, or a gap at the exit) */
  unlabeled: Record<string, number>;
  /** bars left out because perpkit validate quarantined them */
  excluded: Record<string, number>;
  write?: WriteResult;
}

const durationMs = (text: string): number => {
  const m = /^(\d+)(m|h|d)$/.exec(text);
  if (!m) throw usageError(`bad horizon ${JSON.stringify(text)}; use minutes, hours or days such as 5m, 1h, 24h, 1d`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
};

export async function buildLabels(opts: LabelsOptions, ctx: ServiceContext): Promise<LabelsResult> {
  const p = await plan(opts, ctx);
  if (opts.label_timeframe !== undefined && !(opts.label_timeframe in BAR_TIMEFRAMES)) {
    throw usageError(`--label-timeframe ${opts.label_timeframe} is not known`, { hint: `use one of ${Object.keys(BAR_TIMEFRAMES).join(', ')}` });
  }
  if (opts.horizons.length === 0) throw usageError('--horizons is empty', { hint: 'give label horizons such as 1h,4h,24h' });
  const horizons = opts.horizons.map((h) => ({ h, ms: durationMs(h) }));
  const execLatency = opts.exec_latency_ms ?? 1000;
  const maxH = Math.max(...horizons.map((x) => x.ms));
  const excluded: Record<string, number> = {};
  // Decision grid: the same closes + latency as the features.
  await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE raw_perp ${BAR_COLS}`);
  for (const s of p.symbols) {
    if ((await stageBars(ctx, p, 'raw_perp', { venue: p.venue, symbol: s, price: p.cfg.price }, s, p.from, excluded)) === null) {
      throw missingError(`no ${p.cfg.price} bars of ${p.venue}/${s} at ${p.timeframe}`);
    }
  }
  await runStep(ctx, 'features/label_grid', { lat: BigInt(p.cfg.decision_latency_ms), from: ts(p.from), to: ts(p.to), tf_us: BigInt(p.tfUs) });
  // Prices: every stored last-price timeframe up to the decision timeframe (or only --label-timeframe),
  // and trades where stored; the finest source at each instant wins.
  const upper = p.to !== undefined ? p.to + (maxH + execLatency + 2 * timeframeSeconds(p.timeframe) * 1000) * 1000 : undefined;
  const lower = p.from;
  await ctx.db.exec(
    'CREATE OR REPLACE TEMP TABLE label_src (symbol VARCHAR, px_time TIMESTAMP, price DOUBLE, available_time TIMESTAMP, tol_ms BIGINT, source VARCHAR)',
  );
  const limit = timeframeSeconds(opts.label_timeframe ?? p.timeframe);
  const tfs = Object.entries(BAR_TIMEFRAMES).filter(([tf, secs]) => (opts.label_timeframe ? tf === opts.label_timeframe : secs <= limit));
  const sources: Record<string, string[]> = {};
  for (const s of p.symbols) {
    for (const [tf, secs] of tfs) {
      const files = await datasetFiles(p.root, DATASETS.bars, {
        venue: [p.venue], symbol: [s], price: ['last'], timeframe: [tf],
        ...(lower !== undefined ? { from: lower } : {}),
        ...(upper !== undefined ? { to: upper } : {}),
      });
      if (files.length === 0) continue;
      await ctx.db.exec(
        `CREATE OR REPLACE TEMP TABLE __label_bars AS SELECT venue, symbol, price, timeframe, event_time, available_time, open_time, open FROM ${SCAN_SQL}
         WHERE ($lower IS NULL OR event_time >= $lower) AND ($upper IS NULL OR open_time < $upper)`,
        { files: listOf(files), lower: ts(lower), upper: ts(upper) },
      );
      const ex = await excludeQuarantined(ctx, { root: p.root, dataset: 'bars', table: '__label_bars' });
      if (ex.rows_excluded > 0) excluded[`bars ${p.venue}/${s} last ${tf}`] = ex.rows_excluded;
      await ctx.db.exec(
        'INSERT INTO label_src SELECT symbol, open_time, open, available_time, $tol, $src FROM __label_bars',
        { tol: BigInt(secs * 1000), src: `bars:${tf}` },
      );
      await ctx.db.exec('DROP TABLE __label_bars');
      (sources[s] ??= []).push(`bars:${tf}`);
    }
    if (!opts.label_timeframe) {
      const tFiles = await datasetFiles(p.root, DATASETS.trades, {
        venue: [p.venue], symbol: [s],
        ...(lower !== undefined ? { from: lower } : {}),
        ...(upper !== undefined ? { to: upper } : {}),
      });
      if (tFiles.length > 0) {
        await ctx.db.exec(
          `INSERT INTO label_src SELECT symbol, event_time, price, available_time, $tol, 'trades' FROM ${SCAN_SQL}
           WHERE ($lower IS NULL OR event_time >= $lower) AND ($upper IS NULL OR event_time < $upper)`,
          { files: listOf(tFiles), lower: ts(lower), upper: ts(upper), tol: BigInt(p.cfg.label_trade_max_gap_ms) },
        );
        (sources[s] ??= []).push('trades');
      }
    }
    if (!sources[s]) throw missingError(`no last bars of ${p.venue}/${s} at ${opts.label_timeframe ?? `${p.timeframe} or finer`} for the entry and exit prices`);
  }
  await runStep(ctx, 'features/label_px');
  await ctx.db.exec('CREATE OR REPLACE TEMP TABLE label_horizons AS SELECT unnest($names) AS horizon, unnest($ms)::BIGINT AS horizon_ms', {
    names: listOf(horizons.map((x) => x.h)),
    ms: listOf(horizons.map((x) => String(x.ms))),
  });
  const instFiles = await datasetFiles(p.root, DATASETS.instruments, { venue: [p.venue], symbol: p.symbols });
  await ctx.db.exec(
    `CREATE OR REPLACE TEMP TABLE label_costs AS
     SELECT symbol, coalesce($cost, 2 * taker_fee, 0) AS round_trip_cost FROM ${SCAN_SQL}
     QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY event_time DESC) = 1`,
    { files: listOf(instFiles), cost: opts.round_trip_cost ?? null },
  );
  await runStep(ctx, 'features/labels', { exec_latency_ms: BigInt(execLatency) });
  const unl = await ctx.db.all(`SELECT horizon, count(*) FILTER (WHERE label_end_time IS NULL)::BIGINT AS n FROM label_out GROUP BY ALL ORDER BY ALL`);
  const spec = labelsSpec();
  await ctx.db.exec(
    `CREATE OR REPLACE TEMP TABLE label_stage AS
     SELECT $venue AS venue, symbol, $tf AS timeframe, decision_time AS event_time, exit_available_time AS available_time,
            $source AS source, $now AS ingest_time, horizon, horizon_ms, entry_time, entry_price, entry_source, exit_time, exit_price, exit_source,
            label_end_time, fwd_return, round_trip_cost, cost_return
     FROM label_out WHERE label_end_time IS NOT NULL`,
    { venue: p.venue, tf: p.timeframe, source: 'perpkit-labels', now: timestampValue(BigInt(ctx.clock.now() * US_PER_MS)) },
  );
  const rows = Number(await ctx.db.scalar('SELECT count(*) FROM label_stage'));
  const write = await writeTable(ctx, { root: p.root, spec }, 'label_stage');
  const unlabeled = Object.fromEntries(unl.map((r) => [String(r['horizon']), Number(r['n'])]));
  for (const [h, n] of Object.entries(unlabeled)) if (n > 0) ctx.log.warn(`${n} decision rows have no ${h} label (no price yet, or a gap at the entry or exit)`);
  return {
    data_dir: p.root,
    venue: p.venue,
    timeframe: p.timeframe,
    label_timeframe: opts.label_timeframe ?? 'finest',
    price_sources: sources,
    horizons: opts.horizons,
    rows,
    unlabeled,
    excluded,
    write,
  };
}

// ---------------------------------------------------------------------------------------------
// Leakage harness

export interface LeakageOptions extends FeaturesOptions {
  cutoffs: number;
  seed?: number;
  /**
   * Runs after every computation, before the comparison (a seam for tests that plant a leak in
   * feat_out to show the harness catches it). Not used by the command.
   */
  afterCompute?: (ctx: ServiceContext) => Promise<void>;
}

export interface LeakageDifference {
  cutoff: string;
  mode: 'drop' | 'perturb';
  symbol: string;
  decision_time: string;
  column: string;
  full: number | null;
  modified: number | null;
}

export interface LeakageResult {
  cutoffs: string[];
  compared_rows: number;
  compared_values: number;
  /** compared values that were not NULL (a check of only NULLs proves nothing) */
  compared_non_null: number;
  /** rows of input data with available_time > cutoff that were dropped or perturbed, summed */
  modified_input_rows: number;
  differences: LeakageDifference[];
  ok: boolean;
}

const RAW_TABLES = ['raw_perp', 'raw_spot', 'raw_mark', 'raw_funding', 'raw_oi'] as const;

/**
 * For random cutoffs T: recompute every feature with each input row whose available_time > T
 * dropped, and again with those rows perturbed, and require every value at decision times <= T to
 * be bit-identical to the computation on the unmodified inputs (../shared/DESIGN.md, PIT rule 6).
 */
export async function checkLeakage(opts: LeakageOptions, ctx: ServiceContext): Promise<LeakageResult> {
  const p = await plan(opts, ctx);
  const notes: string[] = [];
  await stageInputs(ctx, p, notes, {});
  const db = ctx.db;
  for (const t of RAW_TABLES) await db.exec(`CREATE OR REPLACE TEMP TABLE ${q(`keep_${t}`)} AS SELECT * FROM ${q(t)}`);
  const range = await db.all(
    `SELECT epoch_us(min(event_time))::BIGINT AS lo, epoch_us(max(event_time))::BIGINT AS hi FROM keep_raw_perp WHERE symbol IN (SELECT unnest($syms))`,
    { syms: listOf(p.symbols) },
  );
  const lo = Number(range[0]?.['lo']);
  const hi = Number(range[0]?.['hi']);
  const warmUs = p.cfg.warmup_bars * p.tfUs;
  const spanUs = 48 * p.tfUs; // decision times compared before each cutoff
  const aheadUs = 48 * p.tfUs; // rows after the cutoff that get dropped or perturbed
  if (!(hi - lo > warmUs + spanUs)) {
    throw missingError(`not enough ${p.timeframe} bars for the leakage check (need more than ${p.cfg.warmup_bars + 48} bars)`);
  }
  // Seeded cutoffs (xorshift), placed after a full warm-up; a cutoff lands between two bar closes.
  let state = (opts.seed ?? 42) >>> 0 || 1;
  const rand = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const cutoffs: number[] = [];
  for (let i = 0; i < opts.cutoffs; i++) cutoffs.push(Math.round(lo + warmUs + spanUs + rand() * (hi - lo - warmUs - spanUs)));
  const cols = [...AGE_COLUMNS, ...FEATURES.map((x) => x.name)];
  const differences: LeakageDifference[] = [];
  let comparedRows = 0;
  let nonNull = 0;
  let modified = 0;
  const priceCols: Record<string, string[]> = {
    raw_perp: ['open', 'high', 'low', 'close', 'volume'],
    raw_spot: ['open', 'high', 'low', 'close', 'volume'],
    raw_mark: ['open', 'high', 'low', 'close'],
    raw_funding: ['funding_rate'],
    raw_oi: ['open_interest'],
  };
  for (const [ci, T] of cutoffs.entries()) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.log.progress(`leakage: cutoff ${ci + 1}/${cutoffs.length}`);
    const params = { lower: ts(T - warmUs - spanUs), upper: ts(T + aheadUs), cut: ts(T) };
    // The grid runs past the cutoff (a feature reading later decision rows must be caught too);
    // only decisions <= T are compared.
    const cp: Plan = { ...p, from: T - spanUs, to: T + aheadUs };
    const restrict = async (mode: 'full' | 'drop' | 'perturb'): Promise<void> => {
      for (const t of RAW_TABLES) {
        const window = `event_time >= $lower AND event_time < $upper`;
        if (mode === 'full') {
          await db.exec(`CREATE OR REPLACE TEMP TABLE ${q(t)} AS SELECT * FROM ${q(`keep_${t}`)} WHERE ${window}`, { lower: params.lower, upper: params.upper });
        }
        else if (mode === 'drop') {
          await db.exec(`CREATE OR REPLACE TEMP TABLE ${q(t)} AS SELECT * FROM ${q(`keep_${t}`)} WHERE ${window} AND available_time <= $cut`, params);
        } else {
          // Perturb every later row: values scaled by a row-dependent factor, clocks kept.
          const repl = (priceCols[t] ?? []).map((c) => `${q(c)} * (1.5 + 0.25 * sin(epoch(event_time))) AS ${q(c)}`).join(', ');
          await db.exec(
            `CREATE OR REPLACE TEMP TABLE ${q(t)} AS
             SELECT * FROM ${q(`keep_${t}`)} WHERE ${window} AND available_time <= $cut
             UNION ALL SELECT * REPLACE (${repl}) FROM ${q(`keep_${t}`)} WHERE ${window} AND available_time > $cut`,
            params,
          );
        }
      }
    };
    await restrict('full');
    for (const t of RAW_TABLES) {
      modified += Number(await db.scalar(`SELECT count(*) FROM ${q(t)} WHERE available_time > $cut`, { cut: ts(T) }));
    }
    await compute(ctx, cp, {});
    await opts.afterCompute?.(ctx);
    await db.exec(`CREATE OR REPLACE TEMP TABLE leak_full AS SELECT * FROM feat_out WHERE decision_time <= $cut`, { cut: ts(T) });
    comparedRows += Number(await db.scalar('SELECT count(*) FROM leak_full'));
    nonNull += Number(await db.scalar(`SELECT ${cols.map((c) => `count(${q(c)})`).join(' + ')} FROM leak_full`));
    for (const mode of ['drop', 'perturb'] as const) {
      await restrict(mode);
      await compute(ctx, cp, {});
      await opts.afterCompute?.(ctx);
      const diffs = await db.all(
        `SELECT a.symbol, strftime(coalesce(a.decision_time, b.decision_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS t, c.col,
                c.va AS full, c.vb AS modified
         FROM leak_full a FULL JOIN (SELECT * FROM feat_out WHERE decision_time <= $cut) b USING (symbol, decision_time)
         CROSS JOIN LATERAL (SELECT unnest([${cols.map((c) => `'${c}'`).join(', ')}]) AS col,
                                    unnest([${cols.map((c) => `a.${q(c)}::DOUBLE`).join(', ')}]) AS va,
                                    unnest([${cols.map((c) => `b.${q(c)}::DOUBLE`).join(', ')}]) AS vb) c
         WHERE c.va IS DISTINCT FROM c.vb OR a.symbol IS NULL OR b.symbol IS NULL
         LIMIT 50`,
        { cut: ts(T) },
      );
      for (const d of diffs) {
        differences.push({
          cutoff: new Date(T / 1000).toISOString(),
          mode,
          symbol: String(d['symbol']),
          decision_time: String(d['t']),
          column: String(d['col']),
          full: d['full'] === null ? null : Number(d['full']),
          modified: d['modified'] === null ? null : Number(d['modified']),
        });
      }
    }
  }
  ctx.log.progressDone();
  return {
    cutoffs: cutoffs.map((T) => new Date(T / 1000).toISOString()),
    compared_rows: comparedRows,
    compared_values: comparedRows * cols.length,
    compared_non_null: nonNull,
    modified_input_rows: modified,
    differences,
    ok: differences.length === 0,
  };
}
