import type { ServiceContext } from '../../domain/context.js';
import { scanQueryColumns } from '../features/panel.js';
import { sharedArray } from '../worker-pool.js';
import { missingError, PerpkitError, usageError } from '../../domain/errors.js';
import { FEATURE_NAMES } from '../../domain/features.js';
import { listOf } from '../../store/dataset.js';
import { execQuery, runQuery } from '../../store/queries.js';
import { checkSplitInputs, loadSplit, readSegment, readSegmentColumns, selectorIntervals, type ReadSegmentOptions, type SegmentLook, type SegmentSelector, type SegmentSource, type SplitFile } from '../split.js';
import { foldAsset, symbolOfAsset } from './fold-assets.js';

/** One asset's rows of a segment, in decision-time order. */
export interface AssetSeries {
  symbol: string;
  /** decision times, epoch ms, ascending */
  time: Float64Array;
  /** feature name -> values (NaN = missing) */
  features: Map<string, Float64Array>;
  /** horizon -> forward return at each decision time (NaN = unlabelled) */
  labels: Map<string, Float64Array>;
  /** horizon -> perp-minus-spot forward return (labels.rel_return), read only for a relative target */
  rel?: Map<string, Float64Array>;
}

export interface Panel {
  assets: AssetSeries[];
  rows: number;
  /** mean round-trip cost of the labels, fraction; null when none */
  round_trip_cost: number | null;
}

/**
 * What a run evaluates: a holdout split's segment(s), one side of a walk-forward split's fold
 * (`fold-N-test`: the fold's test side, with its training side fitting edges, medians and
 * thresholds), or every fold's test side (`folds-test`), each fitted on its own fold's training side.
 */
export type EvalSegment = 'train' | 'validation' | 'train+validation' | 'test' | `fold-${number}-train` | `fold-${number}-test` | 'folds-test';

/** One symbol's IC over its panel assets: one per fold in a `folds-test` run, else the asset itself. */
export interface SymbolIc {
  /** mean of the assets' ICs (null: none has one) */
  ic: number | null;
  /** assets (folds) with an IC, and assets listed */
  with_ic: number;
  listed: number;
  /** assets whose IC is > 0, < 0 */
  positive: number;
  negative: number;
}

/**
 * A cell's per-asset ICs rolled up by symbol (`<symbol>@fold-N` -> `<symbol>`): in a `folds-test`
 * run, each symbol's mean within-fold IC and how many folds have one, and of which sign; in a run on
 * one segment each symbol has one asset, so its IC is the asset's. Symbols in name order.
 */
export function icBySymbol(byAsset: Readonly<Record<string, number | null>>): Record<string, SymbolIc> {
  const acc = new Map<string, SymbolIc & { sum: number }>();
  for (const [name, v] of Object.entries(byAsset)) {
    const symbol = symbolOfAsset(name);
    const a = acc.get(symbol) ?? { ic: null, with_ic: 0, listed: 0, positive: 0, negative: 0, sum: 0 };
    a.listed++;
    if (v !== null && Number.isFinite(v)) {
      a.with_ic++;
      a.sum += v;
      if (v > 0) a.positive++;
      else if (v < 0) a.negative++;
    }
    acc.set(symbol, a);
  }
  const out: Record<string, SymbolIc> = {};
  for (const symbol of [...acc.keys()].sort()) {
    const { sum, ...a } = acc.get(symbol)!;
    out[symbol] = { ...a, ic: a.with_ic ? sum / a.with_ic : null };
  }
  return out;
}

export interface SegmentRead {
  command: string;
  args: unknown;
  unseal_test: boolean;
  /** another venue's rows over the split's intervals (the venue-robustness check; see readSegment) */
  venue?: string;
  /** the run's one look at a sealed test segment: its features, labels and other venues' reads record one unsealing */
  look?: SegmentLook;
  /** read data changed since the split was written (recorded in the ledger) */
  allow_changed?: boolean;
  /** the command's flags named in readSegment's hints */
  flags?: ReadSegmentOptions['flags'];
}

/** The label columns research reads (research/horizons and research/labels_at). */
const LABEL_COLUMNS = ['horizon', 'horizon_ms', 'fwd_return', 'round_trip_cost'] as const;

/**
 * The panel whose labels are the relative target (perp minus spot return, labels.rel_return): the
 * same rows and features, the `rel` maps as labels. The panel must have been loaded with `relative`.
 */
