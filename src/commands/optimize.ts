import { existsSync, readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { formatTable } from '../cli/table.js';
import { parseInteger } from '../cli/parse.js';
import { OPTIMIZE_DEFAULTS } from '../domain/defaults.js';
import { missingError, usageError } from '../domain/errors.js';
import { DEFAULT_GRIDS, OBJECTIVES, parseGrid, parseShard, WINDOW_KINDS, type Grid, type Objective, type WindowKind } from '../domain/optimize.js';
import { readConfigFile } from '../services/backtest.js';
import { defaultWorkers } from '../services/optimize/pool.js';
import { mergeOptimize, runOptimize, type OptimizeSummary, type ShardReport } from '../services/optimize/run.js';
import { RUN_MODES, type RunMode } from '../services/optimize/tasks.js';

const num = (v: number | null | undefined, digits = 3): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
const pct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? 'n/a' : `${(v * 100).toFixed(2)}%`);

export default class Optimize extends PerpkitCommand<OptimizeSummary | ShardReport> {
  static summary = 'Walk-forward optimisation: every grid cell a ledger trial, PBO and Deflated Sharpe, parameter stability, overfitting warnings, cost and scenario stress.';
  static description = `Walks forward inside the train + validation segments of a holdout split (the sealed test segment
only with --unseal-test): for every window and every grid cell, backtests the cell on the window's
training part and on its test part; chooses the best cell per window by --objective on the
training part and stitches the chosen cells' test parts into one out-of-sample equity curve.
Reports PBO (CSCV on the cells' test returns), the Deflated Sharpe of the stitched curve with the
ledger's trial count for the strategy (every cell of every window is a trial), parameter
stability (boundary optima, sharp peaks), the seed's §10.3 warning signs and §12.2 table.

--runs continuous (default) runs each cell ONCE over the whole span and slices every window's
training and test part out of that run (positions, equity and the risk controls carry across
window boundaries); --runs per-window backtests each part afresh (flat start, initial cash), about
4x slower with rolling windows. See docs/optimize.md.

--grid is a YAML/JSON mapping of parameter -> values (the built-in strategies have a default grid).
--shard k/n runs one slice of the cells (per-window: of window x cell); --merge RUN_ID combines the shards. An interrupted
run resumes when the same command is run again (finished cells are kept). Writes
<data-dir>/optimize/<run-id>/ (summary.json, cells/windows/equity Parquet; see docs/optimize.md).`;

  static examples = [
    '<%= config.bin %> optimize --strategy regime --split demo',
    '<%= config.bin %> optimize --strategy regime --split demo --grid grid.yaml --train 30d --test 10d --objective sortino --cost-stress --stress',
    '<%= config.bin %> optimize --strategy regime --split demo --shard 1/4 --run-id wf1   # on 4 machines, then:',
    '<%= config.bin %> optimize --merge wf1',
  ];

  static flags = {
    strategy: Flags.string({ description: 'Built-in strategy (regime, signal) or a module path.', default: 'regime' }),
    split: Flags.string({ description: 'Holdout split whose train + validation span is walked (perpkit split --scheme holdout).' }),
    grid: Flags.string({ description: 'YAML/JSON grid: parameter -> list of values (default: the strategy\'s built-in grid).' }),
    config: Flags.string({ description: 'YAML/JSON backtest config (engine settings and fixed strategy: parameters).' }),
    scheme: Flags.string({ description: 'Optimisation scheme.', options: ['walk-forward'], default: 'walk-forward' }),
    windows: Flags.string({ description: 'rolling (fixed-length training) or expanding (training from the start).', options: [...WINDOW_KINDS], default: OPTIMIZE_DEFAULTS.windows }),
    train: Flags.string({ description: `Training part of each window (e.g. 90d, 12h, 2w).`, default: OPTIMIZE_DEFAULTS.train }),
    test: Flags.string({ description: 'Test part of each window.', default: OPTIMIZE_DEFAULTS.test }),
    step: Flags.string({ description: 'Step between windows (default: --test, so the test parts tile the span).' }),
    purge: Flags.string({ description: "Gap between training and test: the label horizon (default: the split's longest label)." }),
    warmup: Flags.string({ description: 'Strategy warm-up before each part: its decisions are seen, no orders sent (0 for none).', default: OPTIMIZE_DEFAULTS.warmup }),
    objective: Flags.string({ description: 'What the best cell maximises on the training part.', options: [...OBJECTIVES], default: OPTIMIZE_DEFAULTS.objective }),
    runs: Flags.string({ description: 'continuous: one engine run per cell, windows are slices of it; per-window: a fresh run per window part.', options: [...RUN_MODES], default: 'continuous' }),
    workers: Flags.string({ description: 'Worker threads (default: all cores).' }),
    shard: Flags.string({ description: 'Run only slice k of n of the cells (per-window: of window x cell), e.g. 2/4; then --merge.' }),
    merge: Flags.string({ description: 'Combine the finished shards of this run id into the result.' }),
    'run-id': Flags.string({ description: 'Name of the run (default: a hash of its definition, so shards and resumes agree).' }),
    'cost-stress': Flags.boolean({ description: 'Fee tiers x slippage multiples, break-even cost, capacity, funding removed.', default: false }),
    stress: Flags.boolean({ description: 'Crisis windows in the data and injected flash crash, depeg, outage, funding spike.', default: false }),
    crisis: Flags.string({ description: 'Extra crisis window NAME=YYYY-MM-DD[:YYYY-MM-DD] (repeatable).', multiple: true }),
    'unseal-test': Flags.boolean({ description: 'Walk into the sealed test segment too (recorded in the ledger).', default: false }),
  };

