import { existsSync, readdirSync, statSync } from 'node:fs';
import { StatementType } from '@duckdb/node-api';
import { join } from 'node:path';
import type { ServiceContext } from '../domain/context.js';
import { DATASETS, type DatasetSpec } from '../domain/datasets.js';
import { missingError, PerpkitError, usageError } from '../domain/errors.js';
import { featuresSpec, labelsSpec } from '../domain/features.js';
import { datasetFiles, listOf } from '../store/dataset.js';
import { corruptFileFromEngineError } from '../store/integrity.js';
import { ledgerSpec } from '../store/ledger.js';
import type { DuckSession } from '../store/duckdb.js';
import { execQuery, loadQuery, runQuery } from '../store/queries.js';
import { predictionsSpec } from './train/predictions.js';
import { researchSpec } from '../domain/research.js';

/**
 * `perpkit sql`: read-only ad-hoc DuckDB over the data dir. The view and macro definitions live in
 * queries/sql/*.sql and read their file lists from DuckDB variables (perpkit_files_<view>), so the
 * same files serve both this command (variables = the checked file lists) and `perpkit sql --init`
 * (variables = globs, for the DuckDB CLI or Python). Writes are refused twice: the statement must
 * parse as one SELECT (DuckDB's own parser, json_serialize_sql), and the engine runs with external
 * access off except for the listed files (allowed_paths) and its configuration locked.
 */

interface ViewDef {
  /** view name = queries/sql/<name>.sql */
  name: string;
  /** dataset folder under the data dir */
  dir: string;
  spec?: DatasetSpec;
}

/** Dataset views in creation order (quarantine first: the market views exclude its rows). */
const DATASET_VIEWS: readonly ViewDef[] = [
  { name: 'quarantine', dir: 'quarantine', spec: DATASETS.quarantine },
  { name: 'bars', dir: 'bars', spec: DATASETS.bars },
  { name: 'funding', dir: 'funding', spec: DATASETS.funding },
  { name: 'open_interest', dir: 'open_interest', spec: DATASETS.open_interest },
  { name: 'trades', dir: 'trades', spec: DATASETS.trades },
  { name: 'quotes', dir: 'quotes', spec: DATASETS.quotes },
  { name: 'book', dir: 'book', spec: DATASETS.book },
  { name: 'derivative_ticker', dir: 'derivative_ticker', spec: DATASETS.derivative_ticker },
  { name: 'instruments', dir: 'instruments', spec: DATASETS.instruments },
  { name: 'features', dir: 'features', spec: featuresSpec() },
  { name: 'labels', dir: 'labels', spec: labelsSpec() },
  { name: 'predictions', dir: 'predictions', spec: predictionsSpec() },
  { name: 'research', dir: 'research', spec: researchSpec() },
  { name: 'ledger', dir: 'ledger', spec: ledgerSpec() },
];

/** Views over splits/*.json and the macros, with the views each needs. */
const DERIVED: ReadonlyArray<{ name: string; query: string; needs: readonly string[] }> = [
  { name: 'splits', query: 'sql/splits', needs: ['@splits'] },
  { name: 'split_intervals', query: 'sql/split_intervals', needs: ['splits'] },
  { name: 'asof_price', query: 'sql/macro_asof_price', needs: ['bars'] },
  { name: 'in_split', query: 'sql/macro_in_split', needs: ['split_intervals'] },
  { name: 'split_features', query: 'sql/macro_split_features', needs: ['features', 'split_intervals'] },
  { name: 'split_labels', query: 'sql/macro_split_labels', needs: ['labels', 'split_intervals'] },
];

/** Every name `perpkit sql` can define, for messages. */
export const SQL_NAMES = [...DATASET_VIEWS.map((v) => v.name), ...DERIVED.map((d) => d.name)];

function splitFiles(root: string): string[] {
  const dir = join(root, 'splits');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .sort()
    .map((f) => join(dir, f));
}

function checkRoot(root: string): void {
  if (!existsSync(root)) {
    throw missingError(`data dir ${root} does not exist`, { hint: 'pass --data-dir, or run "perpkit fetch --source sample" first' });
  }
  if (!statSync(root).isDirectory()) throw usageError(`data dir ${root} is not a directory`, { hint: 'pass --data-dir with a folder' });
}

export interface SqlSession {
  /** views and macros defined (datasets not stored have none) */
  defined: string[];
  /** names left undefined because their data is not stored */
  missing: string[];
}

/**
 * Defines the views and macros on ctx.db over the data dir's files (damaged files refused with
 * exit 3 by the store's listing), then locks the engine down: no file access but to those files,
 * configuration locked. The session is for reading only from then on.
 */
