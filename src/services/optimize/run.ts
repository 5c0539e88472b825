/**
 * perpkit optimize: walk-forward optimisation over the train + validation span of a holdout split.
 *
 *   1. load the decision rows and market data of the span once (the sealed test segment only
 *      with unseal_test);
 *   2. walk-forward windows (split module's walkForwardFolds, purge = label horizon);
 *   3. every (window, cell) task is the cell on the window's training part and on its test part;
 *      by default (--runs continuous) one engine run per cell over the whole span gives all of the
 *      cell's tasks as slices of it, with --runs per-window each part is a fresh engine run
 *      (tasks.ts); jobs run on worker threads; each finished task is appended to a checkpoint
 *      (cells.jsonl), so an interrupted run resumes without rerunning it, and a shard k/n runs
 *      only its slice;
 *   4. finalise (single run, or --merge of the shards): choose per window by the objective on
 *      the training part, stitch the chosen test parts, PBO by CSCV on the cells' test returns,
 *      DSR with the ledger's trial count of the strategy family, stability, §10.3 warnings,
 *      §12.2 expectations; optionally cost stress, capacity, funding and stress scenarios;
 *   5. write <root>/optimize/<run-id>/ (staged in <run-id>.tmp) and one ledger trial per task.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BacktestConfig } from '../../domain/backtest.js';
import type { ServiceContext } from '../../domain/context.js';
import { isSlug } from '../../domain/datasets.js';
import { missingError, usageError, validationError } from '../../domain/errors.js';
import {
  cellParams,
  chooseCell,
  expectations,
  gridSize,
  isSharpPeak,
  neighbourRatio,
  neighbours,
  objectiveOf,
  onBoundary,
  stability,
  stitch,
  warningSigns,
  type Grid,
  type Objective,
  type PartMetrics,
  type Stability,
  type Warning,
  type WindowKind,
  type WindowSpec,
} from '../../domain/optimize.js';
import { isoMicros } from '../../domain/split.js';
import type { MarketData } from '../../engine/types.js';
import { deflatedSharpeRatio, kurtosis, probabilisticSharpeRatio, skewness } from '../../stats/index.js';
import { matrixFromColumns, probabilityOfBacktestOverfitting } from '../../stats/pbo.js';
import { calmarRatio, hitRate, maxDrawdown, sharpeRatio, sortinoRatio } from '../../stats/returns.js';
import { datasetFiles, listOf, writeRows } from '../../store/dataset.js';
import { ledgerSpec, sha256 } from '../../store/ledger.js';
import { execQuery, runQuery } from '../../store/queries.js';
import { codeVersion, loadMarketData, resolveConfig, tableHash, writeParquet, type Col } from '../backtest.js';
import { loadSplit } from '../split.js';
import { decisionStep } from './evaluate.js';
import { runJobs } from './pool.js';
import { costStress, stressScenarios, type CostStressResult, type StressRow } from './stress.js';
import { jobsOf, jobTasks, type RunMode, type TaskResult, type TaskSpec } from './tasks.js';

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;
export const SUMMARY_SCHEMA = 'perpkit.optimize/1';

export interface OptimizeOptions {
  root: string;
  strategy: string;
  split: string;
  grid: Grid;
  /** strategy params held fixed (config strategy: section and the grid file's strategy:) */
  config_doc?: Record<string, unknown>;
  fixed?: Record<string, unknown>;
  objective: Objective;
  windows: WindowKind;
  /** durations as typed (for the summary) and in µs */
  train: string;
  test: string;
  step?: string;
  purge?: string;
  /** strategy warm-up before each part (decisions seen, no orders) */
  warmup?: string;
  workers: number;
  /** one continuous engine run per cell (default) or fresh runs per window part */
  runs?: RunMode;
  shard?: { k: number; n: number } | null;
  run_id?: string;
  unseal_test?: boolean;
  cost_stress?: boolean;
  stress?: boolean;
  crises?: Array<{ name: string; start: string; end: string }>;
  command_line?: string;
}

/** The resolved, serialisable definition of a run: what a shard, a resume and a merge must agree on. */
export interface RunSpec {
  schema: string;
  strategy: string;
  strategy_name: string;
  split: string;
  segments: string[];
  grid: Grid;
  fixed: Record<string, unknown>;
  config: BacktestConfig;
  config_doc: Record<string, unknown>;
  objective: Objective;
  scheme: { kind: 'walk-forward'; windows: WindowKind; train: string; test: string; step: string; purge: string; warmup: string; runs: RunMode };
  step_us: number;
  warmup_us: number;
  windows: WindowSpec[];
  n_cells: number;
  data_hashes: Record<string, string>;
  cost_stress: boolean;
  stress: boolean;
  crises: Array<{ name: string; start: string; end: string }>;
}

export interface WindowRow {
  window: number;
  train_start: string;
  train_end: string;
  test_start: string;
  test_end: string;
  chosen_cell: number;
  chosen_params: Record<string, unknown>;
  is_objective: number | null;
  oos_objective: number | null;
  is_sharpe: number | null;
  oos_sharpe: number | null;
  is_oos_ratio: number | null;
  on_boundary: boolean;
  neighbour_ratio: number | null;
  sharp_peak: boolean;
}

