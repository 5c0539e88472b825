import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DOUBLE, DuckDBDataChunk, INTEGER, listValue, TINYINT, timestampValue, type DuckDBType } from '@duckdb/node-api';
import type { ServiceContext } from '../domain/context.js';
import { DATASETS, isSlug, timeframeSeconds, type DatasetName } from '../domain/datasets.js';
import { usageError } from '../domain/errors.js';
import { SYNTHETIC_DEFAULTS } from '../domain/defaults.js';
import { listOf, writeRows, writeTable, type WriteResult } from '../store/dataset.js';
import { execQuery } from '../store/queries.js';
import { runStep } from '../store/steps.js';
import { ASSETS } from '../sources/synthetic/calibration.js';
import {
  DEFAULT_PUBLICATION,
  FUNDING_CADENCES,
  type Effects,
  type FundingCadence,
  type Publication,
} from '../sources/synthetic/effects.js';
import { SERIES_KINDS, SERIES_PER_ASSET, SyntheticMarket, type ChunkOutput } from '../sources/synthetic/generator.js';

/** Options of one synthetic generation run (see src/sources/synthetic/README.md). */
export interface SyntheticOptions {
  /** resolved data dir */
  root: string;
  /** venue name of the generated perps and spots */
  venue: string;
  /** base assets (BTC, ETH, SOL, XRP, DOGE) */
  bases: string[];
  /** first bar open and end of the span, epoch microseconds, [from, to); whole minutes */
  from: number;
  to: number;
  /** bar timeframe, e.g. 1m */
  timeframe: string;
  /** PRNG seed, integer 0 .. 2^32 - 1 */
  seed: number;
  effects: Effects;
  /** name recorded in lineage: default, none, or custom-<hash> */
  effects_name: string;
  cadence: FundingCadence;
  publication?: Publication;
  /** also write trades and quotes (short spans only) */
  with_ticks?: boolean;
}

export interface SyntheticResult {
  writes: WriteResult[];
  rows: number;
  /** ground-truth folder: truth.json (effects, seed, arguments) and regimes.parquet */
  ground_truth: string;
  /** time spent generating (JS) vs staging into DuckDB vs writing datasets, ms */
  timings_ms: { generate: number; stage: number; write: number };
}

/** Longest span for trades and quotes (they are for short studies; bars cover the long ones). */
export const MAX_TICK_DAYS = SYNTHETIC_DEFAULTS.max_tick_days;

const MINUTE_US = 60_000_000;

export function syntheticSymbols(bases: string[]): string[] {
  return bases.flatMap((b) => [`${b}-PERP`, `${b}-SPOT`]);
}

/** The lineage tag of an effects config read from a file: custom-<first 8 hex of its sha256>. */
export function effectsTag(effects: Effects): string {
  return `custom-${createHash('sha256').update(JSON.stringify(effects)).digest('hex').slice(0, 8)}`;
}

