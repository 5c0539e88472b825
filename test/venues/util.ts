import type { ServiceContext } from '../../src/domain/context.js';
import { DATASETS, type DatasetName } from '../../src/domain/datasets.js';
import type { VenueFetchConfigInput } from '../../src/domain/venue-config.js';
import { contentHash, datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { testContext } from '../helpers.js';
import type { MockLimits } from './mock-venue.js';

export const H = 3_600_000_000; // one hour in µs
export const us = (iso: string): number => Date.parse(iso) * 1000;
export const FROM = us('2026-03-14T00:00:00Z');
export const TO = us('2026-03-18T00:00:00Z');
/** "now" of the service tests: every bar of the fixtures has closed */
export const NOW_MS = Date.parse('2026-03-18T01:00:00Z');

/** Page sizes small enough to force paging over the 96 hourly bars of the fixtures. */
export const SMALL_LIMITS: MockLimits = {
  coinbase_candles: 20,
  coinbase_trades: 50,
  intx_candles: 20,
  intx_funding: 10,
  binance_klines: 20,
  binance_funding: 15,
  binance_oi: 20,
  binance_trades: 50,
};

/** Service config matching SMALL_LIMITS, with quick retries. */
export function testConfig(over: VenueFetchConfigInput = {}): VenueFetchConfigInput {
  return {
    requests_per_second: 200,
    retry: { max_retries: 3, base_delay_ms: 5, max_delay_ms: 20, timeout_ms: 400, max_retry_after_ms: 5_000 },
    pages: {
      coinbase_candles: SMALL_LIMITS.coinbase_candles,
      coinbase_trades: SMALL_LIMITS.coinbase_trades,
      intx_candles: SMALL_LIMITS.intx_candles,
      intx_funding: SMALL_LIMITS.intx_funding,
      binance_usdm_klines: SMALL_LIMITS.binance_klines,
      binance_spot_klines: SMALL_LIMITS.binance_klines,
      binance_funding: SMALL_LIMITS.binance_funding,
      binance_open_interest: SMALL_LIMITS.binance_oi,
      binance_trades: SMALL_LIMITS.binance_trades,
    },
    write_batch_rows: 40,
    binance_oi_period: '1h',
    trades_window_ms: 5_000,
    ...over,
  };
}

export interface Captured {
  ctx: ServiceContext;
  logs: string[];
}

/** A test context whose logger keeps every line (info, warnings, progress). */
export async function capturingContext(nowMs = NOW_MS): Promise<Captured> {
  const ctx = await testContext(nowMs);
  const logs: string[] = [];
  ctx.log = {
    info: (m) => logs.push(`info: ${m}`),
    warn: (m) => logs.push(`warning: ${m}`),
    progress: (m) => logs.push(`progress: ${m}`),
    progressDone: () => undefined,
  };
  return { ctx, logs };
}

/** Stored rows of a dataset, times as epoch µs numbers, in natural-key order. */
export async function stored(
  ctx: ServiceContext,
  root: string,
  dataset: DatasetName,
  filter: { venue?: string[]; symbol?: string[]; price?: string[]; timeframe?: string[] } = {},
): Promise<Array<Record<string, unknown>>> {
  const spec = DATASETS[dataset];
  const files = await datasetFiles(root, spec, filter);
  if (files.length === 0) return [];
  const cols = [...spec.partitionKeys, ...spec.columns.map((c) => c.name)].map((n) => {
    const t = spec.columns.find((c) => c.name === n)?.type;
    return t === 'TIMESTAMP' ? `epoch_us(${n})::DOUBLE AS ${n}` : t === 'BIGINT' ? `${n}::DOUBLE AS ${n}` : n;
  });
  const where = Object.entries(filter)
    .map(([k, v]) => `${k} IN (${(v as string[]).map((x) => `'${x}'`).join(', ')})`)
    .join(' AND ');
  return ctx.db.all(
    `SELECT ${cols.join(', ')} FROM ${SCAN_SQL} ${where ? `WHERE ${where}` : ''} ORDER BY ${spec.naturalKey.join(', ')}`,
    { files: listOf(files) },
  );
}

/** Content hash of every dataset of a data dir, ingest_time left out (it differs between runs). */
export async function dataHash(ctx: ServiceContext, root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of ['bars', 'funding', 'open_interest', 'trades'] as const) {
    out[name] = (await contentHash(ctx, root, DATASETS[name], {}, ['ingest_time'])).hash;
  }
  return out;
}