export interface OptimizeSummary {
  schema: string;
  run_id: string;
  created_at: string;
  code_version: string;
  command: string;
  strategy: { spec: string; name: string; family_hash: string };
  objective: Objective;
  scheme: RunSpec['scheme'];
  split: string;
  segments: string[];
  grid: Grid;
  fixed_params: Record<string, unknown>;
  n_windows: number;
  n_cells: number;
  windows: WindowRow[];
  oos: {
    sharpe: number | null;
    sortino: number | null;
    calmar: number | null;
    total_return: number;
    annual_return: number | null;
    max_drawdown: number;
    observations: number;
    periods_per_year: number;
    trades: number;
    trades_per_day: number | null;
    hit_rate: number | null;
  };
  dsr: { sharpe: number | null; psr: number | null; dsr: number | null; trials: number; trials_sharpe_variance: number; expected_max_sharpe: number; passes: boolean };
  pbo: { pbo: number; logits: number[]; prob_oos_loss: number; blocks: number; rows_used: number; degradation_slope: number | null } | null;
  stability: Stability;
  warnings: Warning[];
  expectations: ReturnType<typeof expectations>;
  cost_stress: CostStressResult['summary'] | null;
  capacity: CostStressResult['capacity_summary'] | null;
  funding: CostStressResult['funding'] | null;
  stress: StressRow[] | null;
  shards: number | null;
  outputs: Record<string, { rows: number; sha256: string }>;
  dir: string;
}

export interface ShardReport {
  run_id: string;
  shard: string;
  dir: string;
  tasks: number;
  done: number;
  resumed: number;
  merge_hint: string;
}

const optimizeDir = (root: string): string => join(root, 'optimize');

function runIdOf(spec: RunSpec): string {
  const { cost_stress: _c, stress: _s, crises: _k, ...core } = spec;
  return `opt-${sha256(JSON.stringify(core)).slice(0, 12)}`;
}

function readCheckpoint(path: string, nTasks: number): Map<number, TaskResult> {
  const done = new Map<number, TaskResult>();
  if (!existsSync(path)) return done;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as TaskResult;
      if (Number.isInteger(r.task) && r.task >= 0 && r.task < nTasks) done.set(r.task, r);
    } catch {
      // a line cut by a crash: that task runs again
    }
  }
  return done;
}

/** Serialises a task result on one line (null for non-finite numbers keeps JSON valid). */
const lineOf = (r: TaskResult): string => `${JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))}\n`;

function specMismatch(a: RunSpec, b: RunSpec): string | null {
  for (const k of ['strategy', 'split', 'grid', 'fixed', 'config', 'objective', 'scheme', 'windows', 'data_hashes'] as const) {
    if (JSON.stringify(a[k]) !== JSON.stringify(b[k])) return k;
  }
  return null;
}

function durationUs(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(m|h|d|w)$/.exec(text.trim());
  if (!m) throw usageError(`--${flag} must be a duration such as 90d, 12h, 2w, got ${JSON.stringify(text)}`);
  const unit = { m: 60e6, h: HOUR_US, d: DAY_US, w: 7 * DAY_US }[m[2] as 'm' | 'h' | 'd' | 'w'];
  const v = Math.round(Number(m[1]) * unit);
  if (!(v > 0) && flag !== 'purge') throw usageError(`--${flag} must be > 0, got ${JSON.stringify(text)}`);
  return v;
}

interface Prepared {
  spec: RunSpec;
  data: MarketData;
  venue: string;
  runId: string;
}

async function prepare(o: OptimizeOptions, ctx: ServiceContext): Promise<Prepared> {
  const { config, params: configParams } = resolveConfig(o.config_doc ?? {});
  const fixed = { ...configParams, ...(o.fixed ?? {}) };
  if (o.run_id !== undefined && !isSlug(o.run_id)) throw usageError(`--run-id must be letters, digits, - and _, got ${JSON.stringify(o.run_id)}`);
  const trainUs = durationUs('train', o.train);
  const testUs = durationUs('test', o.test);
  const stepText = o.step ?? o.test;
  const stepUs = durationUs('step', stepText);
  if (o.purge !== undefined && o.purge !== '0') durationUs('purge', o.purge);
  const warmupText = o.warmup ?? '14d';
  const warmupUs = warmupText === '0' ? 0 : durationUs('warmup', warmupText);
  const split = loadSplit(o.root, o.split);
  if (split.scheme !== 'holdout' || !split.segments) {
    throw usageError(`split ${o.split} is a ${split.scheme} split; optimize walks forward inside the train + validation segments of a holdout split`, {
      hint: `create one with "perpkit split --name NAME --scheme holdout" and pass --split NAME`,
    });
  }
  const segments = split.segments.map((s) => s.name).filter((n) => n !== 'test' || o.unseal_test);
  const purgeText = o.purge ?? `${split.longest_label_hours}h`;
  const purgeUs = purgeText === '0' ? 0 : durationUs('purge', purgeText);
  // validate each cell's params against the strategy before loading anything
  const { loadStrategy } = await import('../../strategies/index.js');
  const n = gridSize(o.grid);
  let name = o.strategy;
  for (let c = 0; c < n; c++) {
    try {
      name = (await loadStrategy(o.strategy, { ...fixed, ...cellParams(o.grid, c) })).strategy.name;
    } catch (err) {
      const e = err as Error;
      throw usageError(`grid cell ${c} ${JSON.stringify(cellParams(o.grid, c))}: ${e.message}`, { hint: 'fix the grid (or the fixed strategy parameters) so every combination is valid for the strategy' });
    }
  }
  const { strategy } = await loadStrategy(o.strategy, { ...fixed, ...cellParams(o.grid, 0) });
  const loaded = await loadMarketData(
    { root: o.root, strategy: o.strategy, split: o.split, segment: segments[0]!, segments, unseal_test: o.unseal_test ?? false, command: 'optimize' },
    config,
    strategy.columns ?? [],
    ctx,
  );
  for (const w of loaded.warnings) ctx.log.warn(w);
  const from = loaded.intervals[0]![0];
  const to = Math.min(loaded.intervals[loaded.intervals.length - 1]![1], 9e15);
  const { buildWindows } = await import('../../domain/optimize.js');
  const windows = buildWindows(loaded.data.decisions.time, from, to, { trainUs, testUs, stepUs, window: o.windows, purgeUs });
  if (windows.length === 0) {
    throw missingError(`no walk-forward window fits the ${segments.join(' + ')} span of split ${o.split} (${isoMicros(from)} -> ${isoMicros(to)}) with --train ${o.train} --test ${o.test}`, {
      hint: `use shorter --train/--test (the span is ${((to - from) / DAY_US).toFixed(1)} days)`,
    });
  }
  const spec: RunSpec = {
    schema: SUMMARY_SCHEMA,
    strategy: o.strategy,
    strategy_name: name,
    split: o.split,
    segments,
    grid: o.grid,
    fixed,
    config,
    config_doc: o.config_doc ?? {},
    objective: o.objective,
    scheme: { kind: 'walk-forward', windows: o.windows, train: o.train, test: o.test, step: stepText, purge: purgeText, warmup: warmupText, runs: o.runs ?? 'continuous' },
    step_us: decisionStep(loaded.data.decisions),
    warmup_us: warmupUs,
    windows,
    n_cells: n,
    data_hashes: loaded.hashes,
    cost_stress: o.cost_stress ?? false,
    stress: o.stress ?? false,
    crises: o.crises ?? [],
  };
  return { spec, data: loaded.data, venue: loaded.venue, runId: o.run_id ?? runIdOf(spec) };
}

