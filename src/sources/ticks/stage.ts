import type { ServiceContext } from '../../domain/context.js';
import { allColumns, type ColumnSpec, type DatasetSpec } from '../../domain/datasets.js';
import type { DuckSession } from '../../store/duckdb.js';
import { quoteIdent } from '../../store/duckdb.js';
import { writeTable, type WriteResult } from '../../store/dataset.js';

/** A row as the store takes it (times in epoch microseconds). */
export type Row = Record<string, unknown>;

type Appender = Awaited<ReturnType<DuckSession['conn']['createAppender']>>;

/**
 * Rows of one dataset appended straight into a DuckDB temp table (no per-row zod pass), then
 * written through the store's writeTable, which validates them in SQL (same rules as writeRows)
 * and merges them atomically. Tick imports and the recorder use it: millions of rows, where
 * writeRows' per-row schema check would dominate the run time.
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

  /** Writes everything appended so far into the dataset and empties the stage. */
  async write(ctx: ServiceContext, root: string): Promise<WriteResult | null> {
    if (!this.appender || this.n === 0) return null;
    this.appender.closeSync();
    this.appender = null;
    const raw = quoteIdent(`${this.table}_raw`);
    const typed = quoteIdent(this.table);
    await this.db.exec(
      `CREATE OR REPLACE TEMP TABLE ${typed} AS SELECT __ord, ${this.cols
        .map((c) => (c.type === 'TIMESTAMP' ? `make_timestamp(${quoteIdent(c.name)}) AS ${quoteIdent(c.name)}` : quoteIdent(c.name)))
        .join(', ')} FROM ${raw}`,
    );
    this.n = 0;
    try {
      return await writeTable(ctx, { root, spec: this.spec }, this.table);
    } finally {
      await this.db.exec(`DROP TABLE IF EXISTS ${typed}; DROP TABLE IF EXISTS ${raw};`);
    }
  }

  /** Drops what was appended (nothing is written). */
  async discard(): Promise<void> {
    if (this.appender) {
      this.appender.closeSync();
      this.appender = null;
    }
    this.n = 0;
    await this.db.exec(`DROP TABLE IF EXISTS ${quoteIdent(`${this.table}_raw`)}`);
  }
}
