import { cpSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import type { DuckSession } from '../../src/store/duckdb.js';

/**
 * Defect injection for the validate tests: rewrites partition files of a perpkit data dir straight
 * with DuckDB COPY, bypassing the store's writer (which would refuse most of these defects), the
 * way a hand-written file or another tool would leave them on disk.
 */

export interface BarSeries {
  venue: string;
  symbol: string;
  price: string;
  timeframe: string;
}

export function copyDataDir(from: string, to: string): void {
  cpSync(from, to, { recursive: true, filter: (src) => !src.endsWith('README.md') });
}

export function barFile(root: string, s: BarSeries, month: string): string {
  return join(root, 'bars', `venue=${s.venue}`, `symbol=${s.symbol}`, `price=${s.price}`, `timeframe=${s.timeframe}`, `month=${month}`, 'part-0.parquet');
}

export function fundingFile(root: string, venue: string, symbol: string, month: string): string {
  return join(root, 'funding', `venue=${venue}`, `symbol=${symbol}`, `month=${month}`, 'part-0.parquet');
}

/**
 * Rewrites one Parquet file as the result of `select`, which reads the file's rows from the temp
 * table __f (stored columns only, no partition columns). Rows keep the order `select` gives.
 */
export async function rewrite(db: DuckSession, file: string, select: string, params: Record<string, DuckDBValue> = {}): Promise<void> {
  await db.exec(`CREATE OR REPLACE TEMP TABLE __f AS SELECT * FROM read_parquet($file)`, { file });
  const tmp = `${file}.tmp`;
  await db.exec(`COPY (${select}) TO '${tmp.replace(/'/g, "''")}' (FORMAT parquet)`, params);
  renameSync(tmp, file);
  await db.exec('DROP TABLE __f');
}

/** Writes rows of a query (stored columns) to a new file, creating its partition folder. */
export async function writeNew(db: DuckSession, file: string, select: string, params: Record<string, DuckDBValue> = {}): Promise<void> {
  mkdirSync(dirname(file), { recursive: true });
  await db.exec(`COPY (${select}) TO '${file.replace(/'/g, "''")}' (FORMAT parquet)`, params);
}

export function removeFile(file: string): void {
  rmSync(file, { force: true });
}

/** 'YYYY-MM' of epoch microseconds. */
export const monthOf = (us: number): string => new Date(us / 1000).toISOString().slice(0, 7);
/** DuckDB's VARCHAR rendering of a TIMESTAMP given as epoch microseconds (as in row keys). */
export function tsText(us: number): string {
  const iso = new Date(Math.floor(us / 1000)).toISOString().replace('T', ' ').replace('Z', '');
  const frac = us % 1_000_000;
  const base = iso.slice(0, 19);
  if (frac === 0) return base;
  return `${base}.${String(frac).padStart(6, '0').replace(/0+$/, '')}`;
}
