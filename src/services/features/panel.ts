import type { DuckDBDataChunk, DuckDBDoubleVector } from '@duckdb/node-api';
import type { DuckSession, SqlParams } from '../../store/duckdb.js';
import { prepareQuery, type QueryShape } from '../../store/queries.js';

/**
 * Moving staged inputs from DuckDB into typed arrays on a regular bar axis, and computed columns
 * back. Times are epoch microseconds held in doubles (exact below 2^53).
 */

/** The availability and close of a bar series on a symbol's axis: slot j closes at t0 + j * bar; NaN where no bar. */
export interface CloseSeries {
  avail: Float64Array;
  close: Float64Array;
  /** slots that hold a bar */
  count: number;
}

/** One bar series on a symbol's axis (see CloseSeries). */
export interface BarSeries extends CloseSeries {
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  volume: Float64Array;
}

/** Irregular prints (funding, open interest) in event-time order. */
export interface Prints {
  ev: Float64Array;
  avail: Float64Array;
  value: Float64Array;
  /** funding: settlement interval of each print, hours (NaN when not stated) */
  interval: Float64Array;
}

export interface Axis {
  /** close time of slot 0, µs */
  t0: number;
  /** bar length, µs */
  tf: number;
  /** slots */
  n: number;
  /** absolute slot index of slot 0 (t0 / tf): anchors the running-sum restarts */
  abs0: number;
}

/** A query of queries/ read column by column into typed arrays (every column as a double; NULL -> NaN). */
export async function readQueryColumns(db: DuckSession, name: string, params: SqlParams, shape: QueryShape, ncols: number): Promise<Float64Array[]> {
  return readColumns(db, await prepareQuery(db, name, params, shape), params, ncols);
}

/** The rows of a query's text read column by column into typed arrays (see readQueryColumns). */
export async function readColumns(db: DuckSession, sql: string, params: SqlParams, ncols: number): Promise<Float64Array[]> {
  const chunks: DuckDBDataChunk[] = [];
  let rows = 0;
  for await (const chunk of chunksOf(db, sql, params)) {
    chunks.push(chunk);
    rows += chunk.rowCount;
  }
  const out = Array.from({ length: ncols }, () => new Float64Array(rows));
  let off = 0;
  for (const chunk of chunks) {
    for (let c = 0; c < ncols; c++) chunkColumn(chunk, c, out[c] as Float64Array, off);
    off += chunk.rowCount;
  }
  return out;
}

/**
 * A query of queries/ read column by column into arrays the caller made (`into[c]` receives column
 * c from row 0; every column a double, NULL -> NaN), chunk by chunk (the query's result is
 * complete once it runs; the next chunk is requested while one is copied): no chunk is held and no
 * array made here (a caller that knows the row count reads into shared memory, or into arrays it
 * reuses). Returns the rows read; more rows than the arrays hold
 * is an error.
 */
export async function readQueryInto(db: DuckSession, name: string, params: SqlParams, shape: QueryShape, into: readonly Float64Array[]): Promise<number> {
  return readInto(db, await prepareQuery(db, name, params, shape), params, into);
}

/** The rows of a query's text read into the caller's arrays (see readQueryInto). */
export async function readInto(db: DuckSession, sql: string, params: SqlParams, into: readonly Float64Array[]): Promise<number> {
  const room = into.length ? Math.min(...into.map((a) => a.length)) : 0;
  let rows = 0;
  for await (const chunk of chunksOf(db, sql, params)) {
    if (rows + chunk.rowCount > room) throw new Error(`readInto: the query returned more than the ${room} rows its arrays hold`);
    for (let c = 0; c < into.length; c++) chunkColumn(chunk, c, into[c] as Float64Array, rows);
    rows += chunk.rowCount;
  }
  return rows;
}

/**
 * The chunks of a query's result in order, the next one requested while the caller handles one (a
 * failed request surfaces when the loop reaches it, and is never an unhandled rejection).
 */
async function* chunksOf(db: DuckSession, sql: string, params: SqlParams): AsyncGenerator<DuckDBDataChunk> {
  const result = await db.conn.run(sql, params);
  let next = result.fetchChunk();
  for (;;) {
    const chunk = await next;
    if (!chunk || chunk.rowCount === 0) return;
    next = result.fetchChunk();
    next.catch(() => null);
    yield chunk;
  }
}

