import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { listValue, timestampValue, type DuckDBValue } from '@duckdb/node-api';
import { z } from 'zod';
import type { ServiceContext } from '../domain/context.js';
import { isSlug, timeframeSeconds } from '../domain/datasets.js';
import { missingError, usageError, validationError, type PerpkitError } from '../domain/errors.js';
import { FEATURES, featuresSpec, labelsSpec } from '../domain/features.js';
import {
  HoldoutParams,
  KFoldParams,
  MAX_CV_FOLDS,
  WalkForwardParams,
  combinationCount,
  holdout,
  isoMicros,
  parseIsoMicros,
  purgedCvFolds,
  totalRows,
  walkForwardFolds,
  type Fold,
  type Interval,
  type LabelledRow,
  type Scheme,
  type Segment,
} from '../domain/split.js';
import { contentFingerprint, contentHash, datasetFiles, fileColumns, listOf, type ReadFilter } from '../store/dataset.js';
import { corruptFileFromEngineError } from '../store/integrity.js';
import { execQuery, runQuery } from '../store/queries.js';
import { readQueryInto } from './features/panel.js';
import { appendLedger, ledgerRows, sha256 } from '../store/ledger.js';

const DAY_US = 86_400_000_000;

export interface SplitOptions {
  root: string;
  name: string;
  scheme: Scheme;
  venue: string;
  symbols?: string[];
  timeframe: string;
  /** decision times [from, to), µs; default: all labelled rows */
  from?: number;
  to?: number;
  /** labels horizons to use; default: all stored */
  horizons?: string[];
  holdout?: { train?: number; validation?: number; test?: number; buffer_us?: number };
  walk_forward?: { train_us?: number; test_us?: number; step_us?: number; window?: 'rolling' | 'expanding'; buffer_us?: number };
  cv?: { groups?: number; test_groups?: number; embargo_us?: number };
  /** overwrite an existing split of the same name with another definition */
  replace?: boolean;
}

/** The split file's times: ISO-8601 UTC with microseconds (see isoMicros). */
const isoFromMicros = isoMicros;

/** The file splits/<name>.json: everything a reader needs, no data copied. */
export interface SplitFile {
  name: string;
  scheme: Scheme;
  created_at: string;
  venue: string;
  timeframe: string;
  symbols: string[];
  horizons: string[];
  /** decision-time range covered, ISO */
  from: string;
  to: string;
  /** longest label horizon and longest feature lookback, as used for the buffer/embargo, hours */
  longest_label_hours: number;
  longest_lookback_hours: number;
  /** rows: labelled decisions (symbol, decision_time) */
  rows: Record<string, number>;
  inputs: Record<string, { hash: string; rows: number }>;
  /** the rows the input hashes cover: venue, timeframe and these symbols (absent in older files: every symbol) */
  inputs_scope?: { venue: string; timeframe: string; symbols: string[] };
  params: Record<string, unknown>;
  /** holdout */
  segments?: Array<{ name: string; intervals: Array<[string, string]>; rows: Record<string, number>; sealed?: boolean }>;
  purged_rows?: number;
  buffer_hours?: number;
  /** walk-forward, purged k-fold, CPCV */
  folds?: Array<{
    index: number;
    test_groups?: number[];
    train: { intervals: Array<[string, string]>; rows: Record<string, number> };
    test: { intervals: Array<[string, string]>; rows: Record<string, number> };
    purged: Array<[string, string]>;
    embargoed: Array<[string, string]>;
    removed_rows: number;
  }>;
  group_boundaries?: string[];
}

export const splitPath = (root: string, name: string): string => join(root, 'splits', `${name}.json`);

const iso = (iv: Interval[]): Array<[string, string]> => iv.map(([a, b]) => [isoFromMicros(a), isoFromMicros(b)]);
const fromIso = (iv: Array<[string, string]>): Interval[] => iv.map(([a, b]) => [parseIsoMicros(a), parseIsoMicros(b)]);
const hours = (us: number): number => Math.round((us / 3_600_000_000) * 1000) / 1000;