export async function openSqlSession(ctx: ServiceContext, root: string, opts: { include_quarantined?: boolean } = {}): Promise<SqlSession> {
  checkRoot(root);
  const db = ctx.db;
  const defined: string[] = [];
  const missing: string[] = [];
  const allowed: string[] = [];
  await execQuery(db, 'sql/session_include_quarantined', { b: opts.include_quarantined === true });
  for (const v of DATASET_VIEWS) {
    const files = v.spec ? await datasetFiles(root, v.spec) : [];
    if (files.length === 0) {
      if (v.name === 'quarantine') {
        await execQuery(db, 'sql/quarantine_empty');
        defined.push(v.name);
      } else missing.push(v.name);
      continue;
    }
    await execQuery(db, 'sql/session_files', { files: listOf(files) }, { idents: { var: `perpkit_files_${v.name}` } });
    await execQuery(db, `sql/${v.name}`);
    defined.push(v.name);
    allowed.push(...files);
  }
  const splits = splitFiles(root);
  if (splits.length) {
    await execQuery(db, 'sql/session_files', { files: listOf(splits) }, { idents: { var: 'perpkit_files_splits' } });
    allowed.push(...splits);
  }
  for (const d of DERIVED) {
    const ok = d.needs.every((n) => (n === '@splits' ? splits.length > 0 : defined.includes(n)));
    if (!ok) {
      missing.push(d.name);
      continue;
    }
    await execQuery(db, d.query);
    defined.push(d.name);
  }
  // The engine-level guard: reads of the listed files only, no writes anywhere, no extensions,
  // no ATTACH of files, and a query cannot switch any of it back.
  await execQuery(db, 'sql/session_allowed_paths', { paths: listOf(allowed) });
  await execQuery(db, 'sql/session_lock');
  return { defined, missing };
}

const READ_ONLY_HINT =
  'perpkit sql is read-only: one SELECT (or WITH ... SELECT, FROM ..., DESCRIBE, SUMMARIZE, SHOW) per call; to keep a result, redirect stdout (--format csv|json > file)';

/**
 * Refuses anything but exactly one SELECT-like statement, using DuckDB's own parser (statements
 * that are not SELECT cannot be serialised). Syntax errors come back as usage errors naming the problem.
 */
export async function inspectStatement(ctx: ServiceContext, sql: string): Promise<void> {
  if (sql.trim().length === 0) throw usageError('no query given', { hint: 'perpkit sql "SELECT ..." (or --init to print the view definitions)' });
  const [parsed] = await runQuery(ctx.db, 'sql/inspect_statement', { sql });
  const raw = String(parsed?.['tree']);
  const tree = JSON.parse(raw) as { error: boolean; error_type?: string; error_message?: string; position?: string; statements?: unknown[] };
  if (tree.error) {
    if (tree.error_type === 'parser') {
      throw usageError(`syntax error in the query: ${tree.error_message ?? 'cannot parse it'}${tree.position ? ` (at character ${Number(tree.position) + 1})` : ''}`, {
        hint: 'check the SQL; the views are listed by perpkit sql "SHOW TABLES"',
      });
    }
    throw usageError('refused: the query is not a single read-only SELECT (statements that write, attach, copy, install or change settings are not run)', {
      hint: READ_ONLY_HINT,
    });
  }
  const n = tree.statements?.length ?? 0;
  if (n !== 1) throw usageError(`give one statement per call (got ${n})`, { hint: READ_ONLY_HINT });
}

/** DuckDB error type prefix ("Binder Error: ...") and the first line without it. */
function engineMessage(err: Error): { type: string; text: string } {
  const first = err.message.split('\n')[0] ?? '';
  const m = /^([A-Za-z ]+) Error: (.*)$/.exec(first);
  return m ? { type: (m[1] as string).trim(), text: (m[2] as string).trim() } : { type: '', text: first.trim() };
}

/** Maps an error of running the user's query to a perpkit error (exit 2, 3, 4 or 130); null for a genuine bug. */
export function mapQueryError(err: unknown, root: string, session: SqlSession, signal: AbortSignal): PerpkitError | null {
  if (err instanceof PerpkitError) return err;
  if (signal.aborted && signal.reason instanceof PerpkitError) return signal.reason;
  if (!(err instanceof Error)) return null;
  const corrupt = corruptFileFromEngineError(err, root);
  if (corrupt) return corrupt;
  const { type, text } = engineMessage(err);
  if (type === 'Permission') {
    return usageError('refused: perpkit sql reads only the files of the data dir\'s datasets and writes nothing', { hint: READ_ONLY_HINT });
  }
  const table = /^Table with name (\S+) does not exist/.exec(text);
  if (type === 'Catalog' && table) {
    const name = (table[1] as string).replace(/!$/, '');
    if (session.missing.includes(name)) {
      return missingError(`no ${name} stored under ${root}, so there is no ${name} view`, {
        hint: name === 'splits' || name.startsWith('split')
          ? 'create a split first: perpkit split --name NAME'
          : `fetch or build it first (perpkit fetch / perpkit features); defined now: ${session.defined.join(', ')}`,
      });
    }
    return usageError(`no table or view ${name}`, { hint: `perpkit sql defines: ${session.defined.join(', ')}` });
  }
  if (type === 'INTERNAL' || type === 'FATAL' || type === '') return null;
  return usageError(`query failed: ${text}`, { hint: `views: ${session.defined.join(', ')}; see docs/sql.md` });
}

