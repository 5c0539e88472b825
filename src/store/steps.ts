import type { ServiceContext } from '../domain/context.js';
import type { SqlParams } from './duckdb.js';
import { quoteIdent } from './duckdb.js';
import { loadQuery, type LoadedQuery } from './queries.js';

/**
 * The step runner: executes one file of queries/ as a step of a pipeline. Each step file declares
 * in its header comment the tables it reads and the one it creates:
 *
 *   -- reads: label_grid, label_bars
 *   -- creates: label_out
 *
 * Before running, the runner checks that every declared input exists and that exactly the file's
 * $parameters are bound; errors name the step and its file; each run is timed.
 */

export interface StepQuery extends LoadedQuery {
  reads: string[];
  creates: string;
}

const listLine = (sql: string, key: string): string[] | null => {
  const m = new RegExp(`^--\\s*${key}:\\s*(.*)$`, 'mi').exec(sql);
  if (!m) return null;
  return (m[1] as string)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0 && s !== '-');
};

export function loadStep(name: string): StepQuery {
  const q = loadQuery(name);
  const reads = listLine(q.sql, 'reads');
  const creates = listLine(q.sql, 'creates');
  if (reads === null || creates === null || creates.length !== 1) {
    throw new Error(`step ${name}: its header must declare "-- reads: t1, t2" and "-- creates: t" (one table)`);
  }
  for (const t of [...reads, ...creates]) quoteIdent(t);
  return { ...q, reads, creates: creates[0] as string };
}

export class StepError extends Error {
  constructor(
    readonly step: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`step ${step} (queries/${step}.sql): ${message}`, options);
    this.name = 'StepError';
  }
}

/** Runs a step into its declared table; returns the elapsed milliseconds. */
export async function runStep(ctx: Pick<ServiceContext, 'db' | 'log'>, name: string, params: SqlParams = {}, timings?: Record<string, number>): Promise<number> {
  const step = loadStep(name);
  const missingParams = step.params.filter((p) => !(p in params));
  const extra = Object.keys(params).filter((p) => !step.params.includes(p));
  if (missingParams.length || extra.length) {
    throw new StepError(name, [missingParams.length ? `no value for ${missingParams.map((p) => `$${p}`).join(', ')}` : '', extra.length ? `unknown parameters ${extra.join(', ')}` : ''].filter(Boolean).join('; '));
  }
  if (step.reads.length) {
    const have = await ctx.db.all(`SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()`);
    const names = new Set(have.map((r) => String(r['table_name'])));
    const absent = step.reads.filter((t) => !names.has(t));
    if (absent.length) throw new StepError(name, `input table(s) ${absent.join(', ')} do not exist; the step before it did not run`);
  }
  ctx.log.progress(`step ${name}`);
  const t0 = performance.now();
  try {
    await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(step.creates)} AS ${step.sql}`, params);
  } catch (err) {
    throw new StepError(name, (err as Error).message, { cause: err });
  }
  const ms = performance.now() - t0;
  if (timings) timings[name] = (timings[name] ?? 0) + ms;
  return ms;
}
