import type { ServiceContext } from '../../domain/context.js';
import { availableParallelism } from 'node:os';
import { AGE_COLUMNS, type FeaturesConfig } from '../../domain/features.js';
import type { WorkerMode } from './plan.js';
import { execQuery } from '../../store/queries.js';
import { runStep } from '../../store/steps.js';
import { ColumnSource } from '../../store/columns.js';
import { barRange, loadBars, loadCloses, loadFlow, loadPrints, type Axis } from './panel.js';
import { computeSymbol, featureSourceColumns, INPUTS, type SymbolInputs, type SymbolResult } from './symbol.js';
import { SymbolWorker } from './symbol-pool.js';

/**
 * The feature engine: for each symbol, its staged inputs (temp tables raw_perp, raw_spot, raw_mark,
 * raw_funding, raw_oi) are placed on the symbol's bar axis, every family's windows are computed in
 * event-time order, and each feature is selected at each decision time T from the most recent
 * complete window all of whose rows have available_time <= T, if that window is younger than the
 * input's maximum age (else NULL). Each symbol's rows (decision_us, the age columns, the catalog's
 * features; NaN read as NULL) are handed to a sink as a ColumnSource, one symbol at a time and one UTC
 * calendar month per hand-over (the features dataset's partition: the store writes each as one file), so
 * that at most two symbols' columns are held at once (one written while the next is computed in a
 * worker thread); plus the stale/missing counts per input.
 */

/**
 * Receives a run of one symbol's computed rows, at most one UTC calendar month of decisions (span:
 * its first decision time and one past its last, µs); the source is valid until the promise settles.
 */
export type FeatureSink = (symbol: string, src: ColumnSource, rows: number, span: { from: number; to: number }) => Promise<void>;

/** The column source's name and columns (decision_us, then the age columns, then the features). */
export const FEATURE_SOURCE = 'perpkit_feature_rows';

/**
 * The default sink: collects every symbol's rows into temp table feat_out (symbol, decision_time,
 * ages as BIGINT, features), for the leakage harness and tests.
 */
export function collectFeatOut(ctx: Pick<ServiceContext, 'db'>): FeatureSink {
  let first = true;
  return async (symbol, src) => {
    await execQuery(ctx.db, first ? 'features/feat_out_create' : 'features/feat_out_insert', { symbol }, { idents: { src: src.name }, lists: { feat_age_cols: [...AGE_COLUMNS] } });
    first = false;
  };
}

export interface ComputePlan {
  symbols: string[];
  /** bar length, µs */
  tfUs: number;
  cfg: FeaturesConfig;
  /** settlement interval per symbol, hours */
  fundingHours: Map<string, number>;
  /** decision times in [from, to), µs */
  from: number | undefined;
  to: number | undefined;
  /** compute symbols in a worker thread: auto (default) for symbols of WORKER_MIN_SLOTS or more on 2+ cores */
  worker?: WorkerMode;
}

export interface ComputeResult {
  rows: number;
  stale: Record<string, number>;
  missing: Record<string, number>;
  /** trades that arrived after their bar's taker-flow snapshot (left out of it) */
  late_trades: number;
}

/**
 * Symbols of at least this many axis slots are computed in a worker thread (when the machine has a
 * second core), so that the store writes one symbol while the next is computed.
 */
export const WORKER_MIN_SLOTS = 100_000;

