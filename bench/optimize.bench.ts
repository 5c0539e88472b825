/**
 * perpkit optimize throughput on a W1-shaped workload held in memory: 5 perps x one year of
 * 1-minute bars (seeded random walk, 8 h funding, hourly decisions; as bench/backtest.bench.ts),
 * the §6.1B regime strategy, a 100-cell grid (sma_fast 5 x sma_slow 5 x high_vol_ratio 4) over
 * rolling walk-forward windows (train 90d, test 30d, step 30d, purge 1h, warm-up 14d): every
 * (window, cell) runs the engine on its training part and on its test part.
 *
 * The budget: the whole 100-cell optimisation <= 60 s on this 2-core machine. Running it
 * in full takes many minutes here, so by default the bench runs the first --cells cells of the
 * grid on every window, with 1 worker and then 2, and extrapolates linearly to 100 cells (cells
 * cost about the same: same data, same strategy). --cells 100 runs it all.
 *
 * Reported: wall time, engine events, events/s per worker, the 1 -> 2 worker speed-up.
 * Machines are shared and noisy: compare ratios within one run.
 *
 * Run: npm run bench -- optimize   [--cells N] [--days N]   (writes bench/results/optimize.json)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBacktestConfig } from '../src/domain/backtest.js';
import { buildWindows, gridSize, type Grid } from '../src/domain/optimize.js';
import type { BarSeries, FundingSeries, MarketData } from '../src/engine/types.js';
import { runTasks } from '../src/services/optimize/pool.js';
import type { TaskSpec } from '../src/services/optimize/tasks.js';
import { mulberry32 } from '../src/stats/random.js';

const here = dirname(fileURLToPath(import.meta.url));
const argN = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const DAYS = argN('--days', 365);
const CELLS = argN('--cells', 6);
const SYMBOLS = 5;
const BARS = DAYS * 1440;
const MIN_US = 60_000_000;
const HOUR_US = 60 * MIN_US;
const DAY_US = 24 * HOUR_US;
const T0 = Date.UTC(2025, 0, 1) * 1000;
const TARGET_S = 60;

function makeData(): MarketData {
  const rnd = mulberry32(42);
  const symbols = Array.from({ length: SYMBOLS }, (_, s) => `SYM${s}-PERP`);
  const bars: BarSeries[] = [];
  const funding: FundingSeries[] = [];
  const hours = Math.floor(BARS / 60);
  for (let s = 0; s < SYMBOLS; s++) {
    const f = (): Float64Array => new Float64Array(BARS);
    const b: BarSeries = { timeframe_us: MIN_US, open_time: f(), close_time: f(), available_time: f(), open: f(), high: f(), low: f(), close: f(), volume: f() };
    let p = 100 * (s + 1);
    for (let k = 0; k < BARS; k++) {
      const o = p;
      const c = o * (1 + (rnd() - 0.5) * 0.002);
      b.open_time[k] = T0 + k * MIN_US;
      b.close_time[k] = T0 + (k + 1) * MIN_US;
      b.available_time[k] = T0 + (k + 1) * MIN_US + 2_000_000;
      b.open[k] = o;
      b.close[k] = c;
      b.high[k] = Math.max(o, c) * (1 + rnd() * 0.0005);
      b.low[k] = Math.min(o, c) * (1 - rnd() * 0.0005);
      b.volume[k] = 5_000 + rnd() * 10_000;
      p = c;
    }
    bars.push(b);
    const n = Math.floor(BARS / 480);
    const g = (): Float64Array => new Float64Array(n);
    const fu: FundingSeries = { event_time: g(), available_time: g(), rate: g(), interval_hours: g(), mark: g() };
    for (let i = 0; i < n; i++) {
      fu.event_time[i] = T0 + (i + 1) * 8 * HOUR_US;
      fu.available_time[i] = fu.event_time[i]! + 5_000_000;
      fu.rate[i] = (rnd() - 0.4) * 0.0005;
      fu.interval_hours[i] = 8;
      fu.mark[i] = Number.NaN;
    }
    funding.push(fu);
  }
  const dTime = new Float64Array(hours * SYMBOLS);
  const dSym = new Uint16Array(hours * SYMBOLS);
  for (let h = 1; h <= hours; h++) {
    for (let s = 0; s < SYMBOLS; s++) {
      dTime[(h - 1) * SYMBOLS + s] = T0 + h * HOUR_US + 5_000_000;
      dSym[(h - 1) * SYMBOLS + s] = s;
    }
  }
  return {
    symbols,
    instruments: symbols.map((symbol) => ({ symbol, venue: 'synthetic', tick_size: 0.01, lot_base: 0.001, maker_fee: 0.0002, taker_fee: 0.0005, funding_interval_hours: 8, funding_accrual_hours: 8, valid_from: -Infinity, valid_to: Infinity })),
    bars,
    mark: symbols.map(() => null),
    funding,
    decisions: { time: dTime, sym: dSym, columns: [], values: [] },
    start: T0,
    end: T0 + DAYS * DAY_US,
  };
}

const grid: Grid = { sma_fast: [5, 10, 15, 20, 25], sma_slow: [40, 60, 80, 100, 120], high_vol_ratio: [1.25, 1.5, 1.75, 2] };
const nCells = gridSize(grid);
const tg = performance.now();
const data = makeData();
const genMs = performance.now() - tg;
const windows = buildWindows(data.decisions.time, T0, T0 + DAYS * DAY_US, { trainUs: 90 * DAY_US, testUs: 30 * DAY_US, stepUs: 30 * DAY_US, window: 'rolling', purgeUs: HOUR_US });
const config = parseBacktestConfig({ kill_switch: { daily_loss: 0.5 } });
const spec: TaskSpec = { strategy: 'regime', fixed: {}, grid, config, windows, step_us: HOUR_US, warmup_us: 14 * DAY_US };
const cells = Math.min(CELLS, nCells);
// the first `cells` cells of every window (task = window * nCells + cell)
const tasks = windows.flatMap((w) => Array.from({ length: cells }, (_, c) => w.window * nCells + c));
process.stderr.write(`W1-shaped: ${SYMBOLS} x ${BARS} 1m bars in ${genMs.toFixed(0)} ms; ${windows.length} windows x ${cells} of ${nCells} cells = ${tasks.length} tasks (load ${loadavg()[0]!.toFixed(2)})\n`);
const runs: Array<{ workers: number; seconds: number; events: number; events_per_s_per_worker: number; checksum: number }> = [];
for (const workers of [1, 2]) {
  let events = 0;
  let checksum = 0;
  const t0 = performance.now();
  await runTasks(data, spec, tasks, {
    workers,
    onResult: (r) => {
      events += r.events;
      checksum += r.train.net_return + r.test.net_return;
    },
  });
  const s = (performance.now() - t0) / 1000;
  runs.push({ workers, seconds: s, events, events_per_s_per_worker: events / s / workers, checksum });
  process.stderr.write(`${workers} worker(s): ${s.toFixed(1)} s, ${events} events, ${(events / s / workers).toExponential(2)} events/s per worker\n`);
}
const r1 = runs[0]!;
const r2 = runs[1]!;
const full = (r2.seconds * nCells) / cells;
const result = {
  when: new Date().toISOString(),
  cpus: cpus().length,
  load_1m: loadavg()[0],
  node: process.version,
  days: DAYS,
  symbols: SYMBOLS,
  windows: windows.length,
  cells_run: cells,
  grid_cells: nCells,
  tasks: tasks.length,
  runs,
  speedup_1_to_2: r1.seconds / r2.seconds,
  checksums_equal: Math.abs(r1.checksum - r2.checksum) < 1e-9,
  extrapolated_full_grid_seconds_2_workers: full,
  target_seconds: TARGET_S,
};
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results', 'optimize.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(
  `optimize W1: ${windows.length} windows x ${cells} cells: 1 worker ${r1.seconds.toFixed(1)} s (${r1.events_per_s_per_worker.toExponential(2)} ev/s), 2 workers ${r2.seconds.toFixed(1)} s ` +
    `(${r2.events_per_s_per_worker.toExponential(2)} ev/s/worker), speed-up ${result.speedup_1_to_2.toFixed(2)}x; 100 cells extrapolated ${full.toFixed(0)} s vs target ${TARGET_S} s: ${full <= TARGET_S ? 'met' : 'NOT met'}`,
);