export async function generateSynthetic(opts: SyntheticOptions, ctx: ServiceContext): Promise<SyntheticResult> {
  const { db, log } = ctx;
  const tfMin = timeframeSeconds(opts.timeframe) / 60;
  if (!Number.isInteger(tfMin)) throw usageError(`--timeframe ${opts.timeframe}: the synthetic source makes bars of whole minutes`);
  if (!isSlug(opts.venue)) throw usageError(`--venue ${JSON.stringify(opts.venue)} is not a valid name`);
  for (const b of opts.bases) {
    if (!ASSETS[b]) {
      throw usageError(`--symbols: no synthetic calibration for ${JSON.stringify(b)}`, {
        hint: `the synthetic source knows ${Object.keys(ASSETS).join(', ')} (give base assets or BASE-PERP/BASE-SPOT)`,
      });
    }
  }
  if (!Number.isInteger(opts.seed) || opts.seed < 0 || opts.seed > 0xffffffff) throw usageError(`--seed must be an integer 0 .. 4294967295, got ${opts.seed}`);
  const fromMin = opts.from / MINUTE_US;
  const toMin = opts.to / MINUTE_US;
  if (!Number.isInteger(fromMin) || !Number.isInteger(toMin) || fromMin % tfMin !== 0 || toMin % tfMin !== 0) {
    throw usageError(`--from and --to must fall on ${opts.timeframe} bar boundaries for the synthetic source`);
  }
  if (toMin <= fromMin) throw usageError('--from must be before --to');
  // One simulated path per seed, from a fixed start: any window of it is the same series, so two
  // overlapping fetches agree on their overlap (no seam, no rows replacing each other).
  const epochMin = Date.parse(`${SYNTHETIC_DEFAULTS.epoch_iso}T00:00:00Z`) / 60_000;
  const endMin = Date.parse(`${SYNTHETIC_DEFAULTS.end_iso}T00:00:00Z`) / 60_000;
  if (fromMin < epochMin || toMin > endMin) {
    const bad = fromMin < epochMin ? 'from' : 'to';
    throw usageError(
      `--${bad} must lie within the simulated market, ${SYNTHETIC_DEFAULTS.epoch_iso} to ${SYNTHETIC_DEFAULTS.end_iso}, got --${bad} ${new Date((bad === 'from' ? fromMin : toMin) * 60_000).toISOString()}`,
      {
        hint: `the synthetic venue simulates one path per seed from ${SYNTHETIC_DEFAULTS.epoch_iso}; give --from/--to inside it`,
        details: { flag: bad, accepted: `${SYNTHETIC_DEFAULTS.epoch_iso} .. ${SYNTHETIC_DEFAULTS.end_iso}` },
      },
    );
  }
  if (opts.with_ticks && toMin - fromMin > MAX_TICK_DAYS * 1440) {
    throw usageError(`--with-ticks covers at most ${MAX_TICK_DAYS} days; the span is ${((toMin - fromMin) / 1440).toFixed(1)} days`, {
      hint: 'generate ticks for a shorter --from/--to span in a second run (bars stay identical: same seed, same draws)',
    });
  }
  const publication = opts.publication ?? DEFAULT_PUBLICATION;
  const market = new SyntheticMarket({
    seed: opts.seed,
    bases: opts.bases,
    start_minute: epochMin,
    timeframe_minutes: tfMin,
    effects: opts.effects,
    cadence: opts.cadence,
    publication,
    with_ticks: opts.with_ticks ?? false,
  });
  const source = `synthetic:seed=${opts.seed}:effects=${opts.effects_name}:funding=${opts.cadence}`;
  // Ingest time derived from the arguments, not the wall clock: bit-identical files on re-runs.
  const ingest = timestampValue(BigInt(opts.to));
  const params = { venue: opts.venue, source, ingest };
  const timings = { generate: 0, stage: 0, write: 0 };
  const totals = new Map<DatasetName, WriteResult>();
  let rows = 0;
  const add = (w: WriteResult): void => {
    rows += w.rows_in;
    const t = totals.get(w.dataset as DatasetName);
    if (!t) totals.set(w.dataset as DatasetName, { ...w });
    else {
      for (const k of Object.keys(w) as Array<keyof WriteResult>) {
        if (k !== 'dataset') (t[k] as number) += w[k] as number;
      }
    }
  };
  const write = async (name: DatasetName, stage: string): Promise<void> => {
    const t0 = performance.now();
    add(await writeTable(ctx, { root: opts.root, spec: DATASETS[name] }, stage));
    timings.write += performance.now() - t0;
  };

  // series: sid -> symbol, price
  const series = opts.bases.flatMap((b, a) => SERIES_KINDS.map((k, j) => ({ sid: a * SERIES_PER_ASSET + j, symbol: `${b}-${k.market}`, price: k.price })));
  await execQuery(db, 'synthetic/series', {
    sids: listValue(series.map((x) => x.sid)),
    symbols: listOf(series.map((x) => x.symbol)),
    prices: listOf(series.map((x) => x.price)),
  });

  // Run-up from the start of the simulated market to --from: simulated, nothing kept.
  for (let r = epochMin; r < fromMin; ) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const next = Math.min(fromMin, r + 7 * 1440);
    log.progress(`synthetic: simulating the run-up to ${new Date(fromMin * 60_000).toISOString().slice(0, 10)} (${new Date(r * 60_000).toISOString().slice(0, 10)})`);
    const t0 = performance.now();
    market.run(next - r, false);
    timings.generate += performance.now() - t0;
    r = next;
  }
  const regimes: Array<{ start_minute: number; end_minute: number; regime: number }> = [];
  let m = fromMin;
  try {
    while (m < toMin) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const next = Math.min(toMin, nextMonthMinute(m));
      const label = new Date(m * 60_000).toISOString().slice(0, 7);
      log.progress(`synthetic ${label}: generating`);
      let t0 = performance.now();
      const out = market.run(next - m);
      timings.generate += performance.now() - t0;
      appendRegimes(regimes, out.regime, m);

      t0 = performance.now();
      await stageBars(ctx, out, tfMin, params);
      timings.stage += performance.now() - t0;
      log.progress(`synthetic ${label}: writing bars`);
      await write('bars', '__syn_bars');

      t0 = performance.now();
      await stageOi(ctx, out, params, publication.ticker_delay_ms);
      timings.stage += performance.now() - t0;
      await write('open_interest', '__syn_oi');

      t0 = performance.now();
      const fundingRows = out.funding.map((f) => ({
        venue: opts.venue,
        symbol: `${opts.bases[f.asset]}-PERP`,
        event_time: f.minute * MINUTE_US,
        available_time: f.minute * MINUTE_US + f.delay_ms * 1000,
        source,
        ingest_time: opts.to,
        funding_rate: f.funding_rate,
        funding_interval_hours: f.funding_interval_hours,
        mark_price: f.mark_price,
      }));
      const tickerRows = out.ticker.map((r) => ({
        venue: opts.venue,
        symbol: `${opts.bases[r.asset]}-PERP`,
        event_time: r.minute * MINUTE_US,
        available_time: r.minute * MINUTE_US + r.delay_ms * 1000,
        source,
        ingest_time: opts.to,
        last_price: r.last_price,
        mark_price: r.mark_price,
        index_price: r.index_price,
        predicted_funding_rate: r.predicted_funding_rate,
        next_funding_time: r.next_funding_minute * MINUTE_US,
        open_interest: r.open_interest,
      }));
      timings.stage += performance.now() - t0;
      t0 = performance.now();
      if (fundingRows.length) add(await writeRows(ctx, { root: opts.root, spec: DATASETS.funding }, fundingRows));
      if (tickerRows.length) add(await writeRows(ctx, { root: opts.root, spec: DATASETS.derivative_ticker }, tickerRows));
      timings.write += performance.now() - t0;

      if (out.ticks) {
        t0 = performance.now();
        await stageTicks(ctx, out, params);
        timings.stage += performance.now() - t0;
        log.progress(`synthetic ${label}: writing trades and quotes`);
        await write('trades', '__syn_trades');
        await write('quotes', '__syn_quotes');
      }
      m = next;
    }
    add(await writeRows(ctx, { root: opts.root, spec: DATASETS.instruments }, instrumentRows(opts, source)));
  } finally {
    log.progressDone();
    await execQuery(db, 'synthetic/cleanup');
  }
  const ground_truth = await writeGroundTruth(ctx, opts, publication, regimes);
  return {
    writes: [...totals.values()],
    rows,
    ground_truth,
    timings_ms: { generate: Math.round(timings.generate), stage: Math.round(timings.stage), write: Math.round(timings.write) },
  };
}

