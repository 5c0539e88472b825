import type { ServiceContext } from '../domain/context.js';
import type { SqlParams } from './duckdb.js';
import { quoteIdent } from './duckdb.js';
import { bindLists, headerList, loadQuery, renderQuery, type LoadedQuery, type QueryShape } from './queries.js';

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

export function loadStep(name: string): StepQuery {
  const q = loadQuery(name);
  const reads = headerList(q.sql, 'reads');
  const creates = headerList(q.sql, 'creates');
  if (reads === null || creates === null || creates.length !== 1) {
    throw new Error(`step ${name}: its header must declare "-- reads: t1, t2" and "-- creates: t" (one table)`);
  }
  for (const t of [...reads, ...creates]) {
    const ph = /^\{\{([a-z_][a-z0-9_]*)\}\}$/.exec(t);
    if (ph) {
      if (!q.idents.includes(ph[1] as string)) throw new Error(`step ${name}: ${t} in its header is not declared in "-- idents:"`);
    } else quoteIdent(t);
  }
  return { ...q, reads, creates: creates[0] as string };
}

/** A header table name, with a {{placeholder}} resolved from the step's identifiers. */
function tableName(t: string, shape: QueryShape): string[] {
  const ph = /^\{\{([a-z_][a-z0-9_]*)\}\}$/.exec(t);
  if (!ph) return [t];
  const v = (shape.idents ?? {})[ph[1] as string];
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : [...v];
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
export async function runStep(
  ctx: Pick<ServiceContext, 'db' | 'log'>,
  name: string,
  params: SqlParams = {},
  timings?: Record<string, number>,
  shape: QueryShape = {},
): Promise<number> {
  const step = loadStep(name);
  const missingParams = step.params.filter((p) => !(p in params));
  const extra = Object.keys(params).filter((p) => !step.params.includes(p));
  if (missingParams.length || extra.length) {
    throw new StepError(name, [missingParams.length ? `no value for ${missingParams.map((p) => `$${p}`).join(', ')}` : '', extra.length ? `unknown parameters ${extra.join(', ')}` : ''].filter(Boolean).join('; '));
  }
  let sql: string;
  try {
    sql = renderQuery(step, shape);
  } catch (err) {
    throw new StepError(name, (err as Error).message, { cause: err });
  }
  const reads = step.reads.flatMap((t) => tableName(t, shape));
  const creates = tableName(step.creates, shape)[0] as string;
  if (reads.length) {
    const have = await ctx.db.all(`SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views()`);
    const names = new Set(have.map((r) => String(r['table_name'])));
    const absent = reads.filter((t) => !names.has(t));
    if (absent.length) throw new StepError(name, `input table(s) ${absent.join(', ')} do not exist; the step before it did not run`);
  }
  ctx.log.progress(`step ${name}`);
  const t0 = performance.now();
  try {
    await bindLists(ctx.db, step, shape);
    await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE ${quoteIdent(creates)} AS ${sql}`, params);
  } catch (err) {
    throw new StepError(name, (err as Error).message, { cause: err });
  }
  const ms = performance.now() - t0;
  if (timings) timings[name] = (timings[name] ?? 0) + ms;
  return ms;
}
