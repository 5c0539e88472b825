/**
 * Benchmark of the synthetic generator on the workload W1: one year (2025) of 1-minute
 * bars for 5 perps and 5 spots (last, mark, index), funding (Coinbase cadence), open interest
 * every 5 minutes, hourly derivative ticker and instruments, seed 42, into a temp data dir.
 * Measures wall time, rows, rows/s and peak RSS (process.resourceUsage().maxRSS: this process,
 * which holds DuckDB). Machines are shared and noisy: compare ratios within one run.
 *
 * Run: npx tsx bench/synthetic.bench.ts [--days N]   (writes bench/results/synthetic.json)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, freemem, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/domain/context.js';
import { DuckSession } from '../src/store/duckdb.js';
import { generateSynthetic } from '../src/services/synthetic.js';
import { DEFAULT_EFFECTS } from '../src/sources/synthetic/effects.js';

const daysArg = process.argv.indexOf('--days');
const days = daysArg > 0 ? Number(process.argv[daysArg + 1]) : 365;
/** The budget for W1. */
const TARGET_S = 120;

const root = mkdtempSync(join(tmpdir(), 'perpkit-bench-syn-'));
const db = await DuckSession.open();
const from = Date.UTC(2025, 0, 1) * 1000;
const t0 = performance.now();
try {
  const r = await generateSynthetic(
    {
      root,
      venue: 'synthetic',
      bases: ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE'],
      from,
      to: from + days * 86_400_000_000,
      timeframe: '1m',
      seed: 42,
      effects: DEFAULT_EFFECTS,
      effects_name: 'default',
      cadence: 'coinbase',
    },
    { db, log: silentLogger, clock: { now: () => Date.now() }, signal: new AbortController().signal },
  );
  const seconds = (performance.now() - t0) / 1000;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  const result = {
    benchmark: 'synthetic-w1',
    recorded_at: new Date().toISOString(),
    workload: `${days} days of 1m bars, BTC/ETH/SOL/XRP/DOGE perp (last, mark, index) + spot, funding, OI (5m), ticker (1h), instruments`,
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      total_mem_gb: Number((totalmem() / 2 ** 30).toFixed(1)),
      free_mem_gb_at_end: Number((freemem() / 2 ** 30).toFixed(1)),
      os: `${platform()} ${release()}`,
      node: process.version,
    },
    target_s: TARGET_S,
    seconds: Number(seconds.toFixed(1)),
    rows: r.rows,
    rows_per_s: Math.round(r.rows / seconds),
    peak_rss_mb: Math.round(peakRssMb),
    timings_ms: r.timings_ms,
    rows_by_dataset: Object.fromEntries(r.writes.map((w) => [w.dataset, w.rows_in])),
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'synthetic.json');
  mkdirSync(dirname(out), { recursive: true });
  if (days === 365) writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `synthetic W1: ${result.seconds} s (target ${TARGET_S} s), ${result.rows.toLocaleString('en-US')} rows, ${result.rows_per_s.toLocaleString('en-US')} rows/s, peak RSS ${result.peak_rss_mb} MB`,
  );
  console.log(`  generate ${r.timings_ms.generate} ms, stage ${r.timings_ms.stage} ms, write ${r.timings_ms.write} ms`);
} finally {
  db.close();
  rmSync(root, { recursive: true, force: true });
}
