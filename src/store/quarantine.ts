import type { ServiceContext } from '../domain/context.js';
import { DATASETS, type DatasetName } from '../domain/datasets.js';
import type { Severity } from '../domain/validate-config.js';
import { quoteIdent } from './duckdb.js';
import { datasetFiles, listOf, SCAN_SQL } from './dataset.js';

/**
 * Reading the quarantine written by `perpkit validate`, for the steps after it (features,
 * backtest): they stage their input rows in a temp table, call excludeQuarantined, and report
 * the counts it returns. Raw data is never changed; only the staged copy loses the rows.
 */

export interface ExclusionResult {
  dataset: DatasetName;
  rows_before: number;
  rows_excluded: number;
  rows_after: number;
  /** rows excluded per check (a row failing two checks counts under both) */
  by_check: Record<string, number>;
  /** quarantine files read (0 = no quarantine yet: nothing excluded) */
  quarantine_files: number;
}

export interface ExcludeOptions {
  /** data dir */
  root: string;
  /** dataset whose rows the table holds */
  dataset: DatasetName;
  /**
   * Temp table holding rows of that dataset (at least venue, symbol, event_time; plus price and
   * timeframe for bars, available_time when the dataset's natural key has it).
   */
  table: string;
  /** only verdicts of these severities exclude (default: all quarantined verdicts) */
  severities?: Severity[];
}

/** How a quarantine row matches a data row: the natural key columns the quarantine keeps typed. */
function matchSql(dataset: DatasetName, tableCols: string[]): string {
  const key = DATASETS[dataset].naturalKey;
  const conds = ['q.venue = t.venue', 'q.symbol = t.symbol', 'q.event_time = t.event_time'];
  for (const c of ['price', 'timeframe'] as const) {
    if (key.includes(c)) conds.push(`q.${c} IS NOT DISTINCT FROM t.${c}`);
  }
  if (key.includes('available_time') && tableCols.includes('available_time')) conds.push('q.row_available_time = t.available_time');
  return conds.join(' AND ');
}

/**
 * Deletes from `table` the rows quarantined for `dataset` and says how many, by check.
 * The table name must be a plain identifier (it is quoted, never interpolated as given).
 */
export async function excludeQuarantined(ctx: Pick<ServiceContext, 'db'>, opts: ExcludeOptions): Promise<ExclusionResult> {
  const t = quoteIdent(opts.table);
  const rowsBefore = Number(await ctx.db.scalar(`SELECT count(*) FROM ${t}`));
  const files = await datasetFiles(opts.root, DATASETS.quarantine);
  const empty: ExclusionResult = {
    dataset: opts.dataset,
    rows_before: rowsBefore,
    rows_excluded: 0,
    rows_after: rowsBefore,
    by_check: {},
    quarantine_files: files.length,
  };
  if (files.length === 0) return empty;
  const cols = (await ctx.db.all(`SELECT column_name FROM (DESCRIBE ${t})`)).map((r) => String(r['column_name']));
  const on = matchSql(opts.dataset, cols);
  try {
    await ctx.db.exec(
      `CREATE OR REPLACE TEMP TABLE __qkeys AS
       SELECT venue, symbol, price, timeframe, event_time, row_available_time, "check"
       FROM ${SCAN_SQL} WHERE dataset = $dataset AND ($severities IS NULL OR list_contains($severities, severity))`,
      { files: listOf(files), dataset: opts.dataset, severities: opts.severities ? listOf(opts.severities) : null },
    );
    const byCheck = await ctx.db.all(
      `SELECT q."check", count(DISTINCT t.rowid)::BIGINT AS n FROM ${t} t JOIN __qkeys q ON ${on} GROUP BY ALL ORDER BY 1`,
    );
    await ctx.db.exec(`DELETE FROM ${t} t WHERE EXISTS (SELECT 1 FROM __qkeys q WHERE ${on})`);
    const rowsAfter = Number(await ctx.db.scalar(`SELECT count(*) FROM ${t}`));
    return {
      ...empty,
      rows_excluded: rowsBefore - rowsAfter,
      rows_after: rowsAfter,
      by_check: Object.fromEntries(byCheck.map((r) => [String(r['check']), Number(r['n'])])),
    };
  } finally {
    await ctx.db.exec('DROP TABLE IF EXISTS __qkeys');
  }
}