/** Labelled decision rows of the scope: one per (symbol, decision time), label end = the longest horizon's. */
async function labelledRows(o: SplitOptions, ctx: ServiceContext): Promise<{ rows: LabelledRow[]; horizons: string[]; maxHorizonUs: number }> {
  const files = await datasetFiles(o.root, labelsSpec(), {
    venue: [o.venue],
    timeframe: [o.timeframe],
    ...(o.symbols ? { symbol: o.symbols } : {}),
    ...(o.from !== undefined ? { from: o.from } : {}),
    ...(o.to !== undefined ? { to: o.to } : {}),
  });
  if (files.length === 0) {
    throw missingError(`no labels for ${o.venue} ${o.timeframe}${o.symbols ? ` ${o.symbols.join(',')}` : ''} under ${o.root}`, {
      hint: `run "perpkit features --labels --venue ${o.venue} --timeframe ${o.timeframe}" first`,
    });
  }
  const rows = await runQuery(
    ctx.db,
    'split/label_times',
    {
      files: listOf(files),
      from: o.from === undefined ? null : timestampValue(BigInt(o.from)),
      to: o.to === undefined ? null : timestampValue(BigInt(o.to)),
      hz: o.horizons ? listOf(o.horizons) : null,
    },
  );
  if (rows.length === 0) throw missingError('no labelled rows in the range', { hint: 'check --from/--to and --horizons' });
  const hs = new Set<string>();
  let maxH = 0;
  const out = rows.map((r) => {
    for (const h of r['hs'] as string[]) hs.add(h);
    maxH = Math.max(maxH, Number(r['hmax']) * 1000);
    return { symbol: String(r['symbol']), d: Number(r['d']), end: Number(r['e']) };
  });
  return { rows: out, horizons: [...hs].sort(), maxHorizonUs: maxH };
}

/** Longest feature lookback in time: bars x timeframe, funding prints x the slowest cadence (8 h). */
export function longestLookbackUs(timeframe: string): number {
  const tfUs = timeframeSeconds(timeframe) * 1_000_000;
  return Math.max(...FEATURES.map((f) => f.lookback * (f.input === 'funding' || f.input === 'open_interest' ? 8 * 3_600_000_000 : tfUs)));
}

export interface SplitResult {
  path: string;
  split: SplitFile;
  replaced: boolean;
}

export async function createSplit(o: SplitOptions, ctx: ServiceContext): Promise<SplitResult> {
  try {
    return await makeSplit(o, ctx);
  } catch (err) {
    throw corruptFileFromEngineError(err, o.root) ?? err;
  }
}

/** Groups and test groups of a purged k-fold or CPCV split, refused before any work when the fold count is too large. */
function cvShape(o: SplitOptions): { groups: number; test_groups: number } {
  const groups = o.cv?.groups ?? (o.scheme === 'cpcv' ? 6 : 5);
  const test_groups = o.scheme === 'cpcv' ? (o.cv?.test_groups ?? 2) : 1;
  if (!Number.isInteger(groups) || groups < 2) throw usageError(`--groups must be an integer >= 2, got ${groups}`);
  if (!Number.isInteger(test_groups) || test_groups < 1) throw usageError(`--test-groups must be an integer >= 1, got ${test_groups}`);
  if (test_groups >= groups) throw usageError(`--test-groups (${test_groups}) must be fewer than --groups (${groups})`);
  const count = combinationCount(groups, test_groups);
  if (count > MAX_CV_FOLDS) {
    throw usageError(
      `${o.scheme} with --groups ${groups} --test-groups ${test_groups} makes C(${groups},${test_groups}) = ${count.toLocaleString('en-US')} folds; the limit is ${MAX_CV_FOLDS.toLocaleString('en-US')}`,
      { hint: 'use fewer --groups or --test-groups (e.g. --groups 6 --test-groups 2: 15 folds; --groups 10 --test-groups 2: 45)', details: { folds: count, limit: MAX_CV_FOLDS } },
    );
  }
  return { groups, test_groups };
}

/** Runs a fold generator, yielding to the event loop between folds so SIGINT/SIGTERM are seen; refuses a fold left with 0 training rows. */
async function collectFolds(folds: Iterable<Fold>, ctx: ServiceContext, what: string): Promise<Fold[]> {
  const out: Fold[] = [];
  let last = Date.now();
  for (const f of folds) {
    if (Date.now() - last > 50) {
      await new Promise((r) => setImmediate(r));
      last = Date.now();
    }
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (totalRows(f.train.rows) === 0) {
      throw usageError(
        `${what}: fold ${f.index}${f.test_groups ? ` (test groups ${f.test_groups.join(',')})` : ''} has 0 training rows after purge and embargo (${f.removed_rows} removed, ${totalRows(f.test.rows)} in its test block)`,
        { hint: 'use fewer --groups, a shorter --embargo or --buffer, or a longer range; nothing was written' },
      );
    }
    out.push(f);
    ctx.log.progress(`${what}: ${out.length} fold(s)`);
  }
  ctx.log.progressDone();
  return out;
}