export function relativePanel(panel: Panel): Panel {
  return {
    ...panel,
    assets: panel.assets.map((a) => {
      if (!a.rel) throw new Error(`research: the panel of ${a.symbol} was loaded without the relative labels`);
      return { ...a, labels: a.rel };
    }),
  };
}

/** A run's segment reads: what readSegment needs beyond the segment, and the run's one input check. */
type RunRead = SegmentRead & { inputs?: ReadSegmentOptions['inputs'] };

/**
 * Copies the rows of one or more segments of a split into a temp table of our own (`target`,
 * a fixed name from this module), always through the table readSegment returns; with keysOnly the
 * table holds the rows' keys only, and the reads' sources are where their columns are read from.
 */
async function copySegments(
  ctx: ServiceContext,
  root: string,
  split: string,
  segments: readonly SegmentSelector[],
  dataset: 'features' | 'labels',
  target: 'research_features' | 'research_labels' | 'research_train_features',
  read: RunRead,
  /** the columns to read (the keys are always read) */
  columns: readonly string[],
  /** only the keys into the table; the columns are read from the sources (readSegmentColumns) */
  keysOnly = false,
): Promise<{ repeated_look: boolean; sources: SegmentSource[] }> {
  let repeated = false;
  const sources: SegmentSource[] = [];
  for (const [i, sel] of segments.entries()) {
    const r = await readSegment(
      // the run's read (command, sealing, look, venue, inputs check...) is readSegment's options as they are
      { ...read, root, name: split, selector: sel, dataset, ordered: false, columns, keys_only: keysOnly },
      ctx,
    );
    repeated ||= r.repeated_look;
    sources.push(r.source);
    const src = r.table;
    if (i === 0) {
      // the first segment's table becomes the target (renamed, not copied)
      await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t: target } });
      await execQuery(ctx.db, 'common/rename_table', {}, { idents: { t: target, src } });
    } else {
      await execQuery(ctx.db, 'research/append_by_name', {}, { idents: { t: target, src } });
      await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t: src } });
    }
  }
  return { repeated_look: repeated, sources };
}

/** The holdout segments of an evaluated holdout segment (`train+validation` is two). */
export function segmentsOf(segment: 'train' | 'validation' | 'train+validation' | 'test'): Array<'train' | 'validation' | 'test'> {
  if (segment === 'train+validation') return ['train', 'validation'];
  return [segment];
}

/** The fold and side of a walk-forward evaluated segment, or null for a holdout one. */
export function foldOf(segment: EvalSegment): { fold: number; side: 'train' | 'test' } | null {
  const m = /^fold-(\d+)-(train|test)$/.exec(segment);
  return m ? { fold: Number(m[1]), side: m[2] as 'train' | 'test' } : null;
}

/** An evaluated segment from its text (the CLI's --segment), or a usage error listing the forms. */
export function parseEvalSegment(text: string): EvalSegment {
  if (['train', 'validation', 'train+validation', 'test', 'folds-test'].includes(text) || /^fold-\d+-(train|test)$/.test(text)) return text as EvalSegment;
  throw usageError(`bad segment ${JSON.stringify(text)}`, { hint: 'use train, validation, train+validation or test (holdout splits), or fold-N-test / fold-N-train / folds-test (walk-forward splits)' });
}

/**
 * The reads of an evaluated segment: the selectors of the rows evaluated, and of the rows that fit
 * bucket edges, hit-rate medians, regime thresholds and the stress cut-off (a holdout split's
 * train segment; a walk-forward fold's own training side).
 */
export function evalSelectors(segment: Exclude<EvalSegment, 'folds-test'>): { eval: SegmentSelector[]; train: SegmentSelector } {
  const f = foldOf(segment);
  if (f) return { eval: [{ fold: f.fold, side: f.side }], train: { fold: f.fold, side: 'train' } };
  return { eval: segmentsOf(segment as 'train' | 'validation' | 'train+validation' | 'test').map((x) => ({ segment: x })), train: { segment: 'train' } };
}

/**
 * The selectors of the evaluated rows of any evaluated segment (the settlement study's intervals):
 * with `folds-test`, every fold's test side of the split (`folds`: its fold indices).
 */
function evalRowSelectors(segment: EvalSegment, folds: readonly number[]): SegmentSelector[] {
  if (segment === 'folds-test') return folds.map((fold) => ({ fold, side: 'test' as const }));
  return evalSelectors(segment).eval;
}

/**
 * The evaluated rows' intervals of a segment (microseconds, half-open), sorted, with touching ones
 * joined: a settlement whose window spans two adjacent folds' test sides is inside the evaluated rows.
 */
