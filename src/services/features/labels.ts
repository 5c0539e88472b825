import { timestampValue } from '@duckdb/node-api';
import type { ServiceContext } from '../../domain/context.js';
import { DATASETS, timeframeSeconds, BAR_TIMEFRAMES } from '../../domain/datasets.js';
import { missingError, usageError } from '../../domain/errors.js';
import { labelsSpec } from '../../domain/features.js';
import { listOf, writeTable, type WriteResult } from '../../store/dataset.js';
import { latestInstruments, release, scan } from '../../store/read.js';
import { runStep } from '../../store/steps.js';
import { execQuery, runQuery } from '../../store/queries.js';
import { barsTable, countRows, stageBars } from './inputs.js';
import { plan, ts, US_PER_MS, type FeaturesOptions } from './plan.js';

/** The features options (root, venue, symbols, decision timeframe, from, to, config) and these. */
export interface LabelsOptions extends Omit<FeaturesOptions, 'families'> {
  /** only bars of this timeframe price entries and exits; default: the finest data present (trades, then bars up to the decision timeframe) */
  label_timeframe?: string;
  /** e.g. ["1h", "4h"]: label horizons */
  horizons: string[];
  /** after the decision, ms */
  exec_latency_ms?: number;
  /** round-trip cost as a fraction; default: 2 x the instrument's taker fee */
  round_trip_cost?: number;
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
  /** per perp: what priced the spot leg of rel_return (<venue>/<symbol> <source>); absent = no spot reference or no spot prices */
  spot_sources: Record<string, string[]>;
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
  await barsTable(ctx, 'raw_perp');
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
  await execQuery(ctx.db, 'features/label_src');
  const limit = timeframeSeconds(opts.label_timeframe ?? p.timeframe);
  const tfs = Object.entries(BAR_TIMEFRAMES).filter(([tf, secs]) => (opts.label_timeframe ? tf === opts.label_timeframe : secs <= limit));
  const sources: Record<string, string[]> = {};
  /** Stages one leg's executable prices (last-price bar opens, and trades where stored) into label_src under `key`. */
  const stageLeg = async (venue: string, symbol: string, key: string): Promise<string[]> => {
    const got: string[] = [];
    for (const [tf, secs] of tfs) {
      const b = await scan(ctx, p.root, DATASETS.bars, {
        venue: [venue], symbol: [symbol], price: ['last'], timeframe: [tf],
        ...(lower !== undefined ? { from: lower, event_from: lower } : {}),
        ...(upper !== undefined ? { to: upper, open_before: upper } : {}),
        columns: ['symbol', 'event_time', 'available_time', 'open_time', 'open'],
        prefix: 'label_bars',
      });
      if (b.files === 0) continue;
      if (b.excluded > 0) excluded[`bars ${venue}/${symbol} last ${tf}`] = b.excluded;
      await execQuery(ctx.db, 'features/label_src_bars', { key, tol: BigInt(secs * 1000), src: `bars:${tf}` }, { idents: { src: b.table } });
      await release(ctx, b.table);
      got.push(`bars:${tf}`);
    }
    if (!opts.label_timeframe) {
      const t = await scan(ctx, p.root, DATASETS.trades, {
        venue: [venue], symbol: [symbol],
        ...(lower !== undefined ? { from: lower, event_from: lower } : {}),
        ...(upper !== undefined ? { to: upper } : {}),
        columns: ['symbol', 'event_time', 'available_time', 'price'],
        prefix: 'label_trades',
      });
      if (t.files > 0 && t.rows > 0) {
        await execQuery(ctx.db, 'features/label_src_trades', { key, tol: BigInt(p.cfg.label_trade_max_gap_ms) }, { idents: { src: t.table } });
        got.push('trades');
      }
      await release(ctx, t.table);
    }
    return got;
  };
  const spotSources: Record<string, string[]> = {};
  for (const s of p.symbols) {
    const got = await stageLeg(p.venue, s, s);
    if (!got.length) throw missingError(`no last bars of ${p.venue}/${s} at ${opts.label_timeframe ?? `${p.timeframe} or finer`} for the entry and exit prices`);
    sources[s] = got;
    // the spot leg of rel_return: the perp's spot reference, priced the same way (none: rel_return NULL)
    const ref = p.refs.get(s);
    if (ref?.spot_venue && ref.spot_symbol) {
      const spot = await stageLeg(ref.spot_venue, ref.spot_symbol, `spot:${s}`);
      if (spot.length) spotSources[s] = spot.map((x) => `${ref.spot_venue}/${ref.spot_symbol} ${x}`);
      else ctx.log.warn(`${s}: no last bars of its spot reference ${ref.spot_venue}/${ref.spot_symbol}: rel_return is NULL`);
    }
  }
  await runStep(ctx, 'features/label_px');
  await execQuery(ctx.db, 'features/label_horizons', {
    names: listOf(horizons.map((x) => x.h)),
    ms: listOf(horizons.map((x) => String(x.ms))),
  });
  // Round-trip cost: the flag, else twice the latest instrument version's taker fee.
  const inst = await latestInstruments(ctx, p.root, { venue: [p.venue], symbols: p.symbols });
  await execQuery(ctx.db, 'features/label_costs', {
    syms: listOf(inst.map((r) => String(r['symbol']))),
    costs: listOf(inst.map((r) => String(opts.round_trip_cost ?? 2 * Number(r['taker_fee'] ?? 0)))),
  });
  await runStep(ctx, 'features/labels', { exec_latency_ms: BigInt(execLatency) });
  const unl = await runQuery(ctx.db, 'features/label_unlabeled');
  const spec = labelsSpec();
  await runStep(ctx, 'features/label_stage', { venue: p.venue, tf: p.timeframe, source: 'perpkit-labels', now: timestampValue(BigInt(ctx.clock.now() * US_PER_MS)) });
  const rows = await countRows(ctx, 'label_stage');
  const write = await writeTable(ctx, { root: p.root, spec }, 'label_stage');
  const unlabeled = Object.fromEntries(unl.map((r) => [String(r['horizon']), Number(r['n'])]));
  for (const [h, n] of Object.entries(unlabeled)) if (n > 0) ctx.log.warn(`${n} decision rows have no ${h} label (no price yet, or a gap at the entry or exit)`);
  return {
    data_dir: p.root,
    venue: p.venue,
    timeframe: p.timeframe,
    label_timeframe: opts.label_timeframe ?? 'finest',
    price_sources: sources,
    spot_sources: spotSources,
    horizons: opts.horizons,
    rows,
    unlabeled,
    excluded,
    write,
  };
}

