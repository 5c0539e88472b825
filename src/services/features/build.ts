import { timestampValue } from '@duckdb/node-api';
import type { ServiceContext } from '../../domain/context.js';
import { AGE_COLUMNS, FEATURE_FAMILIES, FEATURES, featuresSpec, type FeatureFamily } from '../../domain/features.js';
import { openWrite, type WriteResult } from '../../store/dataset.js';
import { execQuery, runQuery } from '../../store/queries.js';
import { release, scan, type ScanOptions } from '../../store/read.js';
import { DATASETS, type DatasetSpec } from '../../domain/datasets.js';
import { computeFeatures, type ComputePlan, type ComputeResult, type FeatureSink } from './compute.js';
import { stageInputs } from './inputs.js';
import { plan, US_PER_MS, type FeaturesOptions, type Plan } from './plan.js';

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
  /** with incremental: the first decision time recomputed (null: nothing new since the last build) */
  recomputed_from?: string | null;
  write?: WriteResult;
}

export async function compute(ctx: ServiceContext, p: Plan, timings: Record<string, number>, sink?: FeatureSink, worker?: ComputePlan['worker']): Promise<ComputeResult> {
  const fundingHours = new Map<string, number>();
  for (const [s, r] of p.refs) fundingHours.set(s, r.funding_interval_hours);
  return computeFeatures(ctx, { symbols: p.symbols, tfUs: p.tfUs, cfg: p.cfg, fundingHours, from: p.from, to: p.to, ...(worker ? { worker } : {}) }, timings, sink);
}

/**
 * A partial build (--set) replaces only its families' columns: the others are taken from the rows
 * already stored for the same decisions (NULL where there are none).
 */
async function keepOtherFamilies(ctx: ServiceContext, p: Plan, families: FeatureFamily[], symbol: string, span: { from: number; to: number }): Promise<string> {
  const others = FEATURES.filter((x) => !families.includes(x.family)).map((x) => x.name);
  if (others.length === 0) return 'feat_batch';
  const prev = await scan(ctx, p.root, featuresSpec(), {
    venue: [p.venue],
    symbol: [symbol],
    timeframe: [p.timeframe],
    from: span.from,
    event_from: span.from,
    to: span.to,
    columns: ['symbol', 'event_time', ...others],
    prefix: 'feat_prev',
  });
  try {
    if (prev.files === 0) await execQuery(ctx.db, 'features/keep_none', {}, { lists: { feat_keep: others } });
    else await execQuery(ctx.db, 'features/keep_prev', {}, { idents: { prev: prev.table }, lists: { feat_keep: others } });
  } finally {
    await release(ctx, prev.table);
  }
  return 'feat_stage';
}

/**
 * The first decision time an incremental build must recompute: the earliest event_time of any input
 * row stored after the scope's features were last written (a backfilled old bar counts from its own
 * time), or undefined when nothing new arrived; null when no features are stored (a full build).
 */
async function incrementalStart(ctx: ServiceContext, p: Plan): Promise<number | null | undefined> {
  const last = await scan(ctx, p.root, featuresSpec(), { venue: [p.venue], symbol: p.symbols, timeframe: [p.timeframe], columns: ['ingest_time'], prefix: 'feat_last' });
  if (last.files === 0 || last.rows === 0) return null;
  const lastBuild = Number((await runQuery(ctx.db, 'features/last_ingest', {}, { idents: { t: last.table } }))[0]?.['us']);
  await release(ctx, last.table);
  const perps = [...new Set([...p.symbols, p.cfg.btc_symbol])];
  const spots = p.symbols.map((s) => p.refs.get(s)).filter((r): r is NonNullable<typeof r> => !!r?.spot_venue && !!r.spot_symbol);
  const reads: Array<[DatasetSpec, ScanOptions]> = [
    [DATASETS.bars, { venue: [p.venue], symbol: perps }],
    [DATASETS.funding, { venue: [p.venue], symbol: perps }],
    [DATASETS.open_interest, { venue: [p.venue], symbol: perps }],
    ...spots.map((r): [DatasetSpec, ScanOptions] => [DATASETS.bars, { venue: [r.spot_venue as string], symbol: [r.spot_symbol as string] }]),
    [DATASETS.trades, { venue: [p.venue], symbol: p.symbols }],
    ...spots.map((r): [DatasetSpec, ScanOptions] => [DATASETS.trades, { venue: [r.spot_venue as string], symbol: [r.spot_symbol as string] }]),
  ];
  let first: number | undefined;
  for (const [spec, o] of reads) {
    const s = await scan(ctx, p.root, spec, { ...o, ingested_after: lastBuild, columns: ['event_time'], include_quarantined: true, prefix: 'new_rows' });
    if (s.rows > 0) {
      const t = Number((await runQuery(ctx.db, 'features/first_event', {}, { idents: { t: s.table } }))[0]?.['us']);
      first = first === undefined ? t : Math.min(first, t);
    }
    await release(ctx, s.table);
  }
  return first;
}

