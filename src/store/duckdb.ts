import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';

/** DuckDB memory limit unless PERPKIT_DUCKDB_MEMORY_LIMIT says otherwise (see README, Defaults). */
export const DEFAULT_MEMORY_LIMIT = '3GB';

/** Named values for DuckDB prepared parameters ($name in SQL). */
export type SqlParams = Record<string, DuckDBValue>;

/** Row as returned by DuckDB, with JSON-friendly values (timestamps as ISO strings, big ints as strings). */
export type JsonRow = Record<string, unknown>;

/**
 * One DuckDB database (in memory by default) with one connection. Every value reaches SQL as a
 * prepared parameter; nothing is interpolated into SQL text by this class.
 */
export class DuckSession {
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  static async open(options: { threads?: number; memoryLimit?: string } = {}): Promise<DuckSession> {
    // Timestamps are TIMESTAMP (UTC by convention, no zone): no ICU needed, same results everywhere.
    const config: Record<string, string> = {};
    if (options.threads !== undefined) config['threads'] = String(options.threads);
    // DuckDB's own default is 80% of RAM, and a feature build on a year of 1m bars then holds
    // ~15 GB; capped, large operators spill to disk instead (W1 features: 134 s and 3.6 GB peak
    // RSS at 3 GB, 114 s and 15.4 GB uncapped). PERPKIT_DUCKDB_MEMORY_LIMIT overrides it (e.g. 8GB).
    const limit = options.memoryLimit ?? process.env['PERPKIT_DUCKDB_MEMORY_LIMIT'] ?? DEFAULT_MEMORY_LIMIT;
    if (limit !== '') config['memory_limit'] = limit;
    // Spill files go to the system temp folder, never into the user's working directory (DuckDB's
    // default for an in-memory database is ./.tmp).
    config['temp_directory'] = process.env['PERPKIT_DUCKDB_TEMP_DIR'] ?? join(tmpdir(), `perpkit-duckdb-${process.pid}`);
    const instance = await DuckDBInstance.create(':memory:', config);
    const conn = await instance.connect();
    return new DuckSession(instance, conn);
  }

  /**
   * Runs fn with DuckDB on `threads` threads, then restores the count it had. Nothing is set when the
   * count is already that (changing DuckDB's thread count is not free: on this project's 2-core
   * machines each change before a Parquet COPY cost ~9,000 page faults, see store/dataset.ts).
   */
  async withThreads<T>(threads: number, fn: () => Promise<T>): Promise<T> {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`withThreads: ${threads} is not a thread count`);
    const before = Number(await this.scalar(`SELECT current_setting('threads')`));
    if (before === threads) return fn();
    await this.exec(`SET threads = ${threads}`);
    try {
      return await fn();
    } finally {
      await this.exec(`SET threads = ${before}`);
    }
  }

  /** Runs a statement for its effect. */
  async exec(sql: string, params?: SqlParams): Promise<void> {
    if (params && Object.keys(params).length > 0) await this.conn.run(sql, params);
    else await this.conn.run(sql);
  }

  /** Runs a query and returns its rows as plain JSON-friendly objects. */
  async all(sql: string, params?: SqlParams): Promise<JsonRow[]> {
    const reader =
      params && Object.keys(params).length > 0
        ? await this.conn.runAndReadAll(sql, params)
        : await this.conn.runAndReadAll(sql);
    return reader.getRowObjectsJson() as JsonRow[];
  }

  /** Runs a query and returns its rows with native JS values (numbers, bigints, DuckDB value objects). */
  async rows(sql: string, params?: SqlParams): Promise<Record<string, DuckDBValue>[]> {
    const reader =
      params && Object.keys(params).length > 0
        ? await this.conn.runAndReadAll(sql, params)
        : await this.conn.runAndReadAll(sql);
    return reader.getRowObjects();
  }

  /** First column of the first row, or undefined. */
  async scalar(sql: string, params?: SqlParams): Promise<unknown> {
    const rows = await this.all(sql, params);
    const first = rows[0];
    if (!first) return undefined;
    return Object.values(first)[0];
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** Quotes an identifier for DuckDB. Only for names from perpkit's own allow-lists (dataset columns). */
export function quoteIdent(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`refusing identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}
