/**
 * Rebuilds data/sample/ (the bundled real sample) from ../shared/data/binance-candles.
 * Run from the package root: npx tsx scripts/build-sample.ts [path-to-binance-candles]
 * Deterministic: a fixed ingest_time, so a rebuild from the same files gives the same Parquet.
 * Only this script reads ../shared; nothing at run time does.
 */
import { existsSync, rmSync, cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckSession } from '../src/store/duckdb.js';
import { fetchData } from '../src/services/fetch.js';
import { stderrLogger } from '../src/cli/logger.js';
import { parseUtc } from '../src/domain/time.js';

/** The sample's ingest_time: when it was built from the shared files (fixed for reproducibility). */
const SAMPLE_INGEST_MS = Date.parse('2026-11-22T00:00:00Z');

const src = resolve(process.argv[2] ?? '../shared/data/binance-candles');
if (!existsSync(src)) throw new Error(`no ${src}; pass the binance-candles folder`);

/** [file, from, to): perp history long enough for weeks-long lookbacks and walk-forward windows. */
const PLAN: Array<[string, string | undefined, string | undefined]> = [];
for (const base of ['BTC', 'ETH', 'SOL']) {
  PLAN.push([`usdm/${base}_USDT_USDT-1h-futures.csv.gz`, undefined, undefined]);
  PLAN.push([`usdm/${base}_USDT_USDT-1h-mark.csv.gz`, undefined, undefined]);
  PLAN.push([`usdm/${base}_USDT_USDT-8h-funding_rate.csv.gz`, undefined, undefined]);
  PLAN.push([`usdm/${base}_USDT_USDT-15m-futures.csv.gz`, '2026-01-01', undefined]);
  PLAN.push([`spot/${base}_USDT-1h.csv.gz`, undefined, undefined]);
  PLAN.push([`spot/${base}_USDT-5m.csv.gz`, undefined, undefined]);
}

const work = mkdtempSync(join(tmpdir(), 'perpkit-sample-'));
const db = await DuckSession.open();
const ctx = {
  db,
  log: stderrLogger({ quiet: false }),
  clock: { now: () => SAMPLE_INGEST_MS },
  signal: new AbortController().signal,
};
try {
  for (const [file, from, to] of PLAN) {
    const r = await fetchData(
      {
        root: work,
        source: 'files',
        path: join(src, file),
        ...(from ? { from: parseUtc(from) } : {}),
        ...(to ? { to: parseUtc(to) } : {}),
      },
      ctx,
    );
    process.stderr.write(`${file}: ${r.inputs.map((i) => i.rows).join('+')} rows\n`);
  }
  const out = resolve('data/sample');
  for (const ds of ['bars', 'funding', 'instruments']) {
    rmSync(join(out, ds), { recursive: true, force: true });
    cpSync(join(work, ds), join(out, ds), { recursive: true });
  }
  process.stderr.write(`sample written to ${out}\n`);
} finally {
  db.close();
  rmSync(work, { recursive: true, force: true });
}