/** Runs the jobs (tasks.ts) with a task missing from a checkpoint, appending each result as it finishes. */
async function runMissing(p: Prepared, jobs: number[], checkpoint: string, workers: number, ctx: ServiceContext): Promise<{ results: Map<number, TaskResult>; tasks: number; resumed: number; events: number; ms: number }> {
  const { runs } = p.spec.scheme;
  const nW = p.spec.windows.length;
  const nC = p.spec.n_cells;
  const results = readCheckpoint(checkpoint, nW * nC);
  const tasksOf = (j: number): number[] => jobTasks(runs, nW, nC, j);
  const mine = new Set(jobs.flatMap(tasksOf));
  for (const k of [...results.keys()]) if (!mine.has(k)) results.delete(k);
  // a job counts as done when every task of it is checkpointed (a cut line reruns the whole job)
  const todo = jobs.filter((j) => tasksOf(j).some((t) => !results.has(t)));
  const resumed = jobs.length - todo.length;
  const unit = runs === 'per-window' ? 'task' : 'cell';
  if (results.size > 0) ctx.log.info(`resuming: ${resumed} of ${jobs.length} ${unit}(s) already done (${checkpoint})`);
  const crashAfter = Number(process.env['PERPKIT_OPTIMIZE_CRASH_AFTER'] ?? '0');
  const t0 = performance.now();
  let events = 0;
  let done = 0;
  const taskSpec: TaskSpec = { runs, strategy: p.spec.strategy, fixed: p.spec.fixed, grid: p.spec.grid, config: p.spec.config, windows: p.spec.windows, step_us: p.spec.step_us, warmup_us: p.spec.warmup_us };
  let lastReport = 0;
  await runJobs(p.data, taskSpec, todo, {
    workers,
    signal: ctx.signal,
    onResult: (j) => {
      appendFileSync(checkpoint, j.results.map(lineOf).join(''));
      for (const r of j.results) results.set(r.task, r);
      events += j.events;
      done++;
      // test hook: die like kill -9 once this many tasks are checkpointed
      if (crashAfter > 0 && done >= crashAfter) process.kill(process.pid, 'SIGKILL');
      const el = performance.now() - t0;
      const eta = (el / done) * (todo.length - done);
      const line = `optimize: ${resumed + done}/${jobs.length} ${unit}s, ${((events / el) * 1000).toExponential(2)} events/s, ETA ${(eta / 1000).toFixed(0)} s`;
      ctx.log.progress(line);
      if (el - lastReport > 10_000 || done === todo.length) {
        lastReport = el;
        ctx.log.info(line);
      }
    },
  });
  ctx.log.progressDone();
  return { results, tasks: mine.size, resumed, events, ms: performance.now() - t0 };
}

/** perpkit optimize (a whole run, or one shard of it). */
export async function runOptimize(o: OptimizeOptions, ctx: ServiceContext): Promise<OptimizeSummary | ShardReport> {
  const p = await prepare(o, ctx);
  const base = join(optimizeDir(o.root), p.runId);
  if (existsSync(join(base, 'summary.json'))) {
    throw usageError(`optimize run ${p.runId} is already complete (${base})`, { hint: 'read its summary.json, or pass --run-id NAME to start another run' });
  }
  const nTasks = p.spec.windows.length * p.spec.n_cells;
  if (o.shard) {
    const sdir = join(base, 'shards', `${o.shard.k}-of-${o.shard.n}`);
    mkdirSync(sdir, { recursive: true });
    checkSpec(join(sdir, 'spec.json'), p.spec);
    const jobs = jobsOf(p.spec.scheme.runs, p.spec.windows.length, p.spec.n_cells, o.shard);
    const r = await runMissing(p, jobs, join(sdir, 'cells.jsonl'), o.workers, ctx);
    writeFileSync(join(sdir, 'done.json'), `${JSON.stringify({ shard: o.shard, tasks: r.tasks, events: r.events, ms: r.ms }, null, 2)}\n`);
    ctx.log.info(`shard ${o.shard.k}/${o.shard.n} of ${p.runId}: ${r.tasks} task(s) done; merge with "perpkit optimize --merge ${p.runId}"`);
    return { run_id: p.runId, shard: `${o.shard.k}/${o.shard.n}`, dir: sdir, tasks: r.tasks, done: r.results.size, resumed: r.resumed, merge_hint: `perpkit optimize --merge ${p.runId}` };
  }
  const stage = `${base}.tmp`;
  mkdirSync(stage, { recursive: true });
  checkSpec(join(stage, 'spec.json'), p.spec);
  const jobs = jobsOf(p.spec.scheme.runs, p.spec.windows.length, p.spec.n_cells, null);
  const r = await runMissing(p, jobs, join(stage, 'cells.jsonl'), o.workers, ctx);
  ctx.log.info(`optimize ${p.runId}: ${nTasks} task(s) in ${jobs.length} ${p.spec.scheme.runs} job(s) (${r.resumed} resumed), ${r.events} events in ${(r.ms / 1000).toFixed(1)} s`);
  return finalise(p, r.results, stage, base, null, o, ctx);
}

