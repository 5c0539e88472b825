import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DuckSession, JsonRow, SqlParams } from './duckdb.js';

/**
 * The queries/ folder shipped with the package. Found from this module's own location
 * (src/store or dist/store, both two levels below the package root), never from the cwd.
 */
export function queriesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const dir = join(here, '..', '..', 'queries');
  if (!existsSync(dir)) throw new Error(`perpkit queries folder not found at ${dir}; the package is incomplete`);
  return dir;
}

export interface LoadedQuery {
  /** e.g. "store/summary" */
  name: string;
  sql: string;
  /** Named parameters used in the SQL ($name), in order of first use. */
  params: string[];
}

const NAME_RE = /^[a-z0-9_]+\/[a-z0-9_]+$/;

/** Strips comments and string literals so that $names inside them are not taken for parameters. */
function codeOnly(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''");
}

export function loadQuery(name: string): LoadedQuery {
  if (!NAME_RE.test(name)) throw new Error(`bad query name ${JSON.stringify(name)}`);
  const file = join(queriesDir(), `${name}.sql`);
  if (!existsSync(file)) throw new Error(`query ${name} not found at ${file}`);
  const sql = readFileSync(file, 'utf8');
  if (!sql.trimStart().startsWith('--')) throw new Error(`query ${name} must start with a comment describing it`);
  const params: string[] = [];
  for (const m of codeOnly(sql).matchAll(/\$([a-z_][a-z0-9_]*)/gi)) {
    const p = m[1] as string;
    if (!params.includes(p)) params.push(p);
  }
  return { name, sql, params };
}

/** Checks that exactly the query's parameters are given, so a typo fails loudly. */
function bindable(q: LoadedQuery, params: SqlParams): SqlParams {
  const given = Object.keys(params);
  const missing = q.params.filter((p) => !given.includes(p));
  const extra = given.filter((p) => !q.params.includes(p));
  if (missing.length || extra.length) {
    throw new Error(
      `query ${q.name}: ${missing.length ? `missing parameters ${missing.join(', ')}` : ''}${
        missing.length && extra.length ? '; ' : ''
      }${extra.length ? `unknown parameters ${extra.join(', ')}` : ''}`,
    );
  }
  return params;
}

export async function runQuery(db: DuckSession, name: string, params: SqlParams = {}): Promise<JsonRow[]> {
  const q = loadQuery(name);
  return db.all(q.sql, bindable(q, params));
}

export async function execQuery(db: DuckSession, name: string, params: SqlParams = {}): Promise<void> {
  const q = loadQuery(name);
  await db.exec(q.sql, bindable(q, params));
}