async function makeSplit(o: SplitOptions, ctx: ServiceContext): Promise<SplitResult> {
  if (!isSlug(o.name)) throw usageError(`--name ${JSON.stringify(o.name)} is not a valid split name (letters, digits, - _ .)`);
  const shape = o.scheme === 'purged-kfold' || o.scheme === 'cpcv' ? cvShape(o) : undefined;
  const { rows, horizons, maxHorizonUs } = await labelledRows(o, ctx);
  const from = o.from ?? (rows[0] as LabelledRow).d;
  const to = o.to ?? (rows[rows.length - 1] as LabelledRow).d + 1;
  const lookbackUs = longestLookbackUs(o.timeframe);
  const defaultBuffer = maxHorizonUs + lookbackUs;
  const bySymbol: Record<string, number> = {};
  for (const r of rows) bySymbol[r.symbol] = (bySymbol[r.symbol] ?? 0) + 1;
  const inputsScope = { venue: o.venue, timeframe: o.timeframe, symbols: Object.keys(bySymbol).sort() };
  const inputs = await inputHashes(ctx, o.root, inputsScope);
  const base: SplitFile = {
    name: o.name,
    scheme: o.scheme,
    created_at: new Date(ctx.clock.now()).toISOString(),
    venue: o.venue,
    timeframe: o.timeframe,
    symbols: Object.keys(bySymbol).sort(),
    horizons,
    from: isoFromMicros(from),
    to: isoFromMicros(to),
    longest_label_hours: hours(maxHorizonUs),
    longest_lookback_hours: hours(lookbackUs),
    rows: bySymbol,
    inputs,
    inputs_scope: inputsScope,
    params: {},
  };
  const foldOut = (f: Fold): NonNullable<SplitFile['folds']>[number] => ({
    index: f.index,
    ...(f.test_groups ? { test_groups: f.test_groups } : {}),
    train: { intervals: iso(f.train.intervals), rows: f.train.rows },
    test: { intervals: iso(f.test.intervals), rows: f.test.rows },
    purged: iso(f.purged),
    embargoed: iso(f.embargoed),
    removed_rows: f.removed_rows,
  });
  let split: SplitFile;
  try {
    if (o.scheme === 'holdout') {
      const p = HoldoutParams.parse({ ...o.holdout, buffer_us: o.holdout?.buffer_us ?? defaultBuffer });
      const h = holdout(rows, from, to, p);
      split = {
        ...base,
        params: { ...p, buffer_us: undefined, buffer_hours: hours(p.buffer_us) },
        buffer_hours: hours(p.buffer_us),
        purged_rows: h.purged_rows,
        segments: h.segments.map((s: Segment) => ({ name: s.name, intervals: iso(s.intervals), rows: s.rows, ...(s.name === 'test' ? { sealed: true } : {}) })),
      };
    } else if (o.scheme === 'walk-forward') {
      const p = WalkForwardParams.parse({
        train_us: o.walk_forward?.train_us ?? 180 * DAY_US,
        test_us: o.walk_forward?.test_us ?? 30 * DAY_US,
        step_us: o.walk_forward?.step_us ?? 30 * DAY_US,
        window: o.walk_forward?.window ?? 'rolling',
        buffer_us: o.walk_forward?.buffer_us ?? defaultBuffer,
      });
      const folds = await collectFolds(walkForwardFolds(rows, from, to, p), ctx, `split ${o.name} (walk-forward)`);
      if (folds.length === 0) throw usageError('no walk-forward fold fits in the range', { hint: 'shorten --train-window/--test-window, or widen --from/--to' });
      split = {
        ...base,
        params: { window: p.window, train_days: p.train_us / DAY_US, test_days: p.test_us / DAY_US, step_days: p.step_us / DAY_US, buffer_hours: hours(p.buffer_us) },
        folds: folds.map(foldOut),
      };
    } else {
      const p = KFoldParams.parse({ ...shape, embargo_us: o.cv?.embargo_us ?? lookbackUs });
      const gen = purgedCvFolds(rows, from, to, p);
      ctx.log.info(`split ${o.name}: computing ${gen.count} fold(s) over ${rows.length} decision rows`);
      const cv = { boundaries: gen.boundaries, folds: await collectFolds(gen.folds, ctx, `split ${o.name} (${o.scheme})`) };
      split = {
        ...base,
        params: { groups: p.groups, test_groups: p.test_groups, embargo_hours: hours(p.embargo_us) },
        group_boundaries: cv.boundaries.map((b) => isoFromMicros(b)),
        folds: cv.folds.map(foldOut),
      };
    }
  } catch (err) {
    if (err instanceof Error && !('kind' in err) && !ctx.signal.aborted) throw usageError(`cannot split: ${err.message}`);
    throw err;
  }
  const path = splitPath(o.root, o.name);
  let replaced = false;
  if (existsSync(path)) {
    // an unreadable file (torn copy, hand edit) is replaced only with --replace, as another definition is
    let old: SplitFile | null = null;
    try {
      const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
      old = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as SplitFile) : null;
    } catch {
      old = null;
    }
    if (old && sha256({ ...old, created_at: '' }) === sha256({ ...split, created_at: '' })) return { path, split: old, replaced: false };
    if (!o.replace) {
      throw usageError(old ? `split ${o.name} exists with another definition (${path})` : `split ${o.name} exists but ${path} is not a split file (not a JSON object)`, {
        hint: 'choose another --name, or pass --replace (its unsealing history is kept)',
      });
    }
    replaced = true;
  }
  mkdirSync(join(o.root, 'splits'), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(split, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return { path, split, replaced };
}

/** What every reader of a split file relies on (the file is written by createSplit; a hand edit or a torn copy can break it). */
const intervalsShape = z.array(z.tuple([z.string(), z.string()]));
const rowsShape = z.record(z.string(), z.number());
const sideShape = z.looseObject({ intervals: intervalsShape, rows: rowsShape });
const SplitFileShape = z.looseObject({
  name: z.string(),
  scheme: z.string(),
  venue: z.string(),
  timeframe: z.string(),
  symbols: z.array(z.string()),
  horizons: z.array(z.string()),
  from: z.string(),
  to: z.string(),
  rows: rowsShape,
  inputs: z.record(z.string(), z.looseObject({ hash: z.string(), rows: z.number() })),
  params: z.record(z.string(), z.unknown()),
  segments: z.array(z.looseObject({ name: z.string(), intervals: intervalsShape, rows: rowsShape })).optional(),
  folds: z.array(z.looseObject({ index: z.number(), train: sideShape, test: sideShape })).optional(),
});

export function loadSplit(root: string, name: string): SplitFile {
  if (!isSlug(name)) throw usageError(`${JSON.stringify(name)} is not a valid split name`);
  const path = splitPath(root, name);
  if (!existsSync(path)) throw missingError(`no split ${name} (${path})`, { hint: `create it with "perpkit split --name ${name} ..."` });
  const hint = `re-create it: "perpkit split --name ${name} --replace ..." (its unsealing history is in the ledger and is kept)`;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw validationError(`split ${name}: ${path} is not valid JSON (${(err as Error).message})`, { hint });
  }
  const shape = SplitFileShape.safeParse(raw);
  if (!shape.success) {
    const what = shape.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ');
    throw validationError(`split ${name}: ${path} is not a split file (${what})`, { hint });
  }
  return raw as SplitFile;
}