export function evalIntervals(split: SplitFile, segment: EvalSegment): Array<[number, number]> {
  const iv = evalRowSelectors(segment, (split.folds ?? []).map((f) => f.index))
    .flatMap((sel) => selectorIntervals(split, sel))
    .map(([a, b]) => [a, b] as [number, number])
    .sort((x, y) => x[0] - y[0]);
  const out: Array<[number, number]> = [];
  for (const [a, b] of iv) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

/**
 * The folds whose test sides overlap in time (a walk-forward split made with --step shorter than
 * --test-window): pooling them would count the shared rows once per fold. Empty when none do.
 */
export function overlappingFolds(split: SplitFile): Array<[number, number]> {
  const sides = (split.folds ?? []).map((f) => ({ fold: f.index, iv: selectorIntervals(split, { fold: f.index, side: 'test' }) }));
  const out: Array<[number, number]> = [];
  for (let i = 0; i < sides.length; i++) {
    for (let j = i + 1; j < sides.length; j++) {
      if (sides[i]!.iv.some(([a, b]) => sides[j]!.iv.some(([c, d]) => a < d && c < b))) out.push([sides[i]!.fold, sides[j]!.fold]);
    }
  }
  return out;
}

const sameSelector = (a: SegmentSelector, b: SegmentSelector): boolean => JSON.stringify(a) === JSON.stringify(b);

interface FeatureRows {
  /** decision times, epoch ms */
  time: Float64Array;
  /** the same in epoch microseconds (exact: the split's intervals are in microseconds) */
  us: Float64Array;
  features: Map<string, Float64Array>;
}

/**
 * The feature columns of segment reads into per-asset typed arrays (symbol order, each in time
 * order): the symbols' row counts from the reads' key table, the values streamed from their files
 * symbol by symbol (split.ts readSegmentColumns: no copy of the wide rows into a table, no sort).
 */
async function readFeatures(ctx: ServiceContext, root: string, table: string, sources: readonly SegmentSource[], cols: string[]): Promise<Map<string, FeatureRows>> {
  // Column-wise read (features/panel.ts readQueryInto): every value a double, NULL as NaN, in
  // symbol then time order, each column one array in shared memory over all symbols; a symbol's
  // rows are views of it (the symbols' runs from a count per symbol). The grid's workers read these
  // arrays in place, and a column of every asset is one array already (grid-index.ts column).
  const runs = await runQuery(ctx.db, 'research/features_symbols', {}, { idents: { t: table } });
  const total = runs.reduce((s, r) => s + Number(r['n']), 0);
  const [times, us, ...values] = Array.from({ length: cols.length + 2 }, () => sharedArray(total));
  let at = 0;
  const placed = runs.map((r) => {
    const run = { symbol: String(r['symbol']), start: at, n: Number(r['n']) };
    at += run.n;
    return run;
  });
  await readSegmentColumns(ctx, root, sources, cols, placed, [times!, us!, ...values]);
  const out = new Map<string, FeatureRows>();
  for (const { symbol, start, n } of placed) {
    const features = new Map<string, Float64Array>();
    cols.forEach((c, k) => features.set(c, values[k]!.subarray(start, start + n)));
    out.set(symbol, { time: times!.subarray(start, start + n), us: us!.subarray(start, start + n), features });
  }
  return out;
}

/**
 * The rows of `rows` inside the intervals (half-open, microseconds): with the evaluated segment
 * train+validation, the training rows are taken from the one read of both (the same rows a read of
 * the train segment returns: segments' intervals never overlap) instead of reading them again.
 * Consecutive rows (the usual case: rows are in time order) are views of the columns, not copies.
 */
export function rowsWithin(rows: FeatureRows, intervals: ReadonlyArray<readonly [number, number]>): Map<string, Float64Array> {
  const { us } = rows;
  const keep = new Int32Array(us.length);
  let m = 0;
  for (let i = 0; i < us.length; i++) {
    const t = us[i]!;
    for (const [a, b] of intervals) {
      if (t >= a && t < b) {
        keep[m++] = i;
        break;
      }
    }
  }
  const out = new Map<string, Float64Array>();
  // one run of consecutive rows (a segment's rows of one asset, whose intervals come before or after
  // the others'): views of the columns, read only like them; else copies of the rows kept
  const run = m > 0 && keep[m - 1]! - keep[0]! === m - 1;
  for (const [name, v] of rows.features) {
    if (run) {
      out.set(name, v.subarray(keep[0]!, keep[0]! + m));
      continue;
    }
    const w = sharedArray(m);
    for (let j = 0; j < m; j++) w[j] = v[keep[j]!]!;
    out.set(name, w);
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
  /** also read the perp-minus-spot labels (labels.rel_return) into each asset's `rel` */
  relative?: boolean;
}

export interface LoadedPanels {
  /** the evaluated rows */
  panel: Panel;
  /** feature values of the training segment (edges, medians, thresholds are fitted here only) */
  train: Map<string, Map<string, Float64Array>>;
  horizons: Array<{ horizon: string; horizon_ms: number }>;
  repeated_look: boolean;
  /** the labels' round-trip costs: sum and count of the finite ones (round_trip_cost = sum / n) */
  cost: { sum: number; n: number };
  /** folds-test: the folds read (another venue's read leaves out the folds it has no data for) */
  folds?: number[];
}

export async function loadPanels(o: LoadPanelOptions, ctx: ServiceContext): Promise<LoadedPanels> {
  const split = loadSplit(o.root, o.split);
  // One fingerprint of the split's inputs for every read of this run (another venue's rows are not
  // what the split was computed on and are not checked: see readSegment).
  const foreign = o.read.venue !== undefined && o.read.venue !== split.venue;
  const given = (o.read as RunRead).inputs;
  const read: RunRead = foreign || given ? o.read : { ...o.read, inputs: await checkSplitInputs(ctx, o.root, split) };
  if (o.segment === 'folds-test') return loadFolds(o, read, (split.folds ?? []).map((f) => f.index), foreign, ctx);
  const sel = evalSelectors(o.segment);
  const trainInEval = sel.eval.some((x) => sameSelector(x, sel.train));
  // feature names become SQL identifiers of the reads: catalog names only
  for (const c of o.features) if (!FEATURE_NAMES.includes(c)) throw usageError(`unknown feature ${JSON.stringify(c)}`);
  const f = await copySegments(ctx, o.root, o.split, sel.eval, 'features', 'research_features', read, o.features, true);
  // the labels read is the same look at a sealed test segment as the features read (read.look)
  await copySegments(ctx, o.root, o.split, sel.eval, 'labels', 'research_labels', read, o.relative ? [...LABEL_COLUMNS, 'rel_return'] : LABEL_COLUMNS);
  const trainRead = trainInEval ? null : await copySegments(ctx, o.root, o.split, [sel.train], 'features', 'research_train_features', { ...read, unseal_test: false }, o.features, true);
  const stored = (await runQuery(ctx.db, 'research/horizons')).map((r) => ({ horizon: String(r['horizon']), horizon_ms: Number(r['horizon_ms']) }));
  const missingH = o.horizons.filter((h) => !stored.some((s) => s.horizon === h));
  if (stored.length === 0) throw missingError(`no labels in the ${o.segment} segment of split ${o.split}`, { hint: 'run "perpkit features --labels" and re-create the split' });
  if (missingH.length) {
    throw missingError(`no labels for horizon(s) ${missingH.join(', ')} in split ${o.split} (stored: ${stored.map((s) => s.horizon).join(', ')})`, {
      hint: `run "perpkit features --labels --horizons ${o.horizons.join(',')}" and re-create the split, or pass --horizons ${stored.map((s) => s.horizon).join(',')}`,
    });
  }
  const horizons = stored.filter((s) => o.horizons.includes(s.horizon));
  // the names were checked against the catalog above, and their presence by the projected reads
  const cols = [...o.features];
  const evalRows = await readFeatures(ctx, o.root, 'research_features', f.sources, cols);
  const train = new Map<string, Map<string, Float64Array>>();
  if (trainInEval) {
    const trainIv = selectorIntervals(split, sel.train);
    for (const [symbol, v] of evalRows) train.set(symbol, rowsWithin(v, trainIv));
  } else for (const [symbol, v] of await readFeatures(ctx, o.root, 'research_train_features', trainRead!.sources, cols)) train.set(symbol, v.features);
  const assets: AssetSeries[] = [];
  // each horizon's labels: one array in shared memory over all assets (as the features), NaN where no label
  const nRows = [...evalRows.values()].reduce((s, v) => s + v.time.length, 0);
  const labelColumns = (): Float64Array[] => horizons.map(() => sharedArray(nRows).fill(Number.NaN));
  const retCols = labelColumns();
  const relCols = o.relative ? labelColumns() : null;
  let at = 0;
  const views = (cols: Float64Array[], n: number): Map<string, Float64Array> => new Map(horizons.map((h, k) => [h.horizon, cols[k]!.subarray(at, at + n)]));
  for (const [symbol, v] of evalRows) {
    const n = v.time.length;
    assets.push({ symbol, time: v.time, features: v.features, labels: views(retCols, n), ...(relCols ? { rel: views(relCols, n) } : {}) });
    at += n;
  }
  // The labels placed in SQL (research/labels_at): each label's row index in the features' order,
  // which is the label columns' order too, and its horizon's index; streamed chunk by chunk.
  let costSum = 0;
  let costN = 0;
  await scanQueryColumns(ctx.db, 'research/labels_at', { horizons: listOf(horizons.map((h) => h.horizon)) }, { idents: { rel: o.relative ? 'rel_return' : 'fwd_return' } }, 5, (cols, m) => {
    const [li, lh, lRet, lCost, lRel] = cols as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    for (let k = 0; k < m; k++) {
      const i = li[k]!;
      const h = lh[k]!;
      retCols[h]![i] = lRet[k]!;
      if (relCols) relCols[h]![i] = lRel[k]!;
      const c = lCost[k]!;
      if (Number.isFinite(c)) {
        costSum += c;
        costN++;
      }
    }
  });
  for (const t of ['research_features', 'research_labels', 'research_train_features']) await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t } });
  return {
    panel: { assets, rows: assets.reduce((s, a) => s + a.time.length, 0), round_trip_cost: costN ? costSum / costN : null },
    train,
    horizons,
    repeated_look: f.repeated_look,
    cost: { sum: costSum, n: costN },
  };
}

