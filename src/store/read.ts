import type { ServiceContext } from '../domain/context.js';
import type { DatasetName, DatasetSpec } from '../domain/datasets.js';
import { DATASETS } from '../domain/datasets.js';
import { listOf, datasetFiles, SCAN_SQL, type ReadFilter } from './dataset.js';
import { quoteIdent, type JsonRow } from './duckdb.js';
import { excludeQuarantined } from './quarantine.js';
import { loadQuery } from './queries.js';
import { timestampValue } from '@duckdb/node-api';

/**
 * The read side of the store: every read of a dataset goes through here. Reads land in uniquely
 * named temp tables (any number can be open at once), partition folders are pruned from the
 * filter, rows quarantined by `perpkit validate` are left out unless asked for (`available_before`
 * gives what a live system had before a time), and the latest instrument version is read in one place.
 */

let counter = 0;
/** A temp-table name no other read in this process uses. */
export function tempName(prefix: string): string {
  counter += 1;
  return quoteIdent(`${prefix}_${process.pid}_${counter}`).slice(1, -1);
}

export interface ScanOptions extends ReadFilter {
  /** columns to keep (dataset columns and partition keys; allow-listed); default: all */
  columns?: string[];
  /** keep only rows with event_time >= this (µs); default: no bound (the filter's from prunes partitions only) */
  event_from?: number;
  /** keep only rows with available_time < this (µs): what a live system had before it */
  available_before?: number;
  /** keep only rows with open_time < this (µs; bars) */
  open_before?: number;
  /** keep only rows first stored after this (ingest_time > it, µs) */
  ingested_after?: number;
  /** keep quarantined rows (default: left out and counted) */
  include_quarantined?: boolean;
  /** name prefix of the temp table */
  prefix?: string;
}

export interface ScanResult {
  /** temp table holding the rows (empty, with no columns, when nothing is stored: see files) */
  table: string;
  /** files read (0: nothing stored for the filter) */
  files: number;
  rows: number;
  /** rows left out because they are quarantined */
  excluded: number;
}

const us = (x: number | undefined): ReturnType<typeof timestampValue> | null => (x === undefined ? null : timestampValue(BigInt(Math.round(x))));

/** Reads the rows of a dataset matching the filter into a new temp table. */
export async function scan(ctx: Pick<ServiceContext, 'db'>, root: string, spec: DatasetSpec, o: ScanOptions = {}): Promise<ScanResult> {
  const table = tempName(o.prefix ?? `scan_${spec.name}`);
  const files = await datasetFiles(root, spec, o);
  if (files.length === 0) return { table, files: 0, rows: 0, excluded: 0 };
  const known = new Set([...spec.partitionKeys, ...spec.columns.map((c) => c.name)]);
  const cols = o.columns ?? [...spec.partitionKeys, ...spec.columns.map((c) => c.name)];
  for (const c of cols) if (!known.has(c)) throw new Error(`dataset ${spec.name} has no column ${c}`);
  // quarantine matching needs the key columns
  const keep = o.include_quarantined ? cols : [...new Set([...cols, ...spec.naturalKey.filter((k) => known.has(k))])];
  const where: string[] = [];
  const params: Record<string, unknown> = { files: listOf(files) };
  for (const k of ['venue', 'symbol', 'price', 'timeframe'] as const) {
    if (o[k]?.length && known.has(k)) {
      where.push(`${quoteIdent(k)} IN (SELECT unnest($${k}))`);
      params[k] = listOf(o[k]);
    }
  }
  if (o.event_from !== undefined) {
    where.push('event_time >= $event_from');
    params['event_from'] = us(o.event_from);
  }
  if (o.available_before !== undefined) {
    where.push('available_time < $available_before');
    params['available_before'] = us(o.available_before);
  }
  if (o.ingested_after !== undefined) {
    where.push('ingest_time > $ingested_after');
    params['ingested_after'] = us(o.ingested_after);
  }
  if (o.open_before !== undefined) {
    where.push('open_time < $open_before');
    params['open_before'] = us(o.open_before);
  }
  await ctx.db.exec(
    `CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} AS SELECT ${keep.map(quoteIdent).join(', ')} FROM ${SCAN_SQL}${where.length ? ` WHERE ${where.join(' AND ')}` : ''}`,
    params as Parameters<typeof ctx.db.exec>[1],
  );
  let excluded = 0;
  if (!o.include_quarantined && (DATASETS as Record<string, DatasetSpec>)[spec.name] !== undefined) {
    excluded = (await excludeQuarantined(ctx, { root, dataset: spec.name as DatasetName, table })).rows_excluded;
  }
  const rows = Number(await ctx.db.scalar(`SELECT count(*) FROM ${quoteIdent(table)}`));
  return { table, files: files.length, rows, excluded };
}

/** Drops a temp table made by scan. */
export async function release(ctx: Pick<ServiceContext, 'db'>, table: string): Promise<void> {
  await ctx.db.exec(`DROP TABLE IF EXISTS ${quoteIdent(table)}`);
}

/** The latest stored version of each instrument of a venue (optionally some symbols or one kind). */
export async function latestInstruments(
  ctx: Pick<ServiceContext, 'db'>,
  root: string,
  o: { venue: string[]; symbols?: string[]; kind?: string },
): Promise<JsonRow[]> {
  const files = await datasetFiles(root, DATASETS.instruments, { venue: o.venue, ...(o.symbols ? { symbol: o.symbols } : {}) });
  if (files.length === 0) return [];
  const q = loadQuery('read/latest_instruments');
  return ctx.db.all(q.sql.replace('__SCAN__', SCAN_SQL), { files: listOf(files), kind: o.kind ?? null });
}