/** Which rows of a split: a holdout segment, or the train/test side of a fold. */
export type SegmentSelector = { segment: 'train' | 'validation' | 'test' } | { fold: number; side: 'train' | 'test' };

export function parseSelector(text: string): SegmentSelector {
  if (text === 'train' || text === 'validation' || text === 'test') return { segment: text };
  const m = /^fold-(\d+)-(train|test)$/.exec(text);
  if (m) return { fold: Number(m[1]), side: m[2] as 'train' | 'test' };
  throw usageError(`bad segment ${JSON.stringify(text)}; use train, validation, test or fold-N-train / fold-N-test`);
}

export function selectorIntervals(split: SplitFile, sel: SegmentSelector): Interval[] {
  if ('segment' in sel) {
    const s = split.segments?.find((x) => x.name === sel.segment);
    if (!s) throw usageError(`split ${split.name} (${split.scheme}) has no segment ${sel.segment}`);
    return fromIso(s.intervals);
  }
  const f = split.folds?.find((x) => x.index === sel.fold);
  if (!f) throw usageError(`split ${split.name} has no fold ${sel.fold} (it has ${split.folds?.length ?? 0})`);
  return fromIso(f[sel.side].intervals);
}

/** Content hashes (ingest_time left out) of the features and labels a split covers. */
/**
 * The fingerprints of the features and labels a split is computed on (contentFingerprint: no sort,
 * no whole-dataset string). Splits written before it carry contentHash values (plain hex): `like`
 * gives a recorded set, and each dataset is then hashed the way its recorded value was.
 */
async function inputHashes(
  ctx: ServiceContext,
  root: string,
  scope: { venue: string; timeframe: string; symbols?: string[] },
  like?: SplitFile['inputs'],
): Promise<SplitFile['inputs']> {
  const filter: ReadFilter = { venue: [scope.venue], timeframe: [scope.timeframe], ...(scope.symbols ? { symbol: scope.symbols } : {}) };
  const inputs: SplitFile['inputs'] = {};
  for (const spec of [featuresSpec(), labelsSpec()]) {
    const recorded = like?.[spec.name]?.hash;
    // how the recorded value was made: plain hex = contentHash; rs1: = md5 fingerprint; else rs2
    const legacy = recorded !== undefined && recorded !== 'empty' && !/^rs\d:/.test(recorded);
    const h = legacy
      ? await contentHash(ctx, root, spec, filter, ['ingest_time'])
      : await contentFingerprint(ctx, root, spec, filter, ['ingest_time'], recorded?.startsWith('rs1:') ? 'rs1' : 'rs2');
    inputs[spec.name] = { hash: h.hash, rows: h.rows };
  }
  return inputs;
}

export interface InputChange {
  dataset: string;
  recorded: { hash: string; rows: number };
  now: { hash: string; rows: number };
}

/**
 * Compares the features and labels a split was computed on with what is stored now. A split
 * applied to changed data has boundaries, purges and row counts that no longer describe it.
 */
