import type { ServiceContext } from '../../domain/context.js';
import { readQueryColumns } from '../features/panel.js';
import { missingError, usageError } from '../../domain/errors.js';
import { FEATURE_NAMES } from '../../domain/features.js';
import { listOf } from '../../store/dataset.js';
import { execQuery, readQuery, runQuery } from '../../store/queries.js';
import { readSegment, type SegmentSelector } from '../split.js';

/** One asset's rows of a segment, in decision-time order. */
export interface AssetSeries {
  symbol: string;
  /** decision times, epoch ms, ascending */
  time: Float64Array;
  /** feature name -> values (NaN = missing) */
  features: Map<string, Float64Array>;
  /** horizon -> forward return at each decision time (NaN = unlabelled) */
  labels: Map<string, Float64Array>;
}

export interface Panel {
  assets: AssetSeries[];
  rows: number;
  /** mean round-trip cost of the labels, fraction; null when none */
  round_trip_cost: number | null;
}

export type EvalSegment = 'train' | 'validation' | 'train+validation' | 'test';

export interface SegmentRead {
  command: string;
  args: unknown;
  unseal_test: boolean;
  /** another venue's rows over the split's intervals (the venue-robustness check; see readSegment) */
  venue?: string;
}

/**
 * Copies the rows of one or more segments of a split into a temp table of our own (`target`,
 * a fixed name from this module), always through the table readSegment returns.
 */
async function copySegments(
  ctx: ServiceContext,
  root: string,
  split: string,
  segments: Array<'train' | 'validation' | 'test'>,
  dataset: 'features' | 'labels',
  target: 'research_features' | 'research_labels' | 'research_train_features',
  read: SegmentRead,
  /** also copy the train segment's rows (when it is one of `segments`) into this table */
  trainCopy?: 'research_train_features',
): Promise<{ repeated_look: boolean }> {
  let repeated = false;
  for (const [i, segment] of segments.entries()) {
    const sel: SegmentSelector = { segment };
    const r = await readSegment({ root, name: split, selector: sel, dataset, unseal_test: read.unseal_test, command: read.command, args: read.args, ordered: false, ...(read.venue ? { venue: read.venue } : {}) }, ctx);
    repeated ||= r.repeated_look;
    const src = r.table;
    if (trainCopy && segment === 'train') await execQuery(ctx.db, 'common/copy_table', {}, { idents: { t: trainCopy, src } });
    if (i === 0) {
      // the first segment's table becomes the target (renamed, not copied)
      await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t: target } });
      await execQuery(ctx.db, 'common/rename_table', {}, { idents: { t: target, src } });
    } else {
      await execQuery(ctx.db, 'research/append_by_name', {}, { idents: { t: target, src } });
      await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t: src } });
    }
  }
  return { repeated_look: repeated };
}

export function segmentsOf(segment: EvalSegment): Array<'train' | 'validation' | 'test'> {
  if (segment === 'train+validation') return ['train', 'validation'];
  return [segment];
}

/** Feature columns of a temp table (checked against the catalog: they are SQL identifiers). */
async function featureColumns(ctx: ServiceContext, table: string, wanted: string[]): Promise<string[]> {
  const present = new Set((await runQuery(ctx.db, 'common/columns', {}, { idents: { t: table } })).map((r) => String(r['column_name'])));
  const missing = wanted.filter((c) => !present.has(c));
  if (missing.length) {
    throw missingError(`the features dataset has no column(s) ${missing.join(', ')}`, { hint: 'rebuild the features with "perpkit features" (all families)' });
  }
  for (const c of wanted) if (!FEATURE_NAMES.includes(c)) throw usageError(`unknown feature ${JSON.stringify(c)}`);
  return wanted;
}

/** Reads the feature columns of a temp table into per-asset typed arrays. */
async function readFeatures(ctx: ServiceContext, table: string, cols: string[]): Promise<Map<string, { time: Float64Array; features: Map<string, Float64Array> }>> {
  // Column-wise read into typed arrays (features/panel.ts readQueryColumns): every value a double,
  // NULL as NaN, in symbol then time order; the symbols' runs from a count per symbol.
  const runs = await runQuery(ctx.db, 'research/features_symbols', {}, { idents: { t: table } });
  const [times, ...values] = await readQueryColumns(ctx.db, 'research/features_typed', {}, { idents: { t: table, cols } }, cols.length + 1);
  const out = new Map<string, { time: Float64Array; features: Map<string, Float64Array> }>();
  let start = 0;
  for (const r of runs) {
    const end = start + Number(r['n']);
    const features = new Map<string, Float64Array>();
    cols.forEach((c, k) => features.set(c, (values[k] as Float64Array).slice(start, end)));
    out.set(String(r['symbol']), { time: (times as Float64Array).slice(start, end), features });
    start = end;
  }
  return out;
}

