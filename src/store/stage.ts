import { allColumns, type ColumnSpec, type DatasetSpec } from '../domain/datasets.js';
import type { DuckSession } from './duckdb.js';
import { quoteIdent } from './duckdb.js';

/** A row as the store takes it (times in epoch microseconds). */
export type Row = Record<string, unknown>;

type Appender = Awaited<ReturnType<DuckSession['conn']['createAppender']>>;

/**
 * The store's one bulk appender of rows: rows of one dataset appended straight into a DuckDB temp
 * table (no per-row zod pass), then written by writeStaged (store/dataset.ts) through writeTable,
 * which validates them in SQL and merges them atomically. writeRows (after its zod pass), tick
 * imports and the recorder use it. Sources never write to the store themselves: they fill a stage
 * and the fetch/record services write it.
 */
export class RowStage {
  private appender: Appender | null = null;
  private readonly cols: ColumnSpec[];
  private n = 0;

  constructor(
    private readonly db: DuckSession,
    readonly spec: DatasetSpec,
    /** temp table name (unique per stage in one session) */
    readonly table: string,
  ) {
    this.cols = allColumns(spec);
  }

  get rows(): number {
    return this.n;
  }

  private async open(): Promise<Appender> {
    if (this.appender) return this.appender;
    const colType = (c: ColumnSpec): string => (c.type === 'TIMESTAMP' ? 'BIGINT' : c.type);
    await this.db.exec(
      `CREATE OR REPLACE TEMP TABLE ${quoteIdent(`${this.table}_raw`)} (__ord BIGINT, ${this.cols
        .map((c) => `${quoteIdent(c.name)} ${colType(c)}`)
        .join(', ')})`,
    );
    this.appender = await this.db.conn.createAppender(`${this.table}_raw`, 'main', 'temp');
    return this.appender;
  }

  /** Appends rows; a later row with the same natural key wins at write time (batch order kept). */
  async append(rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    const a = await this.open();
    for (const r of rows) {
      a.appendBigInt(BigInt(this.n++));
      for (const c of this.cols) {
        const v = r[c.name];
        if (v === null || v === undefined) a.appendNull();
        else if (c.type === 'TIMESTAMP' || c.type === 'BIGINT') a.appendBigInt(BigInt(v as number | bigint));
        else if (c.type === 'DOUBLE') a.appendDouble(v as number);
        else if (c.type === 'BOOLEAN') a.appendBoolean(v as boolean);
        else a.appendVarchar(String(v));
      }
      a.endRow();
    }
  }

  /**
   * Closes the appender and turns what was appended into the typed temp table `table` (times as
   * TIMESTAMP, the batch ordinal __ord kept); null when nothing was appended (unless allowEmpty: an
   * empty table, e.g. for a replace write that deletes). The stage is empty after.
   */
  async typed(opts: { allowEmpty?: boolean } = {}): Promise<string | null> {
    if (this.n === 0 && !opts.allowEmpty) return null;
    (await this.open()).closeSync();
    this.appender = null;
    const raw = quoteIdent(`${this.table}_raw`);
    await this.db.exec(
      `CREATE OR REPLACE TEMP TABLE ${quoteIdent(this.table)} AS SELECT __ord, ${this.cols
        .map((c) => (c.type === 'TIMESTAMP' ? `make_timestamp(${quoteIdent(c.name)}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)))
        .join(', ')} FROM ${raw}`,
    );
    await this.db.exec(`DROP TABLE IF EXISTS ${raw}`);
    this.n = 0;
    return this.table;
  }

  /** Drops what was appended (nothing is written). */
  async discard(): Promise<void> {
    if (this.appender) {
      this.appender.closeSync();
      this.appender = null;
    }
    this.n = 0;
    await this.db.exec(`DROP TABLE IF EXISTS ${quoteIdent(`${this.table}_raw`)}; DROP TABLE IF EXISTS ${quoteIdent(this.table)};`);
  }
}