function checkSpec(path: string, spec: RunSpec): void {
  if (existsSync(path)) {
    const old = JSON.parse(readFileSync(path, 'utf8')) as RunSpec;
    const k = specMismatch(old, spec);
    if (k) throw usageError(`the checkpoint at ${path} was made with another ${k}`, { hint: 'pass the same options as the interrupted run, or a new --run-id' });
  } else writeFileSync(path, `${JSON.stringify(spec, null, 2)}\n`);
}

/** perpkit optimize --merge RUN_ID: combines the shards into the result a single run gives. */
export async function mergeOptimize(o: { root: string; run_id: string; workers: number; command_line?: string }, ctx: ServiceContext): Promise<OptimizeSummary> {
  if (!isSlug(o.run_id)) throw usageError(`${JSON.stringify(o.run_id)} is not a run id`);
  const base = join(optimizeDir(o.root), o.run_id);
  const sroot = join(base, 'shards');
  if (existsSync(join(base, 'summary.json'))) throw usageError(`optimize run ${o.run_id} is already merged (${base})`);
  if (!existsSync(sroot)) throw missingError(`no shards of optimize run ${o.run_id} (${sroot})`, { hint: 'run "perpkit optimize ... --shard k/n" first' });
  const dirs = readdirSync(sroot).filter((d) => /^\d+-of-\d+$/.test(d)).sort();
  if (dirs.length === 0) throw missingError(`no shards of optimize run ${o.run_id} (${sroot})`);
  const ns = new Set(dirs.map((d) => Number(d.split('-of-')[1])));
  if (ns.size !== 1) throw validationError(`the shards of ${o.run_id} disagree on n: ${dirs.join(', ')}`);
  const n = [...ns][0]!;
  const missing = Array.from({ length: n }, (_, i) => `${i + 1}-of-${n}`).filter((d) => !dirs.includes(d) || !existsSync(join(sroot, d, 'done.json')));
  if (missing.length) throw missingError(`shard(s) ${missing.join(', ')} of ${o.run_id} are missing or unfinished`, { hint: 'run (or resume) them with the same command and --shard k/n, then merge' });
  const spec = JSON.parse(readFileSync(join(sroot, dirs[0]!, 'spec.json'), 'utf8')) as RunSpec;
  for (const d of dirs.slice(1)) {
    const other = JSON.parse(readFileSync(join(sroot, d, 'spec.json'), 'utf8')) as RunSpec;
    const k = specMismatch(spec, other);
    if (k) throw validationError(`shard ${d} of ${o.run_id} was run with another ${k}`);
  }
  const nTasks = spec.windows.length * spec.n_cells;
  const results = new Map<number, TaskResult>();
  for (const d of dirs) for (const [t, r] of readCheckpoint(join(sroot, d, 'cells.jsonl'), nTasks)) results.set(t, r);
  if (results.size !== nTasks) throw validationError(`the shards of ${o.run_id} hold ${results.size} of ${nTasks} tasks`, { hint: 'resume the unfinished shard(s) and merge again' });
  // market data is needed again only for the stress runs
  const opts: OptimizeOptions = {
    root: o.root,
    strategy: spec.strategy,
    split: spec.split,
    grid: spec.grid,
    fixed: spec.fixed,
    config_doc: spec.config_doc,
    objective: spec.objective,
    windows: spec.scheme.windows,
    train: spec.scheme.train,
    test: spec.scheme.test,
    step: spec.scheme.step,
    purge: spec.scheme.purge,
    warmup: spec.scheme.warmup,
    runs: spec.scheme.runs,
    workers: o.workers,
    run_id: o.run_id,
    unseal_test: spec.segments.includes('test'),
    cost_stress: spec.cost_stress,
    stress: spec.stress,
    crises: spec.crises,
    ...(o.command_line ? { command_line: o.command_line } : {}),
  };
  let p: Prepared;
  if (spec.cost_stress || spec.stress) {
    p = await prepare(opts, ctx);
    const k = specMismatch(spec, p.spec);
    if (k) throw validationError(`the data or definition changed since the shards ran (${k})`, { hint: 'rerun the shards' });
  } else p = { spec, data: null as unknown as MarketData, venue: '', runId: o.run_id };
  const stage = `${base}.tmp`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  writeFileSync(join(stage, 'spec.json'), `${JSON.stringify(spec, null, 2)}\n`);
  return finalise(p, results, stage, base, n, opts, ctx);
}

// ---- finalise ----------------------------------------------------------------------------------

const finite = (x: number | null | undefined): number | null => (x === null || x === undefined || !Number.isFinite(x) ? null : x);
const nullNum = (x: number | null): number | null => (x === null || !Number.isFinite(x) ? null : x);

function pboBlocks(rows: number): number {
  for (let s = 16; s >= 2; s -= 2) if (rows >= s * 2) return s;
  return 0;
}

/** Ledger trials of the strategy family (every optimize cell and backtest run of this strategy, ever). */
async function familyTrials(ctx: ServiceContext, root: string, spec: string, ppy: number): Promise<{ trials: number; variance: number }> {
  const files = await datasetFiles(root, ledgerSpec());
  if (files.length === 0) return { trials: 0, variance: 0 };
  const rows = await runQuery(ctx.db, 'optimize/family_trials', { files: listOf(files), spec });
  const per = rows
    .map((r) => {
      const s = r['sharpe'] === null ? Number.NaN : Number(r['sharpe']);
      const y = r['ppy'] === null ? ppy : Number(r['ppy']);
      return s / Math.sqrt(y);
    })
    .filter((x) => Number.isFinite(x));
  const m = per.reduce((a, b) => a + b, 0) / Math.max(1, per.length);
  const v = per.length > 1 ? per.reduce((a, b) => a + (b - m) ** 2, 0) / (per.length - 1) : 0;
  return { trials: rows.length, variance: v };
}

