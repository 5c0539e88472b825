import { DOUBLE, DuckDBTableFunction, type DuckDBDataChunk, type DuckDBDoubleVector } from '@duckdb/node-api';
import type { DuckSession } from './duckdb.js';
import { quoteIdent } from './duckdb.js';

/**
 * Columns computed in JS (typed arrays) read by DuckDB as a table, without copying them into a
 * table first: a table function over the arrays, scanned chunk by chunk by whatever query reads it
 * (a COPY to Parquet, a join, a count). Copying 2.6 M rows x 70 doubles into a temp table cost as
 * much as encoding them to Parquet; scanning them costs a tenth of that.
 *
 * NaN is read as NULL. The scan runs on one thread, in row order, and fills only the columns the query
 * reads (projection pushdown: a count or a key-order check reads one column, not seventy). The arrays
 * must not change while a query reads them; set() points the source at new arrays between queries.
 */
/** One scan's position and the source columns it reads (projection pushdown), in output order. */
interface ScanState {
  at: number;
  cols: number[];
}

export class ColumnSource {
  private cols: Float64Array[] = [];
  private offset = 0;
  private rows = 0;
  /** one chunk's validity bitmap (2048 rows), as 32-bit words to write and 64-bit words to hand over */
  private readonly bits = new Uint32Array(64);
  private readonly words = new BigUint64Array(this.bits.buffer);

  private constructor(
    /** the table function's name: query it as `name()` (see sql) */
    readonly name: string,
    readonly columns: readonly string[],
  ) {}

  private static readonly registered = new WeakMap<object, Map<string, ColumnSource>>();

  /**
   * The source `name` of this session, registered on first use (a table function cannot be dropped,
   * so one name keeps one column list for the session's life).
   */
  static open(db: DuckSession, name: string, columns: readonly string[]): ColumnSource {
    quoteIdent(name);
    for (const c of columns) quoteIdent(c);
    let byName = ColumnSource.registered.get(db.conn);
    if (!byName) ColumnSource.registered.set(db.conn, (byName = new Map()));
    const have = byName.get(name);
    if (have) {
      if (have.columns.join(',') !== columns.join(',')) throw new Error(`column source ${name} is already open with other columns`);
      return have;
    }
    const src = new ColumnSource(name, [...columns]);
    const fn = DuckDBTableFunction.create({
      name,
      bindFunction: (bind) => {
        for (const c of src.columns) bind.addResultColumn(c, DOUBLE);
        bind.setCardinality(src.rows, true);
      },
      initFunction: (init) => {
        init.setInitData({ at: 0, cols: init.getColumnIndexes() });
        init.setMaxThreads(1);
      },
      mainFunction: (info, out) => src.fill(info.initData as ScanState, out),
      supportsProjectionPushdown: true,
    });
    db.conn.registerTableFunction(fn);
    byName.set(name, src);
    return src;
  }

  /** The SQL table expression that reads the source. */
  get sql(): string {
    return `${quoteIdent(this.name)}()`;
  }

  /** Points the source at rows [offset, offset + rows) of the arrays (one per column, in order). */
  set(cols: readonly Float64Array[], offset: number, rows: number): void {
    if (cols.length !== this.columns.length) throw new Error(`column source ${this.name}: ${cols.length} arrays for ${this.columns.length} columns`);
    for (const a of cols) if (a.length < offset + rows) throw new Error(`column source ${this.name}: an array is shorter than ${offset + rows}`);
    this.cols = [...cols];
    this.offset = offset;
    this.rows = rows;
  }

  /** Empties the source (drops the references to the arrays). */
  clear(): void {
    this.cols = [];
    this.rows = 0;
    this.offset = 0;
  }

  private fill(state: ScanState, out: DuckDBDataChunk): void {
    const m = Math.min(2048, this.rows - state.at);
    if (m <= 0) {
      out.rowCount = 0;
      return;
    }
    out.rowCount = m;
    const from = this.offset + state.at;
    const bits = this.bits;
    // output vector k holds the source column state.cols[k] (the columns the query reads, in its order)
    for (let k = 0; k < state.cols.length; k++) {
      const src = (this.cols[state.cols[k] as number] as Float64Array).subarray(from, from + m);
      const v = out.getColumnVector(k) as DuckDBDoubleVector;
      (v as unknown as { items: Float64Array }).items.set(src);
      // NaN -> NULL: the validity bitmap (bit i set = row i valid), written for every chunk so that
      // no bit of an earlier chunk survives in a reused vector
      bits.fill(0xffffffff);
      for (let i = 0; i < m; i++) {
        if (src[i] !== src[i]) bits[i >>> 5] = (bits[i >>> 5] as number) & ~(1 << (i & 31));
      }
      const validity = (v as unknown as { validity: { data: BigUint64Array | null } }).validity;
      validity.data = this.words;
      v.flush();
    }
    state.at += m;
  }
}