/**
 * A query of queries/ streamed chunk by chunk (the next requested while one is visited): visit gets each chunk's columns as doubles (NULL ->
 * NaN; the arrays are reused for the next chunk) and its row count. Nothing of the result is kept, so
 * a caller that places rows elsewhere (loadBars: on the bar axis) never holds them twice.
 */
export async function scanQueryColumns(
  db: DuckSession,
  name: string,
  params: SqlParams,
  shape: QueryShape,
  ncols: number,
  visit: (cols: readonly Float64Array[], rows: number) => void,
): Promise<void> {
  let buf: Float64Array[] = [];
  for await (const chunk of chunksOf(db, await prepareQuery(db, name, params, shape), params)) {
    const m = chunk.rowCount;
    if ((buf[0]?.length ?? 0) < m) buf = Array.from({ length: ncols }, () => new Float64Array(m));
    for (let c = 0; c < ncols; c++) chunkColumn(chunk, c, buf[c] as Float64Array, 0);
    visit(buf, m);
  }
}

/** Column c of a chunk copied into dst from offset off, as doubles (NULL -> NaN). */
function chunkColumn(chunk: DuckDBDataChunk, c: number, dst: Float64Array, off: number): void {
  const m = chunk.rowCount;
  const v = chunk.getColumnVector(c) as DuckDBDoubleVector;
  const raw = v as unknown as { items?: unknown; validity?: { data: BigUint64Array | null; offset: number } };
  if (raw.items instanceof Float64Array && raw.validity && raw.validity.offset === 0) {
    // a DOUBLE vector: copy its values at once, then NaN where the validity bit is clear
    dst.set(raw.items.subarray(0, m), off);
    const words = raw.validity.data;
    if (words) {
      const bits = new Uint32Array(words.buffer, words.byteOffset, words.length * 2);
      for (let w = 0; w < bits.length; w++) {
        const word = bits[w] as number;
        if (word === 0xffffffff) continue;
        for (let b = 0; b < 32; b++) {
          const i = w * 32 + b;
          if (i < m && (word & (1 << b)) === 0) dst[off + i] = NaN;
        }
      }
    }
    return;
  }
  for (let i = 0; i < m; i++) {
    const x = v.getItem(i);
    dst[off + i] = x === null ? NaN : x;
  }
}

/** Event-time range of a symbol's bars in a staged table, or null when it has none. */
export async function barRange(db: DuckSession, table: string, symbol: string): Promise<{ t0: number; t1: number } | null> {
  const [lo, hi] = await readQueryColumns(db, 'features/axis_range', { s: symbol }, { idents: { src: table } }, 2);
  const t0 = lo?.[0];
  const t1 = hi?.[0];
  if (t0 === undefined || t1 === undefined || !Number.isFinite(t0) || !Number.isFinite(t1)) return null;
  return { t0, t1 };
}

/** A staged bar table's rows of one symbol placed on the axis (bars off the grid or outside it are left out). */
export async function loadBars(db: DuckSession, table: string, symbol: string, axis: Axis): Promise<BarSeries> {
  const [avail, open, high, low, close, volume] = nanColumns(axis.n, 6) as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
  const count = await loadOnAxis(db, 'features/axis_bars', table, symbol, axis, [avail, open, high, low, close, volume]);
  return { avail, open, high, low, close, volume, count };
}

/**
 * The availability and close of a staged bar table's rows of one symbol on the axis (see loadBars):
 * all the engine reads of mark-price and BTC bars.
 */
export async function loadCloses(db: DuckSession, table: string, symbol: string, axis: Axis): Promise<CloseSeries> {
  const [avail, close] = nanColumns(axis.n, 2) as [Float64Array, Float64Array];
  const count = await loadOnAxis(db, 'features/axis_closes', table, symbol, axis, [avail, close]);
  return { avail, close, count };
}

const nanColumns = (n: number, k: number): Float64Array[] => Array.from({ length: k }, () => new Float64Array(n).fill(NaN));

/** Streams a query's rows (event time, then one value per dst column) onto the axis; returns the rows placed. */
async function loadOnAxis(db: DuckSession, query: string, table: string, symbol: string, axis: Axis, dst: readonly Float64Array[]): Promise<number> {
  let count = 0;
  await scanQueryColumns(db, query, { s: symbol }, { idents: { src: table } }, dst.length + 1, (cols, m) => {
    count += place(cols, m, axis, dst);
  });
  return count;
}