export interface LoadPanelOptions {
  root: string;
  split: string;
  segment: EvalSegment;
  features: string[];
  horizons: string[];
  read: SegmentRead;
}

export interface LoadedPanels {
  /** the evaluated rows */
  panel: Panel;
  /** feature values of the training segment (edges, medians, thresholds are fitted here only) */
  train: Map<string, Map<string, Float64Array>>;
  horizons: Array<{ horizon: string; horizon_ms: number }>;
  repeated_look: boolean;
}

export async function loadPanels(o: LoadPanelOptions, ctx: ServiceContext): Promise<LoadedPanels> {
  // Each segment read checks the split's input hashes (a pass over all features and labels): the
  // train features of a segment that includes train are copied from that same read.
  const segs = segmentsOf(o.segment);
  const f = await copySegments(ctx, o.root, o.split, segs, 'features', 'research_features', o.read, 'research_train_features');
  // readSegment reads one dataset per call and records each read of the sealed test segment, so
  // the labels read of this same run would be reported as a "repeated look" at what the features
  // read just unsealed. This run's look is the features read; the labels read's warning is dropped
  // (the ledger still gets both rows; see the report: readSegment should take both datasets).
  const labelsCtx: ServiceContext = o.segment === 'test' ? { ...ctx, log: { ...ctx.log, warn: (m) => (m.startsWith('repeated look') ? undefined : ctx.log.warn(m)) } } : ctx;
  await copySegments(labelsCtx, o.root, o.split, segs, 'labels', 'research_labels', o.read);
  if (!segs.includes('train')) await copySegments(ctx, o.root, o.split, ['train'], 'features', 'research_train_features', { ...o.read, unseal_test: false });
  const stored = (await runQuery(ctx.db, 'research/horizons')).map((r) => ({ horizon: String(r['horizon']), horizon_ms: Number(r['horizon_ms']) }));
  const missingH = o.horizons.filter((h) => !stored.some((s) => s.horizon === h));
  if (stored.length === 0) throw missingError(`no labels in the ${o.segment} segment of split ${o.split}`, { hint: 'run "perpkit features --labels" and re-create the split' });
  if (missingH.length) {
    throw missingError(`no labels for horizon(s) ${missingH.join(', ')} in split ${o.split} (stored: ${stored.map((s) => s.horizon).join(', ')})`, {
      hint: `run "perpkit features --labels --horizons ${o.horizons.join(',')}" and re-create the split, or pass --horizons ${stored.map((s) => s.horizon).join(',')}`,
    });
  }
  const horizons = stored.filter((s) => o.horizons.includes(s.horizon));
  const cols = await featureColumns(ctx, 'research_features', o.features);
  const evalRows = await readFeatures(ctx, 'research_features', cols);
  const trainRows = await readFeatures(ctx, 'research_train_features', cols);
  // Column-wise read (the query's own SQL and parameters): a JSON row per label is slow on a year of 5m bars.
  const lr = await readQuery(ctx.db, 'research/labels_long', { horizons: listOf(horizons.map((h) => h.horizon)) });
  const lc = lr.getColumnsObjectJS() as Record<string, unknown[]>;
  const lSym = (lc['symbol'] ?? []) as string[];
  const lT = (lc['t'] ?? []) as Array<bigint | number>;
  const lH = (lc['horizon'] ?? []) as string[];
  const lRet = (lc['fwd_return'] ?? []) as number[];
  const lCost = (lc['round_trip_cost'] ?? []) as Array<number | null>;
  const assets: AssetSeries[] = [];
  for (const [symbol, v] of evalRows) {
    const lab = new Map<string, Float64Array>();
    for (const h of horizons) lab.set(h.horizon, new Float64Array(v.time.length).fill(Number.NaN));
    assets.push({ symbol, time: v.time, features: v.features, labels: lab });
  }
  const bySymbol = new Map(assets.map((a) => [a.symbol, { a, index: new Map<number, number>(Array.from(a.time, (t, i) => [t, i])) }]));
  let costSum = 0;
  let costN = 0;
  for (let k = 0; k < lSym.length; k++) {
    const s = bySymbol.get(lSym[k] as string);
    if (!s) continue;
    const i = s.index.get(Number(lT[k]));
    if (i === undefined) continue;
    (s.a.labels.get(lH[k] as string) as Float64Array)[i] = Number(lRet[k]);
    const c = lCost[k];
    if (c !== null && c !== undefined && Number.isFinite(c)) {
      costSum += c;
      costN++;
    }
  }
  const train = new Map<string, Map<string, Float64Array>>();
  for (const [symbol, v] of trainRows) train.set(symbol, v.features);
  for (const t of ['research_features', 'research_labels', 'research_train_features']) await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t } });
  return {
    panel: { assets, rows: assets.reduce((s, a) => s + a.time.length, 0), round_trip_cost: costN ? costSum / costN : null },
    train,
    horizons,
    repeated_look: f.repeated_look,
  };
}