export async function checkSplitInputs(ctx: ServiceContext, root: string, split: SplitFile): Promise<{ current: SplitFile['inputs']; changed: InputChange[] }> {
  const scope = split.inputs_scope ?? { venue: split.venue, timeframe: split.timeframe };
  const current = await inputHashes(ctx, root, scope, split.inputs);
  const changed: InputChange[] = [];
  for (const [dataset, rec] of Object.entries(split.inputs)) {
    const now = current[dataset] ?? { hash: 'empty', rows: 0 };
    if (now.hash !== rec.hash) changed.push({ dataset, recorded: rec, now });
  }
  return { current, changed };
}

export interface ReadSegmentOptions {
  root: string;
  name: string;
  selector: SegmentSelector;
  dataset: 'features' | 'labels';
  /** required to read the sealed test segment of a holdout split */
  unseal_test?: boolean;
  /** read even though the features or labels changed since the split was written (recorded in the ledger) */
  allow_changed?: boolean;
  /**
   * Another venue's rows over the split's intervals (research's venue-robustness check: the same
   * test on a second venue's data): the split's symbols and timeframe, and its sealing rules; no
   * input-hash check, as the split was not computed on that venue's data.
   */
  venue?: string;
  /**
   * One look at the sealed test segment made of several reads (features and labels, other venues):
   * the first sealed read records the unsealing and warns of a repeated look; the later reads
   * sharing this object record nothing more and report the same repeated look.
   */
  look?: SegmentLook;
  /** the reading command's flags named in hints (defaults: --unseal-test, --allow-changed; null: the command has none) */
  flags?: { unseal?: string; allow_changed?: string | null };
  /** for the ledger: the command and arguments that read it */
  command: string;
  args: unknown;
  /** false: the rows in no particular order (for readers that sort what they read; default: time order) */
  ordered?: boolean;
  /**
   * The result of checkSplitInputs for this split, made by the caller in the same run: a reader of
   * several segments or datasets fingerprints the inputs once (each check is a pass over all the
   * features and labels). Changed inputs are refused or recorded exactly as without it.
   */
  inputs?: { current: SplitFile['inputs']; changed: InputChange[] };
  /**
   * Only these columns (with symbol and event_time, always kept), in no particular order (implies
   * ordered: false). A column in none of the dataset's files is refused, naming it, before any row is read.
   */
  columns?: readonly string[];
  /**
   * With `columns`: the temp table holds only symbol and event_time (the keys: the counts, and joins
   * on them); the columns are checked as above and read by the caller straight from the files with
   * the result's `source` (readSegmentColumns), never copied into a table first.
   */
  keys_only?: boolean;
}

/**
 * Where a segment read's rows are (ReadSegmentResult.source): the dataset files and the intervals on
 * decision time (microseconds, half-open) that readSegment selected them by.
 */
export interface SegmentSource {
  files: string[];
  intervals: Array<[number, number]>;
  /** each file's stamp (fileStamp) when the rows were read: a rebuild replaces the files */
  stamps: string[];
}

/** A file's size, modification time (ns) and inode, or "missing": a replaced file has another. */
function fileStamp(path: string): string {
  try {
    const st = statSync(path, { bigint: true });
    return `${st.size}:${st.mtimeNs}:${st.ino}`;
  } catch {
    return 'missing';
  }
}

/** The state of one look at a sealed test segment shared by a run's reads (ReadSegmentOptions.look). */
export interface SegmentLook {
  recorded: boolean;
  /** the split whose unsealing was recorded (a read of another split is its own look) */
  split?: string;
  /** the unsealings before this look (ledger event times) */
  previous: string[];
  /** the (split, segment) reads of changed data this run has recorded (allow_changed: one access row per run, split and segment; one warning per run and split) */
  accessed?: Array<{ split: string; segment: string }>;
}

/** A new look: pass the same object to every read of one run. */
export const newLook = (): SegmentLook => ({ recorded: false, previous: [] });

export interface ReadSegmentResult {
  /** temp table holding the rows, named uniquely per call (drop it when done) */
  table: string;
  rows: number;
  /** decision rows (distinct symbol, decision time): equal to the split file's count for the segment when the data is unchanged */
  decision_rows: number;
  /** this split's test segment was unsealed before: every result that uses it must say so */
  repeated_look: boolean;
  /** unsealings of this split before this one */
  previous_unsealings: string[];
  /** inputs that changed since the split was written (read anyway with allow_changed) */
  changed_inputs: InputChange[];
  /** the files and intervals the rows were selected from (readSegmentColumns reads their columns) */
  source: SegmentSource;
}