/** Rows of a chunk (cols[0]: event time, then the values) set at their axis slots; returns how many were placed. */
function place(cols: readonly Float64Array[], m: number, axis: Axis, dst: readonly Float64Array[]): number {
  const ev = cols[0] as Float64Array;
  let placed = 0;
  for (let i = 0; i < m; i++) {
    const off = ((ev[i] as number) - axis.t0) / axis.tf;
    if (!Number.isInteger(off) || off < 0 || off >= axis.n) continue;
    for (let c = 0; c < dst.length; c++) (dst[c] as Float64Array)[off] = (cols[c + 1] as Float64Array)[i] as number;
    placed++;
  }
  return placed;
}

/** A staged print table's rows of one symbol, in event-time order. */
export async function loadPrints(db: DuckSession, table: string, column: string, symbol: string, withInterval: boolean): Promise<Prints> {
  const cols = await readQueryColumns(db, withInterval ? 'features/axis_prints_interval' : 'features/axis_prints', { s: symbol }, { idents: { src: table, value: column } }, 4);
  return { ev: cols[0]!, avail: cols[1]!, value: cols[2]!, interval: cols[3]! };
}

/** Signed taker flow of one leg on a symbol's axis (trades rolled into bars by trade_flow.sql). */
export interface FlowSeries {
  /** buy minus sell volume of the bar's snapshot trades; NaN where unknown */
  flow: Float64Array;
  /** buy plus sell volume */
  gross: Float64Array;
  /** when the bar's value became usable; NaN where unknown */
  avail: Float64Array;
  /** slots with a known value */
  count: number;
  /** trades that arrived after their bar's snapshot (left out of it) */
  late: number;
}

/**
 * One leg's bars of table flow_buckets placed on the axis. A bar with snapshot trades is known at
 * its snapshot (close + grace) unless one of them has no side (unknown: NaN). A bar without
 * snapshot trades is a zero-flow bar only once the stream is proven alive past it: after the
 * leg's first bar, and usable when the first trade after its close has arrived (the earliest
 * available_time of any later bar's trades); before that, or with no later trade, it is unknown.
 * Nothing here depends on a row that arrives after the usable time it gives.
 */
export async function loadFlow(db: DuckSession, symbol: string, leg: 'perp' | 'spot', axis: Axis, graceUs: number): Promise<FlowSeries> {
  const [close, minAvail, buy, sell, known, unsided, late] = await readQueryColumns(db, 'features/axis_flow', { s: symbol, leg }, {}, 7);
  const mk = (): Float64Array => new Float64Array(axis.n).fill(NaN);
  const out: FlowSeries = { flow: mk(), gross: mk(), avail: mk(), count: 0, late: 0 };
  const m = close?.length ?? 0;
  if (m === 0) return out;
  // earliest availability of any trade closing after each slot: suffix minimum over the buckets
  const nextAvail = new Float64Array(axis.n).fill(Infinity);
  let b = m - 1;
  let best = Infinity;
  for (let j = axis.n - 1; j >= 0; j--) {
    const end = axis.t0 + j * axis.tf;
    while (b >= 0 && (close![b] as number) > end) best = Math.min(best, minAvail![b--] as number);
    nextAvail[j] = best;
  }
  const firstClose = close![0] as number;
  for (let i = 0; i < m; i++) out.late += late![i] as number;
  let i = 0;
  for (let j = 0; j < axis.n; j++) {
    const end = axis.t0 + j * axis.tf;
    if (end < firstClose) continue;
    while (i < m && (close![i] as number) < end) i++;
    const hasBucket = i < m && (close![i] as number) === end;
    const snapshot = end + graceUs;
    if (hasBucket && (known![i] as number) > 0) {
      if ((unsided![i] as number) > 0) continue;
      out.flow[j] = (buy![i] as number) - (sell![i] as number);
      out.gross[j] = (buy![i] as number) + (sell![i] as number);
      out.avail[j] = snapshot;
      out.count++;
    } else if (Number.isFinite(nextAvail[j] as number)) {
      out.flow[j] = 0;
      out.gross[j] = 0;
      out.avail[j] = Math.max(snapshot, nextAvail[j] as number);
      out.count++;
    }
  }
  return out;
}