  protected async execute(): Promise<OptimizeSummary | ShardReport> {
    const { flags } = await this.parse(Optimize);
    const root = this.writableDataDir(flags['data-dir']);
    const workers = parseInteger('workers', flags.workers, { min: 1, max: 256 }) ?? defaultWorkers();
    const commandLine = `perpkit ${this.argv.join(' ')}`;
    if (flags.merge !== undefined) {
      if (flags.shard !== undefined) throw usageError('--merge and --shard do not go together', { hint: 'run the shards first, then --merge RUN_ID alone' });
      const ctx = await this.context();
      return mergeOptimize({ root, run_id: flags.merge, workers, command_line: commandLine }, ctx);
    }
    if (!flags.split) throw usageError('--split is required', { hint: 'create a holdout split with "perpkit split --name NAME --scheme holdout" and pass --split NAME' });
    const shard = flags.shard !== undefined ? parseShard(flags.shard) : null;
    let grid: Grid;
    let fixed: Record<string, unknown> = {};
    if (flags.grid !== undefined) {
      if (!existsSync(flags.grid)) throw missingError(`grid file ${flags.grid} does not exist`);
      ({ grid, fixed } = parseGrid(readFileSync(flags.grid, 'utf8'), `grid file ${flags.grid}`));
    } else {
      const g = DEFAULT_GRIDS[flags.strategy];
      if (!g || flags.strategy === 'signal') {
        throw usageError(`strategy ${flags.strategy} has no default grid`, { hint: 'pass --grid grid.yaml (parameter -> list of values)' });
      }
      grid = g;
    }
    const crises = (flags.crisis ?? []).map((c) => {
      const m = /^([A-Za-z0-9_-]+)=(\d{4}-\d{2}-\d{2})(?::(\d{4}-\d{2}-\d{2}))?$/.exec(c);
      if (!m || Number.isNaN(Date.parse(m[2]!)) || (m[3] && Number.isNaN(Date.parse(m[3])))) throw usageError(`--crisis must be NAME=YYYY-MM-DD[:YYYY-MM-DD], got ${JSON.stringify(c)}`);
      return { name: m[1]!, start: m[2]!, end: m[3] ?? m[2]! };
    });
    const doc = flags.config ? readConfigFile(flags.config) : {};
    const ctx = await this.context();
    return runOptimize(
      {
        root,
        strategy: flags.strategy,
        split: flags.split,
        grid,
        fixed,
        config_doc: doc,
        objective: flags.objective as Objective,
        windows: flags.windows as WindowKind,
        train: flags.train,
        test: flags.test,
        ...(flags.step !== undefined ? { step: flags.step } : {}),
        ...(flags.purge !== undefined ? { purge: flags.purge } : {}),
        warmup: flags.warmup,
        runs: flags.runs as RunMode,
        workers,
        shard,
        ...(flags['run-id'] !== undefined ? { run_id: flags['run-id'] } : {}),
        unseal_test: flags['unseal-test'],
        cost_stress: flags['cost-stress'],
        stress: flags.stress,
        crises,
        command_line: commandLine,
      },
      ctx,
    );
  }

  protected present(r: OptimizeSummary | ShardReport): void {
    if (!('schema' in r)) {
      process.stdout.write(formatTable([{ run: r.run_id, shard: r.shard, tasks: r.tasks, done: r.done, resumed: r.resumed, next: r.merge_hint }]));
      return;
    }
    process.stdout.write(
      formatTable([
        { metric: 'run', value: r.run_id },
        { metric: 'windows x cells', value: `${r.n_windows} x ${r.n_cells} (${r.scheme.windows}, train ${r.scheme.train}, test ${r.scheme.test}, purge ${r.scheme.purge})` },
        { metric: 'OOS Sharpe', value: num(r.oos.sharpe) },
        { metric: 'OOS total return', value: pct(r.oos.total_return) },
        { metric: 'OOS max drawdown', value: pct(r.oos.max_drawdown) },
        { metric: 'PBO', value: r.pbo ? `${num(r.pbo.pbo, 2)} (P[OOS loss] ${num(r.pbo.prob_oos_loss, 2)}, ${r.pbo.blocks} blocks)` : 'n/a' },
        { metric: 'DSR', value: `${num(r.dsr.dsr)} over ${r.dsr.trials} trials of ${r.strategy.spec} (${r.dsr.passes ? 'passes' : 'does not pass'} 0.95)` },
        { metric: 'boundary optima', value: pct(r.stability.boundary_share) },
        { metric: 'outputs', value: r.dir },
      ]),
    );
    process.stdout.write('\n');
    process.stdout.write(
      formatTable(
        r.windows.map((w) => ({ window: w.window, test_start: w.test_start.slice(0, 10), cell: w.chosen_cell, params: JSON.stringify(Object.fromEntries(Object.entries(w.chosen_params).filter(([k]) => k in r.grid))), is: num(w.is_objective, 2), oos: num(w.oos_objective, 2), boundary: w.on_boundary ? 'yes' : '', peak: w.sharp_peak ? 'sharp' : '' })),
      ),
    );
    process.stdout.write('\n');
    process.stdout.write(formatTable(r.warnings.map((w) => ({ sign: w.sign, fired: w.fired ? 'WARNING' : '', detail: w.detail }))));
    process.stdout.write('\n');
    process.stdout.write(formatTable(r.expectations.map((e) => ({ metric: e.metric, value: num(e.value), class: e.class }))));
  }
}
