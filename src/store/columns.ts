import { DOUBLE, DuckDBTableFunction, type DuckDBDataChunk } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
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
type RawChunk = Parameters<typeof bindings.data_chunk_get_vector>[0];
/** Rows of an output chunk: DuckDB's vector size (2048 in its builds), never more (the copies into a vector are not bounds-checked). */
const CHUNK = bindings.vector_size();

/** One scan's position and the source columns it reads (projection pushdown), in output order. */
interface ScanState {
  at: number;
  cols: number[];
}

export class ColumnSource {
  private cols: Float64Array[] = [];
  private offset = 0;
  private rows = 0;
  /** one chunk's validity bitmap (CHUNK rows), as 32-bit words to write and 64-bit words to hand over */
  private readonly bits = new Uint32Array(Math.ceil(CHUNK / 64) * 2);
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
    const m = Math.min(CHUNK, this.rows - state.at);
    if (m <= 0) {
      out.rowCount = 0;
      return;
    }
    out.rowCount = m;
    const from = this.offset + state.at;
    const bits = this.bits;
    // Output vector k holds the source column state.cols[k] (the columns the query reads, in its
    // order). The values and the validity are copied straight from the arrays into DuckDB's vector:
    // node-api's getColumnVector() first copies the (unused) vector out to JS, which cost 5.4 s of
    // the 6 s a W1 feature write spent filling.
    const chunk = (out as unknown as { chunk: RawChunk }).chunk;
    for (let k = 0; k < state.cols.length; k++) {
      const src = (this.cols[state.cols[k] as number] as Float64Array).subarray(from, from + m);
      const vec = bindings.data_chunk_get_vector(chunk, k);
      bindings.copy_data_to_vector(vec, 0, src.buffer as ArrayBuffer, src.byteOffset, m * 8);
      // NaN -> NULL: the validity bitmap (bit i set = row i valid), written for every chunk so that
      // no bit of an earlier chunk survives in a reused vector
      bits.fill(0xffffffff);
      for (let i = 0; i < m; i++) {
        if (src[i] !== src[i]) bits[i >>> 5] = (bits[i >>> 5] as number) & ~(1 << (i & 31));
      }
      bindings.vector_ensure_validity_writable(vec);
      bindings.copy_data_to_vector_validity(vec, 0, this.words.buffer as ArrayBuffer, 0, Math.ceil(m / 64) * 8);
    }
    state.at += m;
  }
}