/** The result lookup of a run's (window, cell) tasks, and its decision bars per year. */
function resultsOf(spec: RunSpec, results: Map<number, TaskResult>): { get: (w: number, c: number) => TaskResult; ppy: number } {
  const nC = spec.n_cells;
  const get = (w: number, c: number): TaskResult => {
    const r = results.get(w * nC + c);
    if (!r) throw validationError(`task (window ${w}, cell ${c}) has no result`);
    return r;
  };
  return { get, ppy: (365 * DAY_US) / spec.step_us };
}

export interface Analysis {
  windows: WindowRow[];
  chosen: number[];
  stitched: ReturnType<typeof stitch>;
  oos: OptimizeSummary['oos'];
  pbo: OptimizeSummary['pbo'];
  dsr: OptimizeSummary['dsr'];
  stability: Stability;
  warnings: Warning[];
  expectations: OptimizeSummary['expectations'];
  oos_parts: PartMetrics[];
  periods_per_year: number;
}

/** Sharpe ratios of the training parts of every task: the trials' count and the variance of their per-period Sharpes (as the ledger gives for a fresh family). */
export function trialsOf(results: Map<number, TaskResult>, ppy: number): { trials: number; variance: number } {
  const per = [...results.values()].map((r) => (r.train.sharpe === null ? Number.NaN : r.train.sharpe / Math.sqrt(ppy))).filter((x) => Number.isFinite(x));
  const m = per.reduce((a, b) => a + b, 0) / Math.max(1, per.length);
  return { trials: results.size, variance: per.length > 1 ? per.reduce((a, b) => a + (b - m) ** 2, 0) / (per.length - 1) : 0 };
}