/** The parameters of the segment queries (queries/split/segment_*.sql): files, interval starts and ends (the open end capped), and their bounds. */
function segmentParams(files: readonly string[], intervals: ReadonlyArray<readonly [number, number]>): { files: DuckDBValue; starts: DuckDBValue; ends: DuckDBValue; lo: DuckDBValue; hi: DuckDBValue } {
  const ts = (us: number): ReturnType<typeof timestampValue> => timestampValue(BigInt(us));
  const ends = intervals.map(([, b]) => Math.min(b, 9e15));
  return {
    files: listOf([...files]),
    starts: listValue(intervals.map(([a]) => ts(a))),
    ends: listValue(ends.map(ts)),
    lo: intervals.length ? ts(Math.min(...intervals.map(([a]) => a))) : null,
    hi: intervals.length ? ts(Math.max(...ends)) : null,
  };
}

/**
 * The one way steps read the rows of a segment or fold: the split's intervals on decision time
 * (event_time), the split's scope (venue, timeframe, symbols). The features and labels must still
 * hash as when the split was written (else exit 3, or allow_changed, which records the new hashes
 * in the ledger). Reading a sealed test segment needs unseal_test, is recorded in the ledger, and
 * a repeated look is reported. Each call creates its own temp table, so several reads (features
 * and labels, several folds) can be open at once.
 */
export async function readSegment(o: ReadSegmentOptions, ctx: ServiceContext): Promise<ReadSegmentResult> {
  try {
    return await readSegmentRows(o, ctx);
  } catch (err) {
    throw corruptFileFromEngineError(err, o.root) ?? err;
  }
}

async function readSegmentRows(o: ReadSegmentOptions, ctx: ServiceContext): Promise<ReadSegmentResult> {
  const split = loadSplit(o.root, o.name);
  const intervals = selectorIntervals(split, o.selector);
  const sealed = 'segment' in o.selector && split.segments?.find((s) => s.name === 'test')?.sealed === true && o.selector.segment === 'test';
  let previous: string[] = [];
  if (sealed) {
    if (!o.unseal_test) {
      throw usageError(`the test segment of split ${o.name} is sealed`, {
        hint: `pass ${o.flags?.unseal ?? '--unseal-test'} to read it; every unsealing is recorded in the ledger and a second one is reported as a repeated look`,
      });
    }
  }
  const spec = o.dataset === 'features' ? featuresSpec() : labelsSpec();
  const venue = o.venue ?? split.venue;
  // another venue's rows (the venue-robustness check): not what the split was computed on
  const foreign = venue !== split.venue;
  const files = await datasetFiles(o.root, spec, { venue: [venue], timeframe: [split.timeframe], symbol: split.symbols });
  if (files.length === 0) {
    throw missingError(`no ${o.dataset} for split ${o.name}'s scope${foreign ? ` on venue ${venue}` : ''}`, { hint: `rebuild them with perpkit features${foreign ? ` --venue ${venue}` : ''}` });
  }
  const { current, changed } = foreign ? { current: {} as SplitFile['inputs'], changed: [] as InputChange[] } : (o.inputs ?? (await checkSplitInputs(ctx, o.root, split)));
  const recorded = Object.fromEntries(Object.entries(split.inputs).map(([k, v]) => [k, v.hash]));
  const now = Object.fromEntries(Object.entries(current).map(([k, v]) => [k, v.hash]));
  const allowFlag = o.flags?.allow_changed === undefined ? '--allow-changed' : o.flags.allow_changed;
  if (changed.length) {
    const what = changed.map((c) => `${c.dataset} (${c.recorded.rows} rows, hash ${c.recorded.hash.slice(0, 12)} when written; now ${c.now.rows} rows, hash ${c.now.hash.slice(0, 12)})`).join(', ');
    if (!o.allow_changed) {
      throw validationError(`the data of split ${o.name} changed since it was written: ${what}`, {
        hint: `its boundaries, purges and counts describe the old data: re-create it ("perpkit split --name ${o.name} --replace ...")${allowFlag === null ? '' : `, or pass ${allowFlag} to read anyway (recorded in the ledger)`}`,
        details: { split: o.name, changed },
      });
    }
    if (!o.look?.accessed?.some((x) => x.split === o.name)) ctx.log.warn(`split ${o.name}: reading changed data (${allowFlag ?? '--allow-changed'}): ${what}; recorded in the ledger`);
  }
  // a later read of a look already recorded: the same previous unsealings, nothing recorded again
  const seen = sealed && o.look?.recorded === true && o.look.split === o.name;
  if (seen) previous = o.look!.previous;
  else if (sealed) previous = (await ledgerRows(ctx, o.root, { kind: 'unseal', split_name: o.name })).map((r) => r.event_time);
  const params = segmentParams(files, intervals);
  const table = `segment_${o.dataset}_${randomBytes(6).toString('hex')}`;
  if (o.columns) {
    const cols = [...new Set(['symbol', 'event_time', ...o.columns])];
    const present = await fileColumns(ctx, files);
    const missing = cols.filter((c) => !present.has(c));
    if (missing.length) {
      throw missingError(`the ${o.dataset} of split ${o.name}'s scope${foreign ? ` on venue ${venue}` : ''} have no column(s) ${missing.join(', ')}`, {
        hint: o.dataset === 'features' ? `rebuild the features with every family: perpkit features${foreign ? ` --venue ${venue}` : ''} --set all` : `rebuild the labels (perpkit features${foreign ? ` --venue ${venue}` : ''} --labels${missing.includes('rel_return') ? '; labels built before their spot leg have no rel_return, which the relative target reads' : ''}) and re-create the split with --replace`,
        details: { split: o.name, dataset: o.dataset, columns: missing },
      });
    }
    await execQuery(ctx.db, 'split/segment_columns', params, { idents: { table, cols: o.keys_only ? ['symbol', 'event_time'] : cols } });
  } else await execQuery(ctx.db, o.ordered === false ? 'split/segment_unordered' : 'split/segment', params, { idents: { table } });
  const [counts] = await runQuery(ctx.db, 'split/segment_counts', {}, { idents: { table } });
  const rows = Number(counts?.['n']);
  const decisionRows = Number(counts?.['d']);
  const segmentName = 'segment' in o.selector ? o.selector.segment : `fold-${o.selector.fold}-${o.selector.side}`;
  // one access row per run (its reads share o.look), split and segment read (a train+validation run
  // records both segments); without a look, one per read. The warning above is one per run and split.
  if (changed.length && !o.look?.accessed?.some((x) => x.split === o.name && x.segment === segmentName)) {
    if (o.look) (o.look.accessed ??= []).push({ split: o.name, segment: segmentName });
    await appendLedger(ctx, o.root, {
      kind: 'access',
      command: o.command,
      args: o.args,
      config: split.params,
      data_hashes: now,
      split_name: o.name,
      segment: segmentName,
      detail: { allow_changed: true, split_hashes: recorded, changed: changed.map((c) => c.dataset), rows },
    });
  }
  if (sealed && !seen) {
    await appendLedger(ctx, o.root, {
      kind: 'unseal',
      command: o.command,
      args: o.args,
      config: split.params,
      data_hashes: now,
      split_name: o.name,
      segment: 'test',
      detail: { rows, previous_unsealings: previous.length, ...(changed.length ? { split_hashes: recorded } : {}), ...(foreign ? { venue } : {}) },
    });
    if (previous.length) ctx.log.warn(`repeated look: the test segment of split ${o.name} was unsealed ${previous.length} time(s) before (first ${previous[0]})`);
    if (o.look) {
      o.look.recorded = true;
      o.look.split = o.name;
      o.look.previous = previous;
    }
  }
  return {
    table,
    rows,
    decision_rows: decisionRows,
    repeated_look: previous.length > 0,
    previous_unsealings: previous,
    changed_inputs: changed,
    source: { files, intervals: intervals.map(([a, b]) => [a, b] as [number, number]), stamps: files.map(fileStamp) },
  };
}