/** First minute of the next UTC calendar month after minute m. */
function nextMonthMinute(m: number): number {
  const d = new Date(m * 60_000);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / 60_000;
}

function appendRegimes(out: Array<{ start_minute: number; end_minute: number; regime: number }>, regime: Uint8Array, start: number): void {
  for (let i = 0; i < regime.length; i++) {
    const r = regime[i]!;
    const last = out[out.length - 1];
    if (last && last.regime === r && last.end_minute === start + i) last.end_minute = start + i + 1;
    else out.push({ start_minute: start + i, end_minute: start + i + 1, regime: r });
  }
}

interface Col {
  name: string;
  type: DuckDBType;
  values: ArrayLike<number>;
}

/**
 * Bulk load of typed arrays into a new temp table through DuckDB data chunks (2048 rows each),
 * writing the vectors directly: far faster than the per-value appender for millions of rows.
 */
async function loadColumns(ctx: ServiceContext, create: string, table: string, cols: Col[], n: number): Promise<void> {
  const { db } = ctx;
  await execQuery(db, create);
  const appender = await db.conn.createAppender(table, 'main', 'temp');
  const types = cols.map((c) => c.type);
  const size = 2048;
  for (let off = 0; off < n; off += size) {
    const k = Math.min(size, n - off);
    const chunk = DuckDBDataChunk.create(types, k);
    for (let j = 0; j < cols.length; j++) {
      const v = chunk.getColumnVector(j);
      const src = cols[j]!.values;
      for (let i = 0; i < k; i++) v.setItem(i, src[off + i]!);
      v.flush();
    }
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
}

/** The context for a stage step: the generator's own progress line stays (steps would replace it). */
function quiet(ctx: ServiceContext): Pick<ServiceContext, 'db' | 'log'> {
  return { db: ctx.db, log: { ...ctx.log, progress: (): void => undefined } };
}

type Params = { venue: string; source: string; ingest: ReturnType<typeof timestampValue> };

async function stageBars(ctx: ServiceContext, out: ChunkOutput, tfMin: number, p: Params): Promise<void> {
  const b = out.bars;
  await loadColumns(
    ctx,
    'synthetic/raw_bars',
    '__syn_raw',
    [
      { name: 'sid', type: INTEGER, values: b.sid },
      { name: 'end_minute', type: DOUBLE, values: b.end_minute },
      { name: 'delay_ms', type: INTEGER, values: b.delay_ms },
      { name: 'open', type: DOUBLE, values: b.open },
      { name: 'high', type: DOUBLE, values: b.high },
      { name: 'low', type: DOUBLE, values: b.low },
      { name: 'close', type: DOUBLE, values: b.close },
      { name: 'volume', type: DOUBLE, values: b.volume },
      { name: 'trade_count', type: INTEGER, values: b.trade_count },
    ],
    b.n,
  );
  await runStep(quiet(ctx), 'synthetic/bars', { ...p, timeframe: `${tfMin >= 60 && tfMin % 60 === 0 ? (tfMin % 1440 === 0 ? `${tfMin / 1440}d` : `${tfMin / 60}h`) : `${tfMin}m`}`, tf: tfMin });
  await execQuery(ctx.db, 'synthetic/raw_drop');
}

async function stageOi(ctx: ServiceContext, out: ChunkOutput, p: Params, delayMs: number): Promise<void> {
  const o = out.oi;
  await loadColumns(
    ctx,
    'synthetic/raw_oi',
    '__syn_raw',
    [
      { name: 'sid', type: INTEGER, values: o.asset.map((a) => a * SERIES_PER_ASSET) },
      { name: 'minute', type: DOUBLE, values: o.minute },
      { name: 'oi', type: DOUBLE, values: o.open_interest },
      { name: 'oiv', type: DOUBLE, values: o.open_interest_value },
    ],
    o.n,
  );
  await runStep(quiet(ctx), 'synthetic/oi', { ...p, delay_us: delayMs * 1000 });
  await execQuery(ctx.db, 'synthetic/raw_drop');
}

async function stageTicks(ctx: ServiceContext, out: ChunkOutput, p: Params): Promise<void> {
  const t = out.ticks;
  if (!t) return;
  await loadColumns(
    ctx,
    'synthetic/raw_ticks',
    '__syn_raw',
    [
      { name: 'sid', type: INTEGER, values: t.sid },
      { name: 'time_us', type: DOUBLE, values: t.time_us },
      { name: 'delay_us', type: DOUBLE, values: t.delay_us },
      { name: 'trade_id', type: DOUBLE, values: t.trade_id },
      { name: 'price', type: DOUBLE, values: t.price },
      { name: 'size', type: DOUBLE, values: t.size },
      { name: 'side', type: TINYINT, values: t.side },
      { name: 'bid', type: DOUBLE, values: t.bid },
      { name: 'ask', type: DOUBLE, values: t.ask },
      { name: 'bid_size', type: DOUBLE, values: t.bid_size },
      { name: 'ask_size', type: DOUBLE, values: t.ask_size },
    ],
    t.n,
  );
  await runStep(quiet(ctx), 'synthetic/trades', p);
  // The quote that the trade hit, published 1 us before it, with the same receive latency.
  await runStep(quiet(ctx), 'synthetic/quotes', p);
  await execQuery(ctx.db, 'synthetic/raw_drop');
}

function instrumentRows(opts: SyntheticOptions, source: string): Array<Record<string, unknown>> {
  const cad = FUNDING_CADENCES[opts.cadence];
  // Fees of the imitated venue's lowest tier: Coinbase US perp-style futures (maker 0 / taker 0.03%
  // promotional schedule assumed), Binance USD-M VIP 0 (0.02% / 0.05%); spot 0.10% / 0.10%.
  const perpFees = opts.cadence === 'coinbase' ? { maker: 0, taker: 0.0003 } : { maker: 0.0002, taker: 0.0005 };
  const spotFees = { maker: 0.001, taker: 0.001 };
  return opts.bases.flatMap((b) => {
    const c = ASSETS[b]!;
    const common = {
      venue: opts.venue,
      event_time: 0,
      available_time: 0,
      source,
      ingest_time: opts.to,
      base: b,
      quote: 'USD',
      tick_size: c.tick_size,
      expiry: null,
    };
    return [
      {
        ...common,
        symbol: `${b}-PERP`,
        venue_symbol: `${b}-PERP-SYN`,
        kind: 'perp',
        settle: 'USD',
        contract_size: 1,
        lot_size: 1,
        funding_interval_hours: cad.interval_hours,
        funding_accrual_hours: cad.accrual_hours,
        maker_fee: perpFees.maker,
        taker_fee: perpFees.taker,
        fee_tiers: JSON.stringify([{ min_volume_30d: 0, maker: perpFees.maker, taker: perpFees.taker }]),
        spot_venue: opts.venue,
        spot_symbol: `${b}-SPOT`,
      },
      {
        ...common,
        symbol: `${b}-SPOT`,
        venue_symbol: `${b}-USD-SYN`,
        kind: 'spot',
        settle: null,
        contract_size: 1,
        lot_size: null,
        funding_interval_hours: null,
        funding_accrual_hours: null,
        maker_fee: spotFees.maker,
        taker_fee: spotFees.taker,
        fee_tiers: JSON.stringify([{ min_volume_30d: 0, maker: spotFees.maker, taker: spotFees.taker }]),
        spot_venue: null,
        spot_symbol: null,
      },
    ];
  });
}

/**
 * Writes <root>/synthetic/ground_truth/<venue>/: truth.json (seed, arguments, effects and
 * publication settings actually used, calibration) and regimes.parquet (start_time, end_time,
 * regime 'calm'|'stress'), each replaced atomically (temp file + rename).
 */
async function writeGroundTruth(
  ctx: ServiceContext,
  opts: SyntheticOptions,
  publication: Publication,
  regimes: Array<{ start_minute: number; end_minute: number; regime: number }>,
): Promise<string> {
  const dir = join(opts.root, 'synthetic', 'ground_truth', opts.venue);
  mkdirSync(dir, { recursive: true });
  const iso = (us: number): string => new Date(us / 1000).toISOString();
  const truth = {
    generator: 'perpkit synthetic',
    venue: opts.venue,
    seed: opts.seed,
    symbols: syntheticSymbols(opts.bases),
    from: iso(opts.from),
    to: iso(opts.to),
    timeframe: opts.timeframe,
    funding_cadence: opts.cadence,
    effects_name: opts.effects_name,
    effects: opts.effects,
    publication,
    calibration: Object.fromEntries(opts.bases.map((b) => [b, ASSETS[b]])),
    regime_minutes: {
      calm: regimes.filter((r) => r.regime === 0).reduce((s, r) => s + r.end_minute - r.start_minute, 0),
      stress: regimes.filter((r) => r.regime === 1).reduce((s, r) => s + r.end_minute - r.start_minute, 0),
    },
  };
  const tmpJson = join(dir, '.truth.json.tmp');
  writeFileSync(tmpJson, `${JSON.stringify(truth, null, 2)}\n`);
  renameSync(tmpJson, join(dir, 'truth.json'));
  await loadColumns(
    ctx,
    'synthetic/raw_regimes',
    '__syn_regimes',
    [
      { name: 's', type: DOUBLE, values: regimes.map((r) => r.start_minute) },
      { name: 'e', type: DOUBLE, values: regimes.map((r) => r.end_minute) },
      { name: 'r', type: INTEGER, values: regimes.map((r) => r.regime) },
    ],
    regimes.length,
  );
  const tmp = join(dir, '.regimes.parquet.tmp');
  rmSync(tmp, { force: true });
  await execQuery(ctx.db, 'synthetic/regimes_copy', { path: tmp });
  renameSync(tmp, join(dir, 'regimes.parquet'));
  await execQuery(ctx.db, 'synthetic/regimes_drop');
  return dir;
}
