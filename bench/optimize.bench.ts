/**
 * perpkit optimize throughput on a W1-shaped workload held in memory: 5 perps x one year of
 * 1-minute bars (bench/lib/synthetic-market.ts, the same market as bench/backtest.bench.ts), the
 * §6.1B regime strategy, a 100-cell grid (sma_fast 5 x sma_slow 5 x high_vol_ratio 4) over
 * rolling walk-forward windows (train 90d, test 30d, step 30d, purge 1h, warm-up 14d).
 *
 * The budget: the whole 100-cell optimisation <= 60 s on this 2-core machine. With
 * --runs continuous (the default, as in perpkit optimize) a job is a cell: one engine run over
 * the whole span, every window's training and test part a slice of it. With --runs per-window
 * every (window, cell) runs the engine on its training part and on its test part (about 4x the
 * events); that mode is too slow to run in full here, use --cells to run the first N cells.
 *
 *   1. the --cells cells (default all 100) on --workers (default 2) workers: the number against
 *      the target;
 *   2. the first --scale-cells cells (default 20) on 1 worker: the 1 -> 2 worker scaling is the
 *      per-cell time of (2) over the per-cell time of (1), and the checksums of the cells both ran
 *      must agree.
 *
 * Reported: wall time, CPU time (all threads), engine events, events/s per worker, the scaling,
 * the CPU seconds over the workers (the wall time an idle machine would need), the machine's load
 * average before and after (machines are shared and noisy: compare ratios within one run).
 *
 * Run: npm run bench -- optimize   [--cells N] [--scale-cells N] [--days N] [--runs continuous|per-window] [--workers N]
 * (writes bench/results/optimize.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBacktestConfig } from '../src/domain/backtest.js';
import { buildWindows, gridSize, type Grid } from '../src/domain/optimize.js';
import { runJobs } from '../src/services/optimize/pool.js';
import { jobsOf, type RunMode, type TaskSpec } from '../src/services/optimize/tasks.js';
import { DAY_US, HOUR_US, syntheticMarket, T0 } from './lib/synthetic-market.js';

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const DAYS = Number(arg('--days') ?? 365);
const RUNS = (arg('--runs') ?? 'continuous') as RunMode;
const WORKERS = Number(arg('--workers') ?? 2);
const SYMBOLS = 5;
const TARGET_S = 60;

const grid: Grid = { sma_fast: [5, 10, 15, 20, 25], sma_slow: [40, 60, 80, 100, 120], high_vol_ratio: [1.25, 1.5, 1.75, 2] };
const nCells = gridSize(grid);
const CELLS = Math.min(Number(arg('--cells') ?? nCells), nCells);
const SCALE_CELLS = Math.min(Number(arg('--scale-cells') ?? 20), CELLS);
const load0 = loadavg()[0]!;
const tg = performance.now();
const data = { ...syntheticMarket({ bars: DAYS * 1440, symbols: SYMBOLS }), end: T0 + DAYS * DAY_US };
const genMs = performance.now() - tg;
const windows = buildWindows(data.decisions.time, T0, T0 + DAYS * DAY_US, { trainUs: 90 * DAY_US, testUs: 30 * DAY_US, stepUs: 30 * DAY_US, window: 'rolling', purgeUs: HOUR_US });
const config = parseBacktestConfig({ kill_switch: { daily_loss: 0.5 } });
const spec: TaskSpec = { runs: RUNS, strategy: 'regime', fixed: {}, grid, config, windows, step_us: HOUR_US, warmup_us: 14 * DAY_US };
const cellOf = (job: number): number => (RUNS === 'per-window' ? job % nCells : job);
/** the jobs of the first `cells` cells */
const jobsFor = (cells: number): number[] => jobsOf(RUNS, windows.length, nCells, null).filter((j) => cellOf(j) < cells);
process.stderr.write(`W1-shaped: ${SYMBOLS} x ${DAYS * 1440} 1m bars in ${genMs.toFixed(0)} ms; ${windows.length} windows x ${CELLS} of ${nCells} cells, --runs ${RUNS} (load ${load0.toFixed(2)})\n`);

interface Run {
  workers: number;
  cells: number;
  jobs: number;
  seconds: number;
  seconds_per_cell: number;
  events: number;
  events_per_s_per_worker: number;
  /** CPU time of the whole process (all threads), s: what the run costs regardless of the load */
  cpu_seconds: number;
  load_1m_before: number;
}
const checks = new Map<number, number>();
async function measure(workers: number, cells: number, check: boolean): Promise<Run> {
  const jobs = jobsFor(cells);
  let events = 0;
  let mismatches = 0;
  const l = loadavg()[0]!;
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  await runJobs(data, spec, jobs, {
    workers,
    onResult: (j) => {
      events += j.events;
      for (const r of j.results) {
        const x = r.train.net_return + r.test.net_return;
        if (!check) checks.set(r.task, x);
        else if (checks.has(r.task) && Math.abs(checks.get(r.task)! - x) > 1e-12) mismatches++;
      }
    },
  });
  const s = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  if (mismatches > 0) throw new Error(`${mismatches} task result(s) differ between 1 and ${workers} worker(s)`);
  const run: Run = { workers, cells, jobs: jobs.length, seconds: s, seconds_per_cell: s / cells, events, events_per_s_per_worker: events / s / workers, cpu_seconds: cpuS, load_1m_before: l };
  process.stderr.write(`${workers} worker(s), ${cells} cells (${jobs.length} jobs): ${s.toFixed(1)} s, ${events} events, ${(events / s / workers).toExponential(2)} events/s per worker, ${cpuS.toFixed(1)} CPU s (load ${l.toFixed(2)})\n`);
  return run;
}
const full = await measure(WORKERS, CELLS, false);
const one = await measure(1, SCALE_CELLS, true);
const projected = (full.seconds * nCells) / CELLS;
const result = {
  when: new Date().toISOString(),
  cpus: cpus().length,
  load_1m_start: load0,
  load_1m_end: loadavg()[0],
  node: process.version,
  days: DAYS,
  symbols: SYMBOLS,
  runs_mode: RUNS,
  windows: windows.length,
  grid_cells: nCells,
  runs: [full, one],
  speedup_1_to_2: one.seconds_per_cell / full.seconds_per_cell,
  checksums_equal: true,
  full_grid_seconds: CELLS === nCells ? full.seconds : null,
  extrapolated_full_grid_seconds: projected,
  /** the full grid's CPU seconds over the workers: its wall time on an otherwise idle machine, if the workers scale perfectly */
  idle_machine_estimate_seconds: (full.cpu_seconds * nCells) / CELLS / WORKERS,
  target_seconds: TARGET_S,
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'optimize.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `optimize W1 (--runs ${RUNS}): ${windows.length} windows x ${CELLS} cells on ${WORKERS} workers ${full.seconds.toFixed(1)} s (${full.events_per_s_per_worker.toExponential(2)} ev/s/worker); ` +
    `1 worker ${one.seconds_per_cell.toFixed(2)} s/cell vs ${full.seconds_per_cell.toFixed(2)}: ${result.speedup_1_to_2.toFixed(2)}x; 100 cells ${CELLS === nCells ? '' : 'extrapolated '}${projected.toFixed(0)} s vs target ${TARGET_S} s: ${projected <= TARGET_S ? 'met' : 'NOT met'} (load ${load0.toFixed(1)})`,
);