/**
 * Every fold's test side of a walk-forward split, each fold read as `fold-N-test` (its own training
 * side fits edges, medians, thresholds and the stress cut-off), in one panel: an asset's rows of
 * fold N are the panel asset `<symbol>@fold-N` (foldAsset) with that fold's training values. The
 * folds' test sides must not overlap in time (runResearch refuses a split whose do), so the
 * decision-time series and the cross-section see each time once; a pooled IC is the mean over
 * (asset, fold) of the within-fold IC.
 */
async function loadFolds(o: LoadPanelOptions, read: RunRead, folds: number[], foreign: boolean, ctx: ServiceContext): Promise<LoadedPanels> {
  if (folds.length === 0) throw usageError(`split ${o.split} has no folds`, { hint: 're-create it with a longer --from/--to or shorter windows' });
  const assets: AssetSeries[] = [];
  const train = new Map<string, Map<string, Float64Array>>();
  let horizons: LoadedPanels['horizons'] = [];
  let repeated = false;
  let costSum = 0;
  let costN = 0;
  const used: number[] = [];
  const missing: string[] = [];
  for (const [k, fold] of folds.entries()) {
    ctx.log.progress(`research: reading fold ${fold} (${k + 1} of ${folds.length})`);
    let part: LoadedPanels;
    try {
      part = await loadPanels({ ...o, segment: `fold-${fold}-test`, read }, ctx);
    } catch (err) {
      // another venue (the venue-robustness check) is tested on the folds it has data for
      if (foreign && err instanceof PerpkitError && err.kind === 'missing') {
        missing.push(`fold ${fold}: ${err.message}`);
        continue;
      }
      if (err instanceof PerpkitError) err.message = `fold ${fold}: ${err.message}`;
      throw err;
    }
    used.push(fold);
    for (const a of part.panel.assets) {
      const name = foldAsset(a.symbol, fold);
      assets.push({ ...a, symbol: name });
      const t = part.train.get(a.symbol);
      if (t) train.set(name, t);
    }
    horizons = part.horizons;
    repeated ||= part.repeated_look;
    costSum += part.cost.sum;
    costN += part.cost.n;
  }
  if (used.length === 0) {
    // one line per distinct cause (a missing column or horizon is the same in every fold)
    const causes = [...new Set(missing.map((m) => m.replace(/^fold \d+: /, '').replace(/fold-\d+-test/g, 'fold-N-test')))];
    throw missingError(`no fold of split ${o.split} has data on venue ${o.read.venue ?? ''}: ${causes.join('; ')}`);
  }
  return { panel: { assets, rows: assets.reduce((s, a) => s + a.time.length, 0), round_trip_cost: costN ? costSum / costN : null }, train, horizons, repeated_look: repeated, cost: { sum: costSum, n: costN }, folds: used };
}
