import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timestampValue } from '@duckdb/node-api';
import type { ServiceContext } from '../domain/context.js';
import { isSlug, timeframeSeconds } from '../domain/datasets.js';
import { missingError, usageError } from '../domain/errors.js';
import { FEATURES, featuresSpec, labelsSpec } from '../domain/features.js';
import {
  HoldoutParams,
  KFoldParams,
  WalkForwardParams,
  holdout,
  purgedCv,
  walkForward,
  type Fold,
  type Interval,
  type LabelledRow,
  type Scheme,
  type Segment,
} from '../domain/split.js';
import { isoFromMicros } from '../domain/time.js';
import { contentHash, datasetFiles, listOf, SCAN_SQL } from '../store/dataset.js';
import { quoteIdent } from '../store/duckdb.js';
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
const fromIso = (iv: Array<[string, string]>): Interval[] => iv.map(([a, b]) => [Date.parse(a) * 1000, Date.parse(b) * 1000]);
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
  const rows = await ctx.db.all(
    `SELECT symbol, epoch_us(event_time)::BIGINT AS d, epoch_us(max(label_end_time))::BIGINT AS e,
            list(DISTINCT horizon ORDER BY horizon) AS hs, max(horizon_ms)::BIGINT AS hmax
     FROM ${SCAN_SQL}
     WHERE ($from IS NULL OR event_time >= $from) AND ($to IS NULL OR event_time < $to)
       AND ($hz IS NULL OR list_contains($hz, horizon))
     GROUP BY symbol, event_time ORDER BY event_time, symbol`,
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
  if (!isSlug(o.name)) throw usageError(`--name ${JSON.stringify(o.name)} is not a valid split name (letters, digits, - _ .)`);
  const { rows, horizons, maxHorizonUs } = await labelledRows(o, ctx);
  const from = o.from ?? (rows[0] as LabelledRow).d;
  const to = o.to ?? (rows[rows.length - 1] as LabelledRow).d + 1;
  const lookbackUs = longestLookbackUs(o.timeframe);
  const defaultBuffer = maxHorizonUs + lookbackUs;
  const bySymbol: Record<string, number> = {};
  for (const r of rows) bySymbol[r.symbol] = (bySymbol[r.symbol] ?? 0) + 1;
  const scope = { venue: [o.venue], timeframe: [o.timeframe], ...(o.symbols ? { symbol: o.symbols } : {}) };
  const inputs: SplitFile['inputs'] = {};
  for (const spec of [featuresSpec(), labelsSpec()]) {
    const h = await contentHash(ctx, o.root, spec, scope, ['ingest_time']);
    inputs[spec.name] = { hash: h.hash, rows: h.rows };
  }
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
      const folds = walkForward(rows, from, to, p);
      if (folds.length === 0) throw new Error('no fold fits: shorten --train-window or widen the range');
      split = {
        ...base,
        params: { window: p.window, train_days: p.train_us / DAY_US, test_days: p.test_us / DAY_US, step_days: p.step_us / DAY_US, buffer_hours: hours(p.buffer_us) },
        folds: folds.map(foldOut),
      };
    } else {
      const p = KFoldParams.parse({
        groups: o.cv?.groups ?? (o.scheme === 'cpcv' ? 6 : 5),
        test_groups: o.scheme === 'cpcv' ? (o.cv?.test_groups ?? 2) : 1,
        embargo_us: o.cv?.embargo_us ?? lookbackUs,
      });
      const cv = purgedCv(rows, from, to, p);
      split = {
        ...base,
        params: { groups: p.groups, test_groups: p.test_groups, embargo_hours: hours(p.embargo_us) },
        group_boundaries: cv.boundaries.map((b) => isoFromMicros(b)),
        folds: cv.folds.map(foldOut),
      };
    }
  } catch (err) {
    if (err instanceof Error && !('kind' in err)) throw usageError(`cannot split: ${err.message}`);
    throw err;
  }
  const path = splitPath(o.root, o.name);
  let replaced = false;
  if (existsSync(path)) {
    const old = JSON.parse(readFileSync(path, 'utf8')) as SplitFile;
    const same = sha256({ ...old, created_at: '' }) === sha256({ ...split, created_at: '' });
    if (same) return { path, split: old, replaced: false };
    if (!o.replace) {
      throw usageError(`split ${o.name} exists with another definition (${path})`, { hint: 'choose another --name, or pass --replace (its unsealing history is kept)' });
    }
    replaced = true;
  }
  mkdirSync(join(o.root, 'splits'), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(split, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
  return { path, split, replaced };
}

export function loadSplit(root: string, name: string): SplitFile {
  if (!isSlug(name)) throw usageError(`${JSON.stringify(name)} is not a valid split name`);
  const path = splitPath(root, name);
  if (!existsSync(path)) throw missingError(`no split ${name} (${path})`, { hint: `create it with "perpkit split --name ${name} ..."` });
  return JSON.parse(readFileSync(path, 'utf8')) as SplitFile;
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

export interface ReadSegmentOptions {
  root: string;
  name: string;
  selector: SegmentSelector;
  dataset: 'features' | 'labels';
  /** required to read the sealed test segment of a holdout split */
  unseal_test?: boolean;
  /** for the ledger: the command and arguments that read it */
  command: string;
  args: unknown;
}

export interface ReadSegmentResult {
  /** temp table holding the rows */
  table: string;
  rows: number;
  /** this split's test segment was unsealed before: every result that uses it must say so */
  repeated_look: boolean;
  /** unsealings of this split before this one */
  previous_unsealings: string[];
}

/**
 * The one way steps read the rows of a segment or fold: the split's intervals on decision time
 * (event_time), the split's scope (venue, timeframe, symbols). Reading a sealed test segment needs
 * unseal_test, is recorded in the ledger, and a repeated look is reported.
 */
export async function readSegment(o: ReadSegmentOptions, ctx: ServiceContext): Promise<ReadSegmentResult> {
  const split = loadSplit(o.root, o.name);
  const intervals = selectorIntervals(split, o.selector);
  const sealed = 'segment' in o.selector && split.segments?.find((s) => s.name === 'test')?.sealed === true && o.selector.segment === 'test';
  let previous: string[] = [];
  if (sealed) {
    if (!o.unseal_test) {
      throw usageError(`the test segment of split ${o.name} is sealed`, {
        hint: 'pass --unseal-test to read it; every unsealing is recorded in the ledger and a second one is reported as a repeated look',
      });
    }
    previous = (await ledgerRows(ctx, o.root, { kind: 'unseal', split_name: o.name })).map((r) => r.event_time);
  }
  const spec = o.dataset === 'features' ? featuresSpec() : labelsSpec();
  const files = await datasetFiles(o.root, spec, { venue: [split.venue], timeframe: [split.timeframe], symbol: split.symbols });
  if (files.length === 0) throw missingError(`no ${o.dataset} for split ${o.name}'s scope`, { hint: 'rebuild them with perpkit features' });
  const ivSql = intervals.map((_, i) => `(event_time >= $a${i} AND event_time < $b${i})`).join(' OR ') || 'false';
  const params: Record<string, ReturnType<typeof timestampValue> | ReturnType<typeof listOf>> = { files: listOf(files) };
  intervals.forEach(([a, b], i) => {
    params[`a${i}`] = timestampValue(BigInt(a));
    params[`b${i}`] = timestampValue(BigInt(Math.min(b, 9e15)));
  });
  const table = 'segment_rows';
  await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} AS SELECT * FROM ${SCAN_SQL} WHERE ${ivSql} ORDER BY event_time, symbol`, params);
  const rows = Number(await ctx.db.scalar(`SELECT count(*) FROM ${quoteIdent(table)}`));
  if (sealed) {
    await appendLedger(ctx, o.root, {
      kind: 'unseal',
      command: o.command,
      args: o.args,
      config: split.params,
      data_hashes: Object.fromEntries(Object.entries(split.inputs).map(([k, v]) => [k, v.hash])),
      split_name: o.name,
      segment: 'test',
      detail: { rows, previous_unsealings: previous.length },
    });
    if (previous.length) ctx.log.warn(`repeated look: the test segment of split ${o.name} was unsealed ${previous.length} time(s) before (first ${previous[0]})`);
  }
  return { table, rows, repeated_look: previous.length > 0, previous_unsealings: previous };
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