/** Everything the summary reports, from the task results and the family's trials (pure). */
export function analyse(spec: RunSpec, results: Map<number, TaskResult>, fam: { trials: number; variance: number }): Analysis {
  const nW = spec.windows.length;
  const nC = spec.n_cells;
  const { get, ppy } = resultsOf(spec, results);
  const windows: WindowRow[] = [];
  const chosen: number[] = [];
  const boundary: boolean[] = [];
  const sharp: boolean[] = [];
  const pieces: Array<{ window: number; test: [number, number]; times: number[]; rets: number[] }> = [];
  const oosParts: PartMetrics[] = [];
  for (let w = 0; w < nW; w++) {
    const objs = Array.from({ length: nC }, (_, c) => objectiveOf(get(w, c).train, spec.objective));
    const best = chooseCell(objs);
    const r = get(w, best);
    const ratio = neighbourRatio(spec.grid, objs, best);
    const ns = neighbours(spec.grid, best).map((c) => objs[c]!).filter((x) => Number.isFinite(x));
    const nMean = ns.length ? ns.reduce((a, b) => a + b, 0) / ns.length : Number.NaN;
    const peak = ns.length > 0 && isSharpPeak(ratio, objs[best]!, nMean);
    const isObj = finite(objs[best]);
    const oosObj = finite(objectiveOf(r.test, spec.objective));
    const win = spec.windows[w]!;
    windows.push({
      window: w,
      train_start: isoMicros(win.train[0]),
      train_end: isoMicros(win.train[1]),
      test_start: isoMicros(win.test[0]),
      test_end: isoMicros(Math.min(win.test[1], 9e15)),
      chosen_cell: best,
      chosen_params: { ...spec.fixed, ...cellParams(spec.grid, best) },
      is_objective: isObj,
      oos_objective: oosObj,
      is_sharpe: finite(r.train.sharpe),
      oos_sharpe: finite(r.test.sharpe),
      is_oos_ratio: isObj !== null && oosObj !== null && isObj !== 0 ? oosObj / isObj : null,
      on_boundary: onBoundary(spec.grid, best),
      neighbour_ratio: ratio,
      sharp_peak: peak,
    });
    chosen.push(best);
    boundary.push(onBoundary(spec.grid, best));
    sharp.push(peak);
    pieces.push({ window: w, test: win.test, times: r.test_times, rets: r.test_rets });
    oosParts.push(r.test);
  }
  const st = stitch(pieces);
  const ra = Float64Array.from(st.rets);
  const oosYears = ra.length / ppy;
  const trades = oosParts.reduce((a, m) => a + m.trades, 0);
  const totalReturn = st.equity.length ? st.equity[st.equity.length - 1]! - 1 : 0;
  const oos: OptimizeSummary['oos'] = {
    sharpe: nullNum(ra.length >= 2 ? sharpeRatio(ra, ppy) : null),
    sortino: nullNum(ra.length >= 2 ? sortinoRatio(ra, ppy) : null),
    calmar: nullNum(ra.length >= 2 ? calmarRatio(ra, ppy) : null),
    total_return: totalReturn,
    annual_return: oosYears > 0 && totalReturn > -1 ? (1 + totalReturn) ** (1 / oosYears) - 1 : null,
    max_drawdown: ra.length ? -maxDrawdown(ra) : 0,
    observations: ra.length,
    periods_per_year: ppy,
    trades,
    trades_per_day: oosYears > 0 ? trades / (oosYears * 365) : null,
    hit_rate: hitRate(ra),
  };

  // PBO by CSCV: the cells' test-part returns, window after window, aligned on the chosen cell's times
  let pbo: OptimizeSummary['pbo'] = null;
  if (nC >= 2) {
    const cols: Float64Array[] = [];
    for (let c = 0; c < nC; c++) {
      const vals: number[] = [];
      for (let w = 0; w < nW; w++) {
        const piece = pieces[w]!;
        const r = get(w, c);
        const byTime = new Map<number, number>();
        r.test_times.forEach((t, i) => byTime.set(t, r.test_rets[i]!));
        for (let i = 0; i < piece.times.length; i++) {
          const t = piece.times[i]!;
          if (t < piece.test[0] || t >= piece.test[1]) continue;
          vals.push(byTime.get(t) ?? 0);
        }
      }
      cols.push(Float64Array.from(vals));
    }
    const rows = cols[0]!.length;
    const blocks = pboBlocks(rows);
    if (blocks >= 2) {
      const res = probabilityOfBacktestOverfitting(matrixFromColumns(cols), { blocks });
      pbo = { pbo: res.pbo, logits: Array.from(res.logits, (x) => (Number.isFinite(x) ? x : x > 0 ? 1e9 : -1e9)), prob_oos_loss: res.prob_oos_loss, blocks, rows_used: res.rows_used, degradation_slope: res.degradation.slope };
    }
  }

  const srPer = oos.sharpe === null ? null : oos.sharpe / Math.sqrt(ppy);
  let dsr: OptimizeSummary['dsr'] = { sharpe: oos.sharpe, psr: null, dsr: null, trials: fam.trials, trials_sharpe_variance: fam.variance, expected_max_sharpe: 0, passes: false };
  if (srPer !== null && ra.length >= 2) {
    const sk = skewness(ra);
    const ku = kurtosis(ra);
    const mom = { sharpe: srPer, observations: ra.length, skewness: finite(sk) ?? 0, kurtosis: finite(ku) ?? 3 };
    const d = deflatedSharpeRatio({ ...mom, trials: Math.max(1, fam.trials), trialsSharpeVariance: fam.variance });
    dsr = {
      sharpe: oos.sharpe,
      psr: probabilisticSharpeRatio(mom, 0),
      dsr: d.dsr,
      trials: fam.trials,
      trials_sharpe_variance: fam.variance,
      expected_max_sharpe: d.expected_max_sharpe * Math.sqrt(ppy),
      passes: d.dsr !== null && d.dsr >= 0.95,
    };
  }

  const stab = stability(spec.grid, chosen, boundary, sharp);
  let changes = 0;
  for (let w = 1; w < chosen.length; w++) if (chosen[w] !== chosen[w - 1]) changes++;
  // the best single day's share of the OOS P&L
  const byDay = new Map<number, number>();
  let prevEq = 1;
  st.times.forEach((t, i) => {
    const d = Math.floor(t / DAY_US);
    byDay.set(d, (byDay.get(d) ?? 0) + (st.equity[i]! - prevEq));
    prevEq = st.equity[i]!;
  });
  const dayPnl = [...byDay.values()];
  const totalPnl = dayPnl.reduce((a, b) => a + b, 0);
  const warnings = warningSigns({
    oos_sharpe: oos.sharpe,
    oos_max_drawdown: oos.max_drawdown,
    oos_years: oosYears,
    oos_hit_rate: oos.hit_rate,
    trend_following: spec.strategy === 'regime',
    is_objectives: windows.map((w) => w.is_objective ?? Number.NaN),
    oos_objectives: windows.map((w) => w.oos_objective ?? Number.NaN),
    boundary_share: stab.boundary_share,
    param_change_share: chosen.length >= 2 ? changes / (chosen.length - 1) : null,
    grid_params: Object.values(spec.grid).filter((v) => v.length > 1).length,
    pnl_by_window: oosParts.map((m) => m.pnl),
    top_day_share: totalPnl > 0 && dayPnl.length > 0 ? Math.max(...dayPnl) / totalPnl : null,
    pbo: pbo?.pbo ?? null,
    dsr: dsr.dsr,
  });
  const exp = expectations({ sharpe: oos.sharpe, max_drawdown: oos.max_drawdown, hit_rate: oos.hit_rate, annual_return: oos.annual_return, trades_per_day: oos.trades_per_day });

  return { windows, chosen, stitched: st, oos, pbo, dsr, stability: stab, warnings, expectations: exp, oos_parts: oosParts, periods_per_year: ppy };
}

