import { readFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIST, listValue, VARCHAR, type DuckDBResultReader, type DuckDBValue } from '@duckdb/node-api';
import { quoteIdent, type DuckSession, type JsonRow, type SqlParams } from './duckdb.js';

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
  /** Identifier placeholders ({{name}}) declared in the header line `-- idents: a, b`. */
  idents: string[];
  /** List variables declared in the header line `-- lists: a, b`, read in the SQL as getvariable('a'). */
  lists: string[];
}

/**
 * What a query's text cannot hold as a bound parameter: identifiers (a temp table's unique name, a
 * catalog's column list) and lists of names for DuckDB star expressions (`COLUMNS(getvariable('cols'))`).
 * Identifiers are expanded into the text only through quoteIdent (a list becomes `"a", "b"`); list
 * variables are bound values set with SET VARIABLE before the query runs. Never a user value.
 */
export interface QueryShape {
  idents?: Record<string, string | readonly string[]>;
  lists?: Record<string, readonly string[]>;
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
  return parseQuery(name, readFileSync(file, 'utf8'));
}

/** Parses a query's text: its parameters, and the identifiers and lists its header declares. */
export function parseQuery(name: string, sql: string): LoadedQuery {
  if (!sql.trimStart().startsWith('--')) throw new Error(`query ${name} must start with a comment describing it`);
  const params: string[] = [];
  for (const m of codeOnly(sql).matchAll(/\$([a-z_][a-z0-9_]*)/gi)) {
    const p = m[1] as string;
    if (!params.includes(p)) params.push(p);
  }
  const idents = headerList(sql, 'idents') ?? [];
  const lists = headerList(sql, 'lists') ?? [];
  const used = [...new Set([...codeOnly(sql).matchAll(/\{\{([a-z_][a-z0-9_]*)\}\}/g)].map((m) => m[1] as string))];
  const undeclared = used.filter((u) => !idents.includes(u));
  const unused = idents.filter((i) => !used.includes(i));
  if (undeclared.length || unused.length) {
    throw new Error(
      `query ${name}: ${undeclared.length ? `placeholders ${undeclared.map((u) => `{{${u}}}`).join(', ')} are not declared in "-- idents:"` : ''}${
        undeclared.length && unused.length ? '; ' : ''
      }${unused.length ? `declared idents ${unused.join(', ')} are not used` : ''}`,
    );
  }
  return { name, sql, params, idents, lists };
}

/** A comma-separated header line such as `-- reads: a, b`; null when the file has none. */
export function headerList(sql: string, key: string): string[] | null {
  const m = new RegExp(`^--\\s*${key}:\\s*(.*)$`, 'mi').exec(sql);
  if (!m) return null;
  return (m[1] as string)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && s !== '-');
}

/** The query's text with its {{identifiers}} expanded through quoteIdent; every declared one must be given. */
export function renderQuery(q: LoadedQuery, shape: QueryShape = {}): string {
  const given = shape.idents ?? {};
  const missing = q.idents.filter((i) => !(i in given));
  const extra = Object.keys(given).filter((i) => !q.idents.includes(i));
  const missingLists = q.lists.filter((l) => !(l in (shape.lists ?? {})));
  const extraLists = Object.keys(shape.lists ?? {}).filter((l) => !q.lists.includes(l));
  const problems = [
    missing.length ? `no identifier for ${missing.map((m) => `{{${m}}}`).join(', ')}` : '',
    extra.length ? `unknown identifiers ${extra.join(', ')}` : '',
    missingLists.length ? `no list for ${missingLists.join(', ')}` : '',
    extraLists.length ? `unknown lists ${extraLists.join(', ')}` : '',
  ].filter(Boolean);
  if (problems.length) throw new Error(`query ${q.name}: ${problems.join('; ')}`);
  return q.sql.replace(/\{\{([a-z_][a-z0-9_]*)\}\}/g, (_all, key: string) => {
    const v = given[key] as string | readonly string[];
    if (typeof v === 'string') return quoteIdent(v);
    if (v.length === 0) throw new Error(`query ${q.name}: the identifier list {{${key}}} is empty`);
    return v.map(quoteIdent).join(', ');
  });
}

/** Binds the query's list variables (SET VARIABLE name = [..]) in the session. */
export async function bindLists(db: DuckSession, q: LoadedQuery, shape: QueryShape = {}): Promise<void> {
  for (const name of q.lists) {
    quoteIdent(name);
    const values = (shape.lists ?? {})[name] as readonly string[];
    // typed, so that an empty list binds too (an untyped empty list has no item type)
    await db.conn.run(`SET VARIABLE ${name} = $v`, { v: listValue([...values]) }, { v: LIST(VARCHAR) });
  }
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

/**
 * The text of query `name` ready to run: loaded, its {{identifiers}} expanded, exactly its
 * parameters given (checked) and its list variables bound in the session. Every runner below uses it.
 */
export async function prepareQuery(db: DuckSession, name: string, params: SqlParams = {}, shape: QueryShape = {}): Promise<string> {
  const q = loadQuery(name);
  const sql = renderQuery(q, shape);
  bindable(q, params);
  await bindLists(db, q, shape);
  return sql;
}

export async function runQuery(db: DuckSession, name: string, params: SqlParams = {}, shape: QueryShape = {}): Promise<JsonRow[]> {
  return db.all(await prepareQuery(db, name, params, shape), params);
}

/** As runQuery, with rows of native JS values (numbers, bigints, DuckDB value objects). */
export async function runQueryRows(db: DuckSession, name: string, params: SqlParams = {}, shape: QueryShape = {}): Promise<Record<string, DuckDBValue>[]> {
  return db.rows(await prepareQuery(db, name, params, shape), params);
}

/** As runQuery, the whole result as DuckDB's reader (for column-wise reads: getColumnsJS and the like). */
export async function readQuery(db: DuckSession, name: string, params: SqlParams = {}, shape: QueryShape = {}): Promise<DuckDBResultReader> {
  const sql = await prepareQuery(db, name, params, shape);
  return Object.keys(params).length ? db.conn.runAndReadAll(sql, params) : db.conn.runAndReadAll(sql);
}

export async function execQuery(db: DuckSession, name: string, params: SqlParams = {}, shape: QueryShape = {}): Promise<void> {
  await db.exec(await prepareQuery(db, name, params, shape), params);
}