export interface SqlOptions {
  root: string;
  sql: string;
  include_quarantined?: boolean;
}

export interface SqlResult {
  columns: string[];
  types: string[];
  /** rows as JSON-friendly values (timestamps as text, big integers as text) */
  rows: unknown[][];
  defined: string[];
}

export async function runSql(opts: SqlOptions, ctx: ServiceContext): Promise<SqlResult> {
  const session = await openSqlSession(ctx, opts.root, { include_quarantined: opts.include_quarantined === true });
  await inspectStatement(ctx, opts.sql);
  const stop = (): void => ctx.db.conn.interrupt();
  ctx.signal.addEventListener('abort', stop);
  try {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    // Second check, by the engine's binder: the prepared statement must be a SELECT. (The file
    // guard alone would let COPY ... TO <a listed file> (USE_TMP_FILE false) overwrite it.)
    const prepared = await ctx.db.conn.prepare(opts.sql);
    if (prepared.statementType !== StatementType.SELECT) {
      throw usageError('refused: the query is not a single read-only SELECT (statements that write, attach, copy, install or change settings are not run)', {
        hint: READ_ONLY_HINT,
      });
    }
    const reader = await prepared.runAndReadAll();
    return {
      columns: reader.columnNames(),
      types: reader.columnTypes().map((t) => t.toString()),
      rows: jsonRows(reader.getRows(), reader.getRowsJson() as unknown[][]),
      defined: session.defined,
    };
  } catch (err) {
    throw mapQueryError(err, opts.root, session, ctx.signal) ?? err;
  } finally {
    ctx.signal.removeEventListener('abort', stop);
  }
}

/** DuckDB's JSON rows, but integers that fit a JS number as numbers (counts are BIGINT in DuckDB). */
function jsonRows(native: unknown[][], json: unknown[][]): unknown[][] {
  return json.map((row, r) =>
    row.map((v, c) => {
      const n = native[r]?.[c];
      return typeof n === 'bigint' && n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(n) : v;
    }),
  );
}

/** A `SET VARIABLE name = literal;` line of the init script, written by DuckDB (queries/sql/init_set_variable.sql). */
async function setLine(db: DuckSession, name: string, value: { text: string } | { flag: boolean }): Promise<string> {
  const [r] = await runQuery(db, 'sql/init_set_variable', { name, text: 'text' in value ? value.text : null, flag: 'flag' in value ? value.flag : null });
  return String(r?.['line']);
}

/**
 * The `--init` script: the same view and macro files, with the variables set to globs under the
 * data dir (so new partitions show up without re-running it). Datasets not stored when it is made
 * are left out with a comment.
 */
export async function initScript(db: DuckSession, root: string, opts: { include_quarantined?: boolean; now?: Date } = {}): Promise<string> {
  checkRoot(root);
  const out: string[] = [
    `-- perpkit views and macros over ${root}`,
    `-- generated by "perpkit sql --init"${opts.now ? ` at ${opts.now.toISOString()}` : ''}; the definitions are queries/sql/*.sql.`,
    '-- DuckDB CLI: duckdb -init views.sql     Python: import duckdb; con = duckdb.connect(); con.execute(open("views.sql").read())',
    '-- Set perpkit_include_quarantined to true to see the rows perpkit validate quarantined.',
    await setLine(db, 'perpkit_include_quarantined', { flag: opts.include_quarantined === true }),
    '',
  ];
  const defined: string[] = [];
  for (const v of DATASET_VIEWS) {
    const dir = join(root, v.dir);
    const has = existsSync(dir) && readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.parquet'));
    if (!has) {
      if (v.name === 'quarantine') {
        out.push(loadQuery('sql/quarantine_empty').sql.trimEnd(), '');
        defined.push(v.name);
      } else out.push(`-- ${v.name}: nothing stored under ${dir} yet; run "perpkit sql --init" again once it is`, '');
      continue;
    }
    out.push(await setLine(db, `perpkit_files_${v.name}`, { text: join(dir, '**', '*.parquet') }));
    out.push(loadQuery(`sql/${v.name}`).sql.trimEnd(), '');
    defined.push(v.name);
  }
  const hasSplits = splitFiles(root).length > 0;
  if (hasSplits) out.push(await setLine(db, 'perpkit_files_splits', { text: join(root, 'splits', '*.json') }));
  for (const d of DERIVED) {
    const ok = d.needs.every((n) => (n === '@splits' ? hasSplits : defined.includes(n)));
    if (!ok) {
      out.push(`-- ${d.name}: left out (needs ${d.needs.map((n) => (n === '@splits' ? 'a split file' : n)).join(', ')})`, '');
      continue;
    }
    out.push(loadQuery(d.query).sql.trimEnd(), '');
    defined.push(d.name);
  }
  return `${out.join('\n')}\n`;
}
