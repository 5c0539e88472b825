/**
 * Tick import and recorder benchmark.
 * 1. Import throughput of the Binance raw-stream recordings (all of ../shared/data/binance-ticks,
 *    or test/fixtures/ticks/binance when that folder is absent): messages/s read + mapped + staged,
 *    and messages/s including the store writes.
 * 2. Recorder sustained rate against the flooding mock WebSocket venue (test/record/mock-ws.ts,
 *    market_trades frames as fast as the socket drains, default flush settings) and the peak RSS
 *    of this process (recorder + DuckDB + mock server).
 * Machines are shared and noisy: compare ratios within one run.
 *
 * Run: npx tsx bench/ticks.bench.ts [--seconds N] [--recorder-only]   (writes bench/results/ticks.json)
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { silentLogger, systemClock } from '../src/domain/context.js';
import { DuckSession } from '../src/store/duckdb.js';
import { fetchData } from '../src/services/fetch.js';
import { record } from '../src/services/record.js';
import { at, startMockWs } from '../test/record/mock-ws.js';

const here = dirname(fileURLToPath(import.meta.url));
const secArg = process.argv.indexOf('--seconds');
const seconds = secArg > 0 ? Number(process.argv[secArg + 1]) : 20;
const shared = join(here, '..', '..', 'shared', 'data', 'binance-ticks');
const ticks = existsSync(shared) ? shared : join(here, '..', 'test', 'fixtures', 'ticks', 'binance');

const db = await DuckSession.open();
const ctx = { db, log: silentLogger, clock: systemClock, signal: new AbortController().signal };
const root = mkdtempSync(join(tmpdir(), 'perpkit-bench-ticks-'));
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
try {
  const t0 = performance.now();
  // --recorder-only: measure the recorder's RSS without the import's DuckDB memory in the same process
  const f = process.argv.includes('--recorder-only') ? { ticks: { files: [], messages_per_s: 0 } } : await fetchData({ root, source: 'files', path: ticks }, ctx);
  const importS = (performance.now() - t0) / 1000;
  const msgs = (f.ticks?.files ?? []).reduce((a, x) => a + x.lines, 0);
  const importPeak = process.resourceUsage().maxRSS * 1024;

  const mock = await startMockWs({ venue: 'coinbase', subscribes: 2, script: () => [{ flood: { count: 50_000_000, make: (i) => at.trades([i]) } }] });
  const abort = new AbortController();
  const recRoot = mkdtempSync(join(tmpdir(), 'perpkit-bench-rec-'));
  peak = 0;
  const p = record({ root: recRoot, venue: 'coinbase', symbols: ['BTC-USD'], channels: ['market_trades'], url: mock.url }, { ...ctx, signal: abort.signal });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  abort.abort(new Error('bench stop'));
  const r = await p;
  await mock.close();
  rmSync(recRoot, { recursive: true, force: true });
  clearInterval(sampler);
  const result = {
    when: new Date().toISOString(),
    cpus: cpus().length,
    import: { path: ticks, files: f.ticks?.files.length, messages: msgs, seconds: importS, messages_per_s_mapped: f.ticks?.messages_per_s, messages_per_s_total: msgs / importS, peak_rss_mb: importPeak / 2 ** 20 },
    recorder: {
      seconds: r.elapsed_ms / 1000,
      messages: r.messages,
      rows: r.rows,
      messages_per_s: r.messages_per_s,
      flushes: r.flushes,
      backpressure_pauses: r.backpressure_pauses,
      max_buffered_rows: r.max_buffered_rows,
      peak_rss_mb: peak / 2 ** 20,
    },
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(join(here, 'results', 'ticks.json'), `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `ticks: import ${Math.round(result.import.messages_per_s_total)} msg/s (${Math.round(result.import.messages_per_s_mapped ?? 0)} mapped), recorder ${Math.round(r.messages_per_s)} msg/s sustained, peak RSS ${Math.round(result.recorder.peak_rss_mb)} MB`,
  );
} finally {
  clearInterval(sampler);
  rmSync(root, { recursive: true, force: true });
  db.close();
}
