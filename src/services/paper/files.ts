import { existsSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { BacktestConfig } from '../../domain/backtest.js';
import type { ServiceContext } from '../../domain/context.js';
import { isSlug } from '../../domain/datasets.js';
import { missingError, usageError } from '../../domain/errors.js';
import type { EngineResult } from '../../engine/engine.js';
import type { InstrumentInfo } from '../../engine/types.js';
import type { DuckSession } from '../../store/duckdb.js';
import { OUTPUT_TABLES, outputTables, tableHash, writeParquet } from '../backtest.js';

/** What a paper run is: written once at its start (paper.json), read by a restart, --status and the replay. */
export interface PaperSpec {
  run_id: string;
  created_at: string;
  kind: 'paper';
  venue: string;
  symbols: string[];
  products: Array<{ symbol: string; product_id: string }>;
  strategy: { spec: string; name: string; params: Record<string, unknown> };
  config: BacktestConfig;
  config_path: string | null;
  columns: string[];
  bar: string;
  tf_us: number;
  bar_grace_ms: number;
  tail_slots: number;
  start: number;
  end: number;
  instruments: InstrumentInfo[];
  data_dir: string;
}

export interface PaperCheckpoint {
  run_id: string;
  written_at: string;
  /** journal entries applied when written */
  journal_entries: number;
  /** orders, fills of the engine then (a restart must re-derive at least these, identical) */
  orders: number;
  fills: number;
  orders_sha256: string;
  last_time: number;
  last_bar_close: number[];
  state: ReturnType<import('../../engine/engine.js').Engine['state']>;
}

export interface PaperStatus {
  run_id: string;
  pid: number;
  running: boolean;
  updated_at: string;
  /** clock time of the status, µs */
  now: number;
  equity: number;
  cash: number;
  drawdown_state: string;
  killed: string | null;
  positions: Array<{ symbol: string; qty: number; entry: number; pending: number; mark: number }>;
  counters: { bars: number; decisions: number; orders: number; fills: number; late_trades: number; reconnects: number; gaps: number; funding_missing: number };
  /** per stream (symbol/trades, symbol/funding): µs of the last row received, and its age at `now` in ms */
  streams: Array<{ stream: string; last: number | null; age_ms: number | null }>;
  incidents: Array<{ at: number; kind: string; reason: string }>;
}

export function paperDir(root: string, runId: string): string {
  return join(root, 'paper', runId);
}

export function checkRunId(runId: string): void {
  if (!isSlug(runId)) throw usageError(`${JSON.stringify(runId)} is not a paper run id (letters, digits, - _ . only)`, { hint: 'list the runs with ls <data-dir>/paper/' });
}

/** JSON has no Infinity: an instrument valid "forever" is stored as null and comes back here. */
export function hydrateSpec(spec: PaperSpec): PaperSpec {
  for (const i of spec.instruments) {
    if (i.valid_to === null) i.valid_to = Infinity;
    if (i.valid_from === null) i.valid_from = -Infinity;
  }
  return spec;
}

export function readSpec(root: string, runId: string): PaperSpec {
  checkRunId(runId);
  const p = join(paperDir(root, runId), 'paper.json');
  if (!existsSync(p)) throw missingError(`no paper run ${runId} under ${join(root, 'paper')}`, { hint: 'start one with perpkit paper --strategy ... --symbols ...; list the runs with ls <data-dir>/paper/' });
  return hydrateSpec(JSON.parse(readFileSync(p, 'utf8')) as PaperSpec);
}

export function readJsonIf<T>(path: string): T | null {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : null;
}

/** Hash of the orders a checkpoint vouches for (their first n rows). */
export function ordersHash(r: EngineResult, n: number): string {
  // what an order is when made (its status and remaining size change as it fills)
  const fixed = ['order_id', 'symbol', 'created_time', 'arrival_time', 'type', 'qty', 'price', 'reduce_only', 'origin'];
  const cols = outputTables(r)
    .orders.filter((c) => fixed.includes(c.name))
    .map((c) => ({ ...c, values: Array.isArray(c.values) ? c.values.slice(0, n) : (c.values as Float64Array).subarray(0, n) }));
  return tableHash(cols);
}

/** The backtest's output tables (orders, fills, positions, equity, funding_payments, events), each written atomically. */
export async function writeOutputs(db: DuckSession, dir: string, r: EngineResult): Promise<Record<string, { rows: number; sha256: string }>> {
  const tables = outputTables(r);
  const out: Record<string, { rows: number; sha256: string }> = {};
  const ctx = { db } as ServiceContext;
  for (const name of OUTPUT_TABLES) {
    const cols = tables[name];
    out[name] = { rows: cols[0]?.values.length ?? 0, sha256: tableHash(cols) };
    const tmp = join(dir, `.${name}.parquet.tmp`);
    await writeParquet(ctx, tmp, cols);
    renameSync(tmp, join(dir, `${name}.parquet`));
  }
  return out;
}