/**
 * The chosen columns of the rows of one or more segment reads of the same files (their sources'
 * intervals together), as doubles, streamed into `into` one symbol at a time: `runs` gives each
 * symbol's rows (counted from the reads' key tables) and where they go, in time order. Per row: the
 * decision time in epoch ms, again in epoch microseconds, then each column (NULL as NaN). The rows
 * arrive in the files' order, which is time order when each file is and the files follow each other
 * in time; when not, a symbol's rows are put in time order here. Files replaced since the reads
 * (their size, modification time or inode; a rebuild ran meanwhile) or a symbol whose row count
 * differs from its run's are refused (a validation error, exit 3): the rows would not be the ones
 * the reads checked and counted. The columns must have been checked by the reads
 * (ReadSegmentOptions.columns).
 */
export async function readSegmentColumns(
  ctx: ServiceContext,
  root: string,
  sources: readonly SegmentSource[],
  cols: readonly string[],
  runs: ReadonlyArray<{ symbol: string; start: number; n: number }>,
  into: readonly Float64Array[],
): Promise<void> {
  const files = sources[0]?.files ?? [];
  // the rows must be the reads' own: the same files, unchanged since they were read (a rebuild
  // in between replaces them), checked before and after the columns are streamed
  const replaced = (): boolean => sources.some((x) => x.files.some((f, k) => fileStamp(f) !== x.stamps[k]));
  const refuse = (what: string): PerpkitError =>
    validationError(`the data changed while it was read: ${what}`, { hint: 'a rebuild of the features or labels ran at the same time; run this again once it is done' });
  if (sources.some((x) => x.files.length !== files.length || x.files.some((f, k) => f !== files[k]))) throw refuse('the segment reads are of different files');
  if (replaced()) throw refuse('files were replaced since they were read');
  const base = segmentParams(files, sources.flatMap((x) => x.intervals));
  for (const run of runs) {
    const part = into.map((a) => a.subarray(run.start, run.start + run.n));
    // the symbol's own files (hive partition symbol=...), so that each query reads only those; all of them if none is named so
    const own = files.filter((f) => f.includes(`${sep}symbol=${run.symbol}${sep}`));
    let read: number;
    try {
      read = await readQueryInto(ctx.db, 'split/segment_doubles', { ...base, ...(own.length ? { files: listOf(own) } : {}), symbol: run.symbol }, { idents: { cols: [...cols] } }, part);
    } catch (err) {
      if (replaced()) throw refuse(`files of ${run.symbol} were replaced while they were read`);
      // more rows than counted (features/panel.ts readInto refuses to write past the arrays)
      if (err instanceof Error && err.message.startsWith('readInto: the query returned more than')) throw refuse(`more rows of ${run.symbol} in the files than the ${run.n} counted`);
      throw corruptFileFromEngineError(err, root) ?? err;
    }
    if (replaced()) throw refuse(`files of ${run.symbol} were replaced while they were read`);
    if (read !== run.n) throw refuse(`${read} rows of ${run.symbol} in the files, ${run.n} when counted`);
    inTimeOrder(part[1]!, part);
  }
}