async function finalise(p: Prepared, results: Map<number, TaskResult>, stage: string, base: string, shards: number | null, o: OptimizeOptions, ctx: ServiceContext): Promise<OptimizeSummary> {
  const { spec } = p;
  const nW = spec.windows.length;
  const nC = spec.n_cells;
  const { get, ppy } = resultsOf(spec, results);
  // every (window, cell) is a trial in the ledger; DSR counts the family's trials ever
  const family = spec.strategy;
  const familyHash = sha256(`strategy-family:${family}`);
  const now = ctx.clock.now() * 1000;
  const runId = p.runId;
  const ledgerRowsOut: Array<Record<string, unknown>> = [];
  for (let w = 0; w < nW; w++) {
    for (let c = 0; c < nC; c++) {
      const r = get(w, c);
      const params = { ...spec.fixed, ...cellParams(spec.grid, c) };
      ledgerRowsOut.push({
        event_time: now,
        available_time: now,
        source: 'perpkit',
        ingest_time: now,
        kind: 'evaluation',
        command: 'optimize',
        args: JSON.stringify({ strategy: spec.strategy, split: spec.split, run_id: runId, window: w, cell: c }),
        config_hash: sha256({ config: spec.config, params }),
        data_hashes: JSON.stringify(spec.data_hashes),
        split_name: spec.split,
        segment: `optimize-window-${w}-train`,
        detail: JSON.stringify({ run_id: runId, window: w, cell: c, params, family_hash: familyHash, sharpe: finite(r.train.sharpe), periods_per_year: ppy, objective: finite(objectiveOf(r.train, spec.objective)), observations: r.train.observations }),
      });
    }
  }
  await writeRows(ctx, { root: o.root, spec: ledgerSpec() }, ledgerRowsOut);
  const fam = await familyTrials(ctx, o.root, family, ppy);
  const { windows, chosen, stitched: st, oos, pbo, dsr, stability: stab, warnings, expectations: exp } = analyse(spec, results, fam);
  // stress on the configuration chosen most often (ties: the latest window's)
  let cs: CostStressResult | null = null;
  let stress: StressRow[] | null = null;
  const counts = new Map<number, number>();
  for (const c of chosen) counts.set(c, (counts.get(c) ?? 0) + 1);
  const modal = [...counts.entries()].sort((a, b) => b[1] - a[1] || chosen.lastIndexOf(b[0]) - chosen.lastIndexOf(a[0]))[0]![0];
  const modalParams = { ...spec.fixed, ...cellParams(spec.grid, modal) };
  const oosSpan: [number, number] = [spec.windows[0]!.test[0], spec.windows[nW - 1]!.test[1]];
  if (spec.cost_stress) cs = await costStress(p.data, spec.config, spec.strategy, modalParams, oosSpan, spec.step_us, spec.warmup_us, ctx);
  if (spec.stress) stress = await stressScenarios(p.data, spec.config, spec.strategy, modalParams, oosSpan, spec.step_us, spec.warmup_us, spec.crises, ctx);

  // ---- outputs
  const outputs: OptimizeSummary['outputs'] = {};
  /** writes a table; `booleans` are 0/1 INTEGER columns stored as BOOLEAN (the contract's type) */
  const put = async (name: string, cols: Col[], booleans: string[] = []): Promise<void> => {
    outputs[name] = { rows: cols[0]?.values.length ?? 0, sha256: tableHash(cols) };
    if (booleans.length === 0) return writeParquet(ctx, join(stage, name), cols);
    const tmp = join(stage, `${name}.ints`);
    await writeParquet(ctx, tmp, cols);
    await execQuery(ctx.db, 'optimize/booleans', { src: tmp, dst: join(stage, name) }, { idents: { cols: cols.map((c) => c.name) }, lists: { bools: booleans } });
    rmSync(tmp, { force: true });
  };
  const cellRows: Array<{ w: number; c: number; part: string; m: PartMetrics }> = [];
  for (let w = 0; w < nW; w++) for (let c = 0; c < nC; c++) for (const part of ['train', 'test'] as const) cellRows.push({ w, c, part, m: get(w, c)[part] });
  const num = (x: number | null): number => (x === null ? Number.NaN : x);
  await put('cells.parquet', [
    { name: 'window', type: 'INTEGER', values: Int32Array.from(cellRows, (r) => r.w) },
    { name: 'cell', type: 'INTEGER', values: Int32Array.from(cellRows, (r) => r.c) },
    { name: 'params', type: 'VARCHAR', values: cellRows.map((r) => JSON.stringify(cellParams(spec.grid, r.c))) },
    { name: 'part', type: 'VARCHAR', values: cellRows.map((r) => r.part) },
    { name: 'objective', type: 'DOUBLE', values: Float64Array.from(cellRows, (r) => objectiveOf(r.m, spec.objective)) },
    { name: 'sharpe', type: 'DOUBLE', values: Float64Array.from(cellRows, (r) => num(r.m.sharpe)) },
    { name: 'sortino', type: 'DOUBLE', values: Float64Array.from(cellRows, (r) => num(r.m.sortino)) },
    { name: 'calmar', type: 'DOUBLE', values: Float64Array.from(cellRows, (r) => num(r.m.calmar)) },
    { name: 'net_return', type: 'DOUBLE', values: Float64Array.from(cellRows, (r) => r.m.net_return) },
    { name: 'max_drawdown', type: 'DOUBLE', values: Float64Array.from(cellRows, (r) => r.m.max_drawdown) },
    { name: 'trades', type: 'INTEGER', values: Int32Array.from(cellRows, (r) => r.m.trades) },
    { name: 'hit_rate', type: 'DOUBLE', values: Float64Array.from(cellRows, (r) => num(r.m.hit_rate)) },
    { name: 'chosen', type: 'INTEGER', values: Int32Array.from(cellRows, (r) => (chosen[r.w] === r.c ? 1 : 0)) },
  ]);
  await put('windows.parquet', [
    { name: 'window', type: 'INTEGER', values: Int32Array.from(windows, (w) => w.window) },
    { name: 'train_start', type: 'TIMESTAMP', values: Float64Array.from(spec.windows, (w) => w.train[0]) },
    { name: 'train_end', type: 'TIMESTAMP', values: Float64Array.from(spec.windows, (w) => w.train[1]) },
    { name: 'test_start', type: 'TIMESTAMP', values: Float64Array.from(spec.windows, (w) => w.test[0]) },
    { name: 'test_end', type: 'TIMESTAMP', values: Float64Array.from(spec.windows, (w) => Math.min(w.test[1], 9e15)) },
    { name: 'chosen_cell', type: 'INTEGER', values: Int32Array.from(windows, (w) => w.chosen_cell) },
    { name: 'chosen_params', type: 'VARCHAR', values: windows.map((w) => JSON.stringify(w.chosen_params)) },
    { name: 'is_objective', type: 'DOUBLE', values: Float64Array.from(windows, (w) => num(w.is_objective)) },
    { name: 'oos_objective', type: 'DOUBLE', values: Float64Array.from(windows, (w) => num(w.oos_objective)) },
    { name: 'is_sharpe', type: 'DOUBLE', values: Float64Array.from(windows, (w) => num(w.is_sharpe)) },
    { name: 'oos_sharpe', type: 'DOUBLE', values: Float64Array.from(windows, (w) => num(w.oos_sharpe)) },
    { name: 'is_oos_ratio', type: 'DOUBLE', values: Float64Array.from(windows, (w) => num(w.is_oos_ratio)) },
    { name: 'on_boundary', type: 'INTEGER', values: Int32Array.from(windows, (w) => (w.on_boundary ? 1 : 0)) },
    { name: 'neighbour_ratio', type: 'DOUBLE', values: Float64Array.from(windows, (w) => num(w.neighbour_ratio)) },
    { name: 'sharp_peak', type: 'INTEGER', values: Int32Array.from(windows, (w) => (w.sharp_peak ? 1 : 0)) },
  ], ['on_boundary', 'sharp_peak']);
  await put('equity.parquet', [
    { name: 'event_time', type: 'TIMESTAMP', values: Float64Array.from(st.times) },
    { name: 'window', type: 'INTEGER', values: Int32Array.from(st.window) },
    { name: 'equity', type: 'DOUBLE', values: Float64Array.from(st.equity) },
    { name: 'ret', type: 'DOUBLE', values: Float64Array.from(st.rets) },
  ]);
  if (cs) {
    await put('cost_stress.parquet', [
      { name: 'fee_tier', type: 'VARCHAR', values: cs.rows.map((r) => r.fee_tier) },
      { name: 'slippage_mult', type: 'DOUBLE', values: Float64Array.from(cs.rows, (r) => r.slippage_mult) },
      { name: 'net_sharpe', type: 'DOUBLE', values: Float64Array.from(cs.rows, (r) => num(r.net_sharpe)) },
      { name: 'net_return', type: 'DOUBLE', values: Float64Array.from(cs.rows, (r) => r.net_return) },
      { name: 'round_trip_bps', type: 'DOUBLE', values: Float64Array.from(cs.rows, (r) => r.round_trip_bps) },
      { name: 'maker_fee', type: 'DOUBLE', values: Float64Array.from(cs.rows, (r) => r.maker_fee) },
      { name: 'taker_fee', type: 'DOUBLE', values: Float64Array.from(cs.rows, (r) => r.taker_fee) },
    ]);
    await put('capacity.parquet', [
      { name: 'multiple', type: 'DOUBLE', values: Float64Array.from(cs.capacity, (r) => r.multiple) },
      { name: 'notional', type: 'DOUBLE', values: Float64Array.from(cs.capacity, (r) => r.notional) },
      { name: 'net_return', type: 'DOUBLE', values: Float64Array.from(cs.capacity, (r) => r.net_return) },
      { name: 'net_sharpe', type: 'DOUBLE', values: Float64Array.from(cs.capacity, (r) => num(r.net_sharpe)) },
    ]);
  }
  if (stress) {
    await put('stress.parquet', [
      { name: 'scenario', type: 'VARCHAR', values: stress.map((r) => r.scenario) },
      { name: 'kind', type: 'VARCHAR', values: stress.map((r) => r.kind) },
      { name: 'start', type: 'VARCHAR', values: stress.map((r) => r.start) },
      { name: 'end', type: 'VARCHAR', values: stress.map((r) => r.end) },
      { name: 'pnl', type: 'DOUBLE', values: Float64Array.from(stress, (r) => r.pnl) },
      { name: 'baseline_pnl', type: 'DOUBLE', values: Float64Array.from(stress, (r) => r.baseline_pnl) },
      { name: 'max_drawdown', type: 'DOUBLE', values: Float64Array.from(stress, (r) => r.max_drawdown) },
      { name: 'liquidations', type: 'INTEGER', values: Int32Array.from(stress, (r) => r.liquidations) },
      { name: 'controller_events', type: 'INTEGER', values: Int32Array.from(stress, (r) => r.controller_events) },
      { name: 'kill_switch', type: 'INTEGER', values: Int32Array.from(stress, (r) => (r.kill_switch ? 1 : 0)) },
    ], ['kill_switch']);
  }
  const summary: OptimizeSummary = {
    schema: SUMMARY_SCHEMA,
    run_id: runId,
    created_at: new Date(ctx.clock.now()).toISOString(),
    code_version: codeVersion(),
    command: o.command_line ?? 'perpkit optimize',
    strategy: { spec: spec.strategy, name: spec.strategy_name, family_hash: familyHash },
    objective: spec.objective,
    scheme: spec.scheme,
    split: spec.split,
    segments: spec.segments,
    grid: spec.grid,
    fixed_params: spec.fixed,
    n_windows: nW,
    n_cells: nC,
    windows,
    oos,
    dsr,
    pbo,
    stability: stab,
    warnings,
    expectations: exp,
    cost_stress: cs?.summary ?? null,
    capacity: cs?.capacity_summary ?? null,
    funding: cs?.funding ?? null,
    stress,
    shards,
    outputs,
    dir: base,
  };
  writeFileSync(join(stage, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
  // the shards (a merge) move in with the result
  if (existsSync(join(base, 'shards'))) renameSync(join(base, 'shards'), join(stage, 'shards'));
  rmSync(base, { recursive: true, force: true });
  renameSync(stage, base);
  const fired = warnings.filter((w) => w.fired).map((w) => w.sign);
  ctx.log.info(`optimize ${runId}: ${nW} window(s) x ${nC} cell(s); out-of-sample Sharpe ${oos.sharpe?.toFixed(2) ?? 'n/a'}, PBO ${pbo ? pbo.pbo.toFixed(2) : 'n/a'}, DSR ${dsr.dsr?.toFixed(3) ?? 'n/a'} (${dsr.trials} trials); warnings: ${fired.length ? fired.join(', ') : 'none'}; outputs in ${base}`);
  return summary;
}

export function readOptimizeSummary(root: string, runId: string): OptimizeSummary {
  const p = join(optimizeDir(root), runId, 'summary.json');
  if (!existsSync(p)) throw missingError(`no optimize run ${runId} (${p})`);
  return JSON.parse(readFileSync(p, 'utf8')) as OptimizeSummary;
}

