import { Args, Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { usageError } from '../domain/errors.js';
import { initScript, runSql, type SqlResult } from '../services/sql.js';

type Result = ({ mode: 'query'; format: string } & SqlResult) | { mode: 'init'; script: string };

const csvCell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export default class Sql extends PerpkitCommand<Result> {
  static summary = 'Run a read-only DuckDB query over the datasets (a view per dataset, a few macros); --init prints the definitions.';
  static description = `Defines a view per stored dataset over the data dir's Parquet files (Hive partition columns
included): bars, funding, open_interest, trades, quotes, book, derivative_ticker, instruments,
quarantine, features, labels, ledger; splits and split_intervals over splits/*.json; and the macros
asof_price(venue, symbol, t), in_split(split, segment, t), split_features(split, segment) and
split_labels(split, segment). Rows quarantined by "perpkit validate" are left out of the market
views unless --include-quarantined. The definitions are queries/sql/*.sql; see docs/sql.md.

Only one SELECT-like statement runs per call (SELECT, WITH, FROM, DESCRIBE, SUMMARIZE, SHOW);
anything that writes, copies, attaches, installs or changes settings is refused with exit 2, and
the engine itself can read only the datasets' files. Save results by redirecting stdout.

--init prints the same views and macros as a script for the DuckDB CLI (duckdb -init views.sql)
or Python's duckdb, with globs under the data dir.`;

  static examples = [
    `<%= config.bin %> sql "SELECT venue, symbol, timeframe, count(*) AS n FROM bars GROUP BY ALL ORDER BY ALL"`,
    `<%= config.bin %> sql "SELECT asof_price('binance-usdm', 'BTC-PERP', TIMESTAMP '2026-03-14 12:00') AS btc" --format csv`,
    `<%= config.bin %> sql "SELECT symbol, count(*) FROM split_labels('main', 'train') GROUP BY ALL" --format json`,
    '<%= config.bin %> sql --init > views.sql && duckdb -init views.sql',
  ];

  static args = {
    query: Args.string({ description: 'The SQL query (one SELECT statement).', required: false }),
  };

  static flags = {
    format: Flags.string({ description: 'Output format of the rows.', options: ['table', 'csv', 'json'], default: 'table' }),
    init: Flags.boolean({ description: 'Print the view and macro definitions (for duckdb -init or Python) instead of running a query.', default: false }),
    'include-quarantined': Flags.boolean({ description: 'Keep the rows perpkit validate quarantined in the dataset views.', default: false }),
  };

  protected async execute(): Promise<Result> {
    const { args, flags } = await this.parse(Sql);
    const root = this.dataDir(flags['data-dir']);
    if (flags.init) {
      if (args.query !== undefined) throw usageError('give either a query or --init, not both');
      return { mode: 'init', script: await initScript((await this.context()).db, root, { include_quarantined: flags['include-quarantined'] }) };
    }
    if (args.query === undefined) throw usageError('no query given', { hint: 'perpkit sql "SELECT ..." (or --init to print the view definitions)' });
    const r = await runSql({ root, sql: args.query, include_quarantined: flags['include-quarantined'] }, await this.context());
    return { mode: 'query', format: flags.format, ...r };
  }

  protected present(r: Result): void {
    if (r.mode === 'init') {
      process.stdout.write(r.script);
      return;
    }
    if (r.format === 'csv') {
      const lines = [r.columns.map(csvCell).join(','), ...r.rows.map((row) => row.map(csvCell).join(','))];
      process.stdout.write(`${lines.join('\n')}\n`);
    } else if (r.format === 'json') {
      const objs = r.rows.map((row) => Object.fromEntries(r.columns.map((c, i) => [c, row[i] ?? null])));
      process.stdout.write(`${JSON.stringify(objs)}\n`);
    } else {
      process.stdout.write(textTable(r.columns, r.rows));
    }
    if (!this.quiet) process.stderr.write(`${r.rows.length} row(s)\n`);
  }
}

/** An aligned text table, columns by position (two columns of the same name both show); numbers right-aligned. */
function textTable(columns: string[], rows: unknown[][]): string {
  const cell = (v: unknown): string => (v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const text = rows.map((row) => columns.map((_, i) => cell(row[i])));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((t) => (t[i] as string).length)));
  const numeric = columns.map((_, i) => rows.length > 0 && rows.every((row) => row[i] === null || typeof row[i] === 'number'));
  const line = (vals: string[]): string =>
    vals
      .map((v, i) => (numeric[i] ? v.padStart(widths[i] as number) : v.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  const out = [line(columns), line(widths.map((w) => '-'.repeat(w))), ...text.map(line)];
  if (rows.length === 0) out.push('(no rows)');
  return `${out.join('\n')}\n`;
}
