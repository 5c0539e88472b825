import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceContext } from '../../domain/context.js';
import type { SqlParams } from '../../store/duckdb.js';
import { readQuery } from '../../store/queries.js';
import { validationError } from '../../domain/errors.js';
import type { Block, Chart, Table } from './schema.js';

/** Reads the columns of a queries/ file's result as JS arrays (numbers, strings, nulls), by position. */
export async function columns(ctx: ServiceContext, name: string, params: SqlParams): Promise<unknown[][]> {
  return (await readQuery(ctx.db, name, params)).getColumnsJS() as unknown[][];
}

/** A JSON file of a run, exit 3 naming it when it does not parse. */
export function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw validationError(`${path} is not valid JSON: ${(err as Error).message}`, { hint: 'the run folder is damaged; re-run it' });
  }
}

export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'package.json');
    if (existsSync(p)) {
      try {
        return String((JSON.parse(readFileSync(p, 'utf8')) as { version?: string }).version ?? 'unknown');
      } catch {
        return 'unknown';
      }
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Display numbers: fixed digits, '' for null. */
export function fx(v: number | null | undefined, d = 3): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(d);
}
export function fpct(v: number | null | undefined, d = 2): string {
  return v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${(v * 100).toFixed(d)}%`;
}

export const table = (id: string, title: string, cols: string[], rows: Table['rows'], note?: string): Table => ({ type: 'table', id, title, columns: cols, rows, ...(note ? { note } : {}) });
export const text = (t: string): Block => ({ type: 'text', text: t });
export const chart = <C extends Chart>(c: Omit<C, 'type'>): C => ({ type: 'chart', ...c }) as C;

/** Rounds a number for tables in JSON/HTML (6 significant digits). */
export function r6(v: unknown): number | null {
  const n = finite(v);
  return n === null ? null : n === 0 ? 0 : Number(n.toPrecision(6));
}

export const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