/**
 * Puts rows in ascending order of `us` (every array of `cols` permuted alike; ties keep their
 * order) when they are not already: one pass when they are. A parallel scan of several files
 * returns each file's rows in order but the files in any order: when the ascending runs do not
 * overlap in time they are moved as blocks; otherwise the rows are sorted. Returns whether rows moved.
 */
export function inTimeOrder(us: Float64Array, cols: readonly Float64Array[]): boolean {
  const starts = [0];
  for (let i = 1; i < us.length; i++) if (us[i]! < us[i - 1]!) starts.push(i);
  if (starts.length === 1) return false;
  const runs = starts.map((s0, k) => ({ s0, e: starts[k + 1] ?? us.length })).sort((x, y) => us[x.s0]! - us[y.s0]! || x.s0 - y.s0);
  // runs that follow each other strictly in time: the order is the runs' order
  const blocks = runs.every((r, k) => k === 0 || us[runs[k - 1]!.e - 1]! < us[r.s0]!);
  const tmp = new Float64Array(us.length);
  const idx = blocks ? null : Int32Array.from({ length: us.length }, (_, i) => i).sort((a, b) => us[a]! - us[b]! || a - b);
  for (const c of new Set(cols)) {
    if (idx) for (let j = 0; j < idx.length; j++) tmp[j] = c[idx[j]!]!;
    else {
      let at = 0;
      for (const r of runs) {
        tmp.set(c.subarray(r.s0, r.e), at);
        at += r.e - r.s0;
      }
    }
    c.set(tmp);
  }
  return true;
}

/** A text timeline of a split for people. */
export function renderTimeline(s: SplitFile): string {
  const lines: string[] = [];
  lines.push(`split ${s.name}: ${s.scheme}, ${s.venue} ${s.timeframe} ${s.symbols.join(',')}, horizons ${s.horizons.join(',')}`);
  lines.push(`range ${s.from} -> ${s.to}; longest label ${s.longest_label_hours} h, longest feature lookback ${s.longest_lookback_hours} h`);
  lines.push(`inputs: ${Object.entries(s.inputs).map(([k, v]) => `${k} ${v.rows} rows ${v.hash.slice(0, 12)}`).join('; ')}`);
  const rowsText = (r: Record<string, number>): string => {
    const total = Object.values(r).reduce((a, b) => a + b, 0);
    return `${total} rows (${Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ')})`;
  };
  if (s.segments) {
    let prevEnd: string | undefined;
    for (const seg of s.segments) {
      const first = seg.intervals[0];
      const last = seg.intervals[seg.intervals.length - 1];
      if (prevEnd && first && prevEnd < first[0]) lines.push(`  buffer      ${prevEnd} -> ${first[0]}`);
      lines.push(`  ${seg.name.padEnd(10)}  ${first?.[0]} -> ${last?.[1]}  ${rowsText(seg.rows)}${seg.sealed ? '  [sealed]' : ''}`);
      prevEnd = last?.[1];
    }
    lines.push(`buffer ${s.buffer_hours} h; purged ${s.purged_rows} row(s) whose label reached the next segment`);
  }
  for (const f of s.folds ?? []) {
    const tr = f.train.intervals.map(([a, b]) => `${a.slice(0, 16)}..${b.slice(0, 16)}`).join(' + ');
    const te = f.test.intervals.map(([a, b]) => `${a.slice(0, 16)}..${b.slice(0, 16)}`).join(' + ');
    lines.push(`  fold ${String(f.index).padStart(2)}${f.test_groups ? ` groups ${f.test_groups.join(',')}` : ''}: train ${tr} (${Object.values(f.train.rows).reduce((a, b) => a + b, 0)})  test ${te} (${Object.values(f.test.rows).reduce((a, b) => a + b, 0)})  removed ${f.removed_rows}`);
  }
  return `${lines.join('\n')}\n`;
}
