/**
 * Benchmark of the feature engine on W1 from the synthetic generator: one year of 1-minute bars
 * for 5 perps (last, mark, index) and 5 spots, funding and open interest. Measures, in one run:
 * the total feature build (all families), time per step, feature values per second, peak RSS of
 * the build (the data is generated in a child process first, so its memory is not counted), and
 * the floor: a bare DuckDB scan + sort of the same input files. Targets: all families under 20 s,
 * peak RSS under 2 GB. Machines are shared and noisy: compare ratios.
 *
 * Run: npm run bench -- features [--days N] [--data DIR] [--worker auto|on|off]   (writes bench/results/features.json)
 * --data reuses a data dir that already holds the synthetic venue (skips generation).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger } from '../src/domain/context.js';
import { DATASETS } from '../src/domain/datasets.js';
import { FEATURES } from '../src/domain/features.js';
import { DuckSession } from '../src/store/duckdb.js';
import { datasetFiles, listOf, SCAN_SQL } from '../src/store/dataset.js';
import { buildFeatures } from '../src/services/features.js';
import { generateSynthetic } from '../src/services/synthetic.js';
import { DEFAULT_EFFECTS } from '../src/sources/synthetic/effects.js';
import { spawnSync } from 'node:child_process';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const days = Number(arg('--days') ?? 365);
const worker = (arg('--worker') ?? 'auto') as 'auto' | 'on' | 'off';
const given = arg('--data');
const TARGET_S = 20;
const TARGET_RSS_MB = 2048;

const root = given ?? mkdtempSync(join(tmpdir(), 'perpkit-bench-feat-'));
const db = await DuckSession.open();
const ctx = { db, log: silentLogger, clock: { now: () => Date.now() }, signal: new AbortController().signal };
const from = Date.UTC(2025, 0, 1) * 1000;
try {
  let genSeconds: number | null = null;
  if (process.argv.includes('--generate-only')) {
    await generateSynthetic(
      { root, venue: 'synthetic', bases: ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE'], from, to: from + days * 86_400_000_000, timeframe: '1m', seed: 42, effects: DEFAULT_EFFECTS, effects_name: 'default', cadence: 'coinbase' },
      ctx,
    );
    process.exit(0);
  }
  if (!existsSync(join(root, 'bars', 'venue=synthetic'))) {
    // generate in a child process so that the build's peak RSS is its own
    const t = performance.now();
    const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--generate-only', '--data', root, '--days', String(days)], { stdio: 'inherit' });
    if (child.status !== 0) throw new Error('synthetic generation failed');
    genSeconds = (performance.now() - t) / 1000;
  }
  // A full build each run: the 1m features of an earlier run on this data dir are removed first (else
  // the store merges into them, a different and slower write than a first build).
  for (const sym of ['BTC', 'ETH', 'SOL', 'XRP', 'DOGE']) {
    rmSync(join(root, 'features', 'venue=synthetic', `symbol=${sym}-PERP`, 'timeframe=1m'), { recursive: true, force: true });
  }
  // Floor: scan and sort the inputs the engine reads, nothing else.
  const barFiles = await datasetFiles(root, DATASETS.bars, { venue: ['synthetic'], timeframe: ['1m'] });
  const fundingFiles = await datasetFiles(root, DATASETS.funding, { venue: ['synthetic'] });
  let t = performance.now();
  const scannedBars = await db.scalar(
    `SELECT count(*) FROM (SELECT symbol, price, event_time, available_time, close FROM ${SCAN_SQL} ORDER BY symbol, price, available_time, event_time)`,
    { files: listOf(barFiles) },
  );
  const scannedFunding = await db.scalar(
    `SELECT count(*) FROM (SELECT symbol, event_time, available_time, funding_rate FROM ${SCAN_SQL} ORDER BY symbol, available_time, event_time)`,
    { files: listOf(fundingFiles) },
  );
  const scanned = Number(scannedBars) + Number(scannedFunding);
  const floorSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const r = await buildFeatures({ root, venue: 'synthetic', timeframe: '1m', worker }, ctx);
  const seconds = (performance.now() - t) / 1000;
  const values = r.rows * FEATURES.length;
  const result = {
    benchmark: 'features-w1',
    recorded_at: new Date().toISOString(),
    workload: `${days} days of 1m bars, 5 perps + 5 spots (synthetic, seed 42); all ${FEATURES.length} features`,
    worker,
    machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, total_mem_gb: Number((totalmem() / 2 ** 30).toFixed(1)), os: `${platform()} ${release()}`, node: process.version },
    generation_seconds: genSeconds === null ? null : Number(genSeconds.toFixed(1)),
    input_rows_scanned: Number(scanned),
    floor_scan_sort_seconds: Number(floorSeconds.toFixed(2)),
    decision_rows: r.rows,
    feature_values: values,
    seconds: Number(seconds.toFixed(1)),
    values_per_second: Math.round(values / seconds),
    ratio_to_floor: Number((seconds / floorSeconds).toFixed(1)),
    per_step_ms: r.timings_ms,
    write_steps_ms: r.write?.timings_ms ?? null,
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
    target_s: TARGET_S,
    target_rss_mb: TARGET_RSS_MB,
  };
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'features.json');
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `features W1: ${result.seconds} s (target ${TARGET_S} s, floor ${result.floor_scan_sort_seconds} s), ${result.values_per_second} values/s, peak RSS ${result.peak_rss_mb} MB`,
  );
} finally {
  db.close();
  if (!given && !process.argv.includes('--generate-only')) rmSync(root, { recursive: true, force: true });
}