export async function buildFeatures(opts: FeaturesOptions, ctx: ServiceContext): Promise<FeaturesResult> {
  let p = await plan(opts, ctx);
  const families = opts.families ?? [...FEATURE_FAMILIES];
  const notes: string[] = [];
  const timings: Record<string, number> = {};
  const t0 = performance.now();
  let recomputedFrom: string | null | undefined;
  if (opts.incremental) {
    const start = await incrementalStart(ctx, p);
    if (start === undefined) {
      ctx.log.info('features: nothing stored since the last build; nothing to recompute');
      const none = Object.fromEntries(['perp_bars', 'funding', 'open_interest', 'spot_bars', 'btc_bars'].map((k) => [k, 0]));
      return { data_dir: opts.root, venue: p.venue, timeframe: p.timeframe, symbols: p.symbols, families, rows: 0, stale: none, missing: { ...none }, notes, excluded: {}, timings_ms: {}, recomputed_from: null };
    }
    if (start !== null) {
      // a new row at event time t can change every decision at or after t, and none before
      const from = Math.max(start, p.from ?? -Infinity);
      p = { ...p, from };
      recomputedFrom = new Date(from / 1000).toISOString();
      ctx.log.info(`features: incremental: recomputing decisions from ${recomputedFrom}`);
    }
  }
  ctx.log.info(`features: staging inputs for ${p.symbols.join(', ')} at ${p.timeframe}`);
  const excluded: Record<string, number> = {};
  const ts0 = performance.now();
  await stageInputs(ctx, p, notes, excluded);
  timings['stage'] = performance.now() - ts0;
  for (const [k, n] of Object.entries(excluded)) ctx.log.warn(`excluded ${n} quarantined row(s) of ${k}`);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  ctx.log.info('features: computing');
  const spec = featuresSpec();
  const now = ctx.clock.now() * US_PER_MS;
  // Each symbol's rows go from the engine's column source straight into one write transaction
  // (a batch per symbol: its partitions), committed once all symbols are done.
  const writer = await openWrite(ctx, { root: opts.root, spec });
  let write: WriteResult;
  let computed: ComputeResult;
  let sinkMs = 0;
  try {
    const sink: FeatureSink = async (symbol, src, _rows, span) => {
      const tw = performance.now();
      await execQuery(ctx.db, 'features/batch_vars', { venue: p.venue, tf: p.timeframe, source: 'perpkit-features', now: timestampValue(BigInt(now)), symbol });
      await execQuery(ctx.db, 'features/batch_view', {}, { idents: { src: src.name }, lists: { feat_age_cols: [...AGE_COLUMNS] } });
      const stage = await keepOtherFamilies(ctx, p, families, symbol, span);
      ctx.log.progress(`features: writing ${symbol}`);
      await writer.add(stage);
      sinkMs += performance.now() - tw;
    };
    // DuckDB on one thread from here on: the column source is read on one thread anyway, the worker
    // thread takes the second core, and the store's one-thread COPYs then do not change the thread
    // count per batch (W1: 2.2 M -> 1.2 M page faults, the write 26.7 -> 14.8 s; staging keeps both threads)
    [computed, write] = await ctx.db.withThreads(1, async () => {
      const c = await compute(ctx, p, timings, sink, opts.worker);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const tc = performance.now();
      const w = await writer.commit();
      timings['write'] = sinkMs + performance.now() - tc;
      return [c, w] as const;
    });
  } finally {
    await writer.close();
    await execQuery(ctx.db, 'features/batch_drop');
  }
  const { stale, missing, late_trades } = computed;
  const rows = computed.rows;
  if (late_trades > 0) notes.push(`${late_trades} trade(s) arrived after their bar's taker-flow snapshot (close + ${p.cfg.trade_flow_grace_ms} ms) and were left out of it`);
  ctx.log.info(`features: wrote ${rows} rows`);
  // the sink's time is the write, not the engine's row hand-over
  timings['write_rows'] = Math.max(0, (timings['write_rows'] ?? 0) - sinkMs);
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
    ...(recomputedFrom !== undefined ? { recomputed_from: recomputedFrom } : {}),
    write,
  };
}


export interface BuiltFamily {
  venue: string;
  timeframe: string;
  family: FeatureFamily;
  symbols: number;
  /** decision rows where at least one of the family's features has a value */
  rows_with_values: number;
  first: string | null;
  last: string | null;
}

/** Which families are built in a data dir, for which venues, timeframes and decision range. */
export async function builtFamilies(ctx: ServiceContext, root: string): Promise<BuiltFamily[]> {
  const s = await scan(ctx, root, featuresSpec(), { prefix: 'feat_built' });
  if (s.files === 0) return [];
  const out: BuiltFamily[] = [];
  for (const family of FEATURE_FAMILIES) {
    const cols = FEATURES.filter((x) => x.family === family).map((x) => x.name);
    const rows = await runQuery(ctx.db, 'features/built_family', {}, { idents: { t: s.table, cols } });
    for (const r of rows) {
      out.push({
        venue: String(r['venue']),
        timeframe: String(r['timeframe']),
        family,
        symbols: Number(r['symbols']),
        rows_with_values: Number(r['n']),
        first: (r['first'] as string | null) ?? null,
        last: (r['last'] as string | null) ?? null,
      });
    }
  }
  await release(ctx, s.table);
  return out;
}