export async function computeFeatures(ctx: ServiceContext, p: ComputePlan, timings: Record<string, number>, sink: FeatureSink = collectFeatOut(ctx)): Promise<ComputeResult> {
  const cfg = p.cfg;
  const src = ColumnSource.open(ctx.db, FEATURE_SOURCE, featureSourceColumns());
  const stale: Record<string, number> = Object.fromEntries(INPUTS.map((i) => [i, 0]));
  const missing: Record<string, number> = Object.fromEntries(INPUTS.map((i) => [i, 0]));
  const clock = (): number => performance.now();
  const add = (k: string, t: number): void => {
    timings[k] = (timings[k] ?? 0) + (clock() - t);
  };
  const btcRange = await barRange(ctx.db, 'raw_perp', cfg.btc_symbol);
  const graceUs = cfg.trade_flow_grace_ms * 1000;
  await runStep(ctx, 'features/trade_flow', { tf: BigInt(p.tfUs), grace: BigInt(graceUs) });
  let lateTrades = 0;
  let rows = 0;
  let worker: SymbolWorker | null = null;
  // the symbol computed (in the worker) while the next is loaded and the one before it is written
  let pending: { sym: string; r0: number; r1: number; result: Promise<SymbolResult> } | null = null;
  // the columns of the symbol written last: recycled for the next symbol's
  let spare: Float64Array[] | undefined;
  /** Waits for a symbol's columns, then hands them to the sink a month at a time. */
  const finish = async (job: { sym: string; r0: number; r1: number; result: Promise<SymbolResult> }): Promise<void> => {
    let t = clock();
    const res = await job.result;
    add('compute_wait', t);
    for (const k of ['windows', 'prints', 'derived'] as const) timings[k] = (timings[k] ?? 0) + res.timings[k];
    for (const input of INPUTS) {
      stale[input] = (stale[input] ?? 0) + (res.stale[input] ?? 0);
      missing[input] = (missing[input] ?? 0) + (res.missing[input] ?? 0);
    }
    t = clock();
    // One calendar month (UTC, of the decision time) per hand-over: the features dataset's time
    // partition, so that the store writes each batch as one file.
    const dec = res.out[0] as Float64Array;
    try {
      for (const [a, b] of monthRanges(dec, job.r0, job.r1)) {
        src.set(res.out, a, b - a);
        await sink(job.sym, src, b - a, { from: dec[a] as number, to: (dec[b - 1] as number) + 1 });
      }
    } finally {
      src.clear();
    }
    add('write_rows', t);
    rows += job.r1 - job.r0;
    spare = res.out;
  };
  try {
    for (const [si, sym] of p.symbols.entries()) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      ctx.log.progress(`features: ${sym} (${si + 1}/${p.symbols.length})`);
      const t = clock();
      const inputs = await loadSymbol(ctx, p, sym, !!btcRange, graceUs);
      if (!inputs) continue;
      const { r0, r1 } = inputs;
      const n = inputs.ax.n;
      lateTrades += inputs.perpFlow.late + inputs.spotFlow.late;
      add('load', t);
      const useWorker = p.worker === 'on' || (p.worker !== 'off' && n >= WORKER_MIN_SLOTS && availableParallelism() >= 2);
      if (useWorker) {
        worker ??= new SymbolWorker();
        // computed in the worker while the symbol before it is written (the inputs move, not copied)
        const job = { sym, r0, r1, result: worker.run(inputs, spare) };
        spare = undefined;
        job.result.catch(() => undefined); // its failure is raised by finish(), not as an unhandled rejection meanwhile
        if (pending) await finish(pending);
        pending = job;
      } else {
        if (pending) await finish(pending);
        pending = null;
        const reuse = spare;
        spare = undefined;
        await finish({ sym, r0, r1, result: Promise.resolve(computeSymbol(inputs, reuse)) });
      }
    }
    if (pending) await finish(pending);
  } finally {
    await worker?.close();
  }
  ctx.log.progressDone();
  await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t: 'flow_buckets' } });
  return { rows, stale, missing, late_trades: lateTrades };
}

/**
 * One symbol's inputs from the staged tables, on its bar axis, with the decisions to write ([r0, r1):
 * inside the plan's from/to); null when the symbol has no bars or no decision in range.
 */
async function loadSymbol(ctx: ServiceContext, p: ComputePlan, sym: string, withBtc: boolean, graceUs: number): Promise<SymbolInputs | null> {
  const cfg = p.cfg;
  const latUs = cfg.decision_latency_ms * 1000;
  const range = await barRange(ctx.db, 'raw_perp', sym);
  if (!range) return null;
  const n = Math.round((range.t1 - range.t0) / p.tfUs) + 1;
  const ax: Axis = { t0: range.t0, tf: p.tfUs, n, abs0: Math.round(range.t0 / p.tfUs) };
  // Decision grid: every bar close of the axis + the decision latency. All of it is computed (a
  // feature over earlier decisions, such as a velocity, then has them); rows inside [from, to) are written.
  const dec = new Float64Array(n);
  let r0 = n;
  let r1 = 0;
  for (let k = 0; k < n; k++) {
    const T = ax.t0 + k * ax.tf + latUs;
    dec[k] = T;
    if ((p.from === undefined || T >= p.from) && (p.to === undefined || T < p.to)) {
      r0 = Math.min(r0, k);
      r1 = k + 1;
    }
  }
  if (r1 <= r0) return null;
  const perp = await loadBars(ctx.db, 'raw_perp', sym, ax);
  const funding = await loadPrints(ctx.db, 'raw_funding', 'funding_rate', sym, true);
  return {
    ax,
    dec,
    r0,
    r1,
    perp,
    spot: await loadBars(ctx.db, 'raw_spot', sym, ax),
    mark: await loadCloses(ctx.db, 'raw_mark', sym, ax),
    btc: withBtc ? (sym === cfg.btc_symbol ? perp : await loadCloses(ctx.db, 'raw_perp', cfg.btc_symbol, ax)) : null,
    funding,
    btcFunding: sym === cfg.btc_symbol ? funding : await loadPrints(ctx.db, 'raw_funding', 'funding_rate', cfg.btc_symbol, true),
    oi: await loadPrints(ctx.db, 'raw_oi', 'open_interest', sym, false),
    perpFlow: await loadFlow(ctx.db, sym, 'perp', ax, graceUs),
    spotFlow: await loadFlow(ctx.db, sym, 'spot', ax, graceUs),
    hours: p.fundingHours.get(sym) ?? cfg.default_funding_interval_hours,
    btcHours: p.fundingHours.get(cfg.btc_symbol) ?? cfg.default_funding_interval_hours,
    tfUs: p.tfUs,
    cfg,
  };
}

/** Rows [r0, r1) of ascending decision times (µs) cut into runs of one UTC calendar month each. */
export function monthRanges(dec: Float64Array, r0: number, r1: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let a = r0;
  while (a < r1) {
    const d = new Date(Math.floor((dec[a] as number) / 1000));
    const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) * 1000;
    let b = a + 1;
    while (b < r1 && (dec[b] as number) < next) b++;
    out.push([a, b]);
    a = b;
  }
  return out;
}
