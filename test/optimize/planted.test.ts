/**
 * Correctness of the optimisation on synthetic data with a known truth: one grid cell trades a
 * column with a planted edge (PBO low, that cell chosen in most windows); with no
 * effect anywhere PBO is high and the Deflated Sharpe does not pass. The stitched out-of-sample
 * curve holds only bars of the windows' test parts.
 */
import { describe, expect, it } from 'vitest';
import { buildWindows, type Grid } from '../../src/domain/optimize.js';
import { analyse, trialsOf, type RunSpec } from '../../src/services/optimize/run.js';
import { runJobs } from '../../src/services/optimize/pool.js';
import { jobsOf, type RunMode, type TaskResult } from '../../src/services/optimize/tasks.js';
import { DAY_US, HOUR_US, plantedMarket, quietConfig, T0 } from './fixture.js';

const COLS = 8;

async function optimise(planted: number, accuracy: number, seed: number, runs: RunMode = 'continuous'): Promise<{ spec: RunSpec; results: Map<number, TaskResult> }> {
  const data = plantedMarket({ days: 150, cols: COLS, planted, accuracy, seed });
  const grid: Grid = { column: Array.from({ length: COLS }, (_, c) => `sig${c}`) };
  const config = quietConfig();
  const windows = buildWindows(data.decisions.time, T0, T0 + 150 * DAY_US, { trainUs: 30 * DAY_US, testUs: 15 * DAY_US, stepUs: 15 * DAY_US, window: 'rolling', purgeUs: 2 * HOUR_US });
  const spec: RunSpec = {
    schema: 'perpkit.optimize/1',
    strategy: 'signal',
    strategy_name: 'signal',
    split: 'synthetic',
    segments: ['train', 'validation'],
    grid,
    fixed: {},
    config,
    config_doc: {},
    objective: 'sharpe',
    scheme: { kind: 'walk-forward', windows: 'rolling', train: '30d', test: '15d', step: '15d', purge: '2h', warmup: '0', runs },
    step_us: HOUR_US,
    warmup_us: 0,
    windows,
    n_cells: COLS,
    data_hashes: {},
    cost_stress: false,
    stress: false,
    crises: [],
  };
  const results = new Map<number, TaskResult>();
  const jobs = jobsOf(runs, windows.length, COLS, null);
  await runJobs(data, { runs, strategy: 'signal', fixed: {}, grid, config, windows, step_us: HOUR_US, warmup_us: 0 }, jobs, {
    workers: 1,
    onResult: (j) => {
      for (const r of j.results) results.set(r.task, r);
    },
  });
  expect(results.size).toBe(windows.length * COLS);
  return { spec, results };
}

describe('optimize on a planted edge', () => {
  it('chooses the planted cell in most windows, PBO is low, PSR significant; the stitched curve is test bars only', async () => {
    const { spec, results } = await optimise(5, 0.6, 7);
    expect(spec.windows.length).toBe(8);
    const a = analyse(spec, results, trialsOf(results, 8760));
    const hits = a.chosen.filter((c) => c === 5).length;
    expect(hits / a.chosen.length).toBeGreaterThanOrEqual(0.75);
    expect(a.pbo).not.toBeNull();
    expect(a.pbo!.pbo).toBeLessThan(0.1);
    expect(a.dsr.trials).toBe(8 * COLS);
    // significant before deflation; deflating by 64 trials (whose Sharpe variance the planted
    // cells inflate) lowers it: DSR < PSR, with a positive expected maximum Sharpe of the trials
    expect(a.dsr.psr).toBeGreaterThan(0.99);
    expect(a.dsr.expected_max_sharpe).toBeGreaterThan(0);
    expect(a.dsr.dsr).toBeLessThan(a.dsr.psr!);
    expect(a.dsr.dsr).toBeGreaterThan(0.5);
    expect(a.oos.sharpe).toBeGreaterThan(2.5);
    // the sign fires: an out-of-sample Sharpe this high is too good for crypto
    expect(a.warnings.find((w) => w.sign === 'sharpe_above_2_5')?.fired).toBe(true);
    // stitched: every bar inside its own window's test part, none in a training part or purge gap of that window, strictly increasing
    const st = a.stitched;
    expect(st.times.length).toBe(a.oos.observations);
    for (let i = 0; i < st.times.length; i++) {
      const w = spec.windows[st.window[i]!]!;
      const t = st.times[i]!;
      expect(t >= w.test[0] && t < w.test[1]).toBe(true);
      expect(t >= w.train[0] && t < w.purge[1]).toBe(false);
      if (i > 0) expect(t).toBeGreaterThan(st.times[i - 1]!);
    }
    // the stitched equity compounds the chosen cells' test returns (independent recomputation)
    let eq = 1;
    for (const r of st.rets) eq *= 1 + r;
    expect(st.equity[st.equity.length - 1]).toBeCloseTo(eq, 12);
    expect(a.oos.total_return).toBeCloseTo(eq - 1, 12);
  }, 120_000);

  it('with no effect anywhere, PBO is high and the Deflated Sharpe does not pass', async () => {
    const { spec, results } = await optimise(-1, 0.5, 11);
    const a = analyse(spec, results, trialsOf(results, 8760));
    expect(a.pbo).not.toBeNull();
    expect(a.pbo!.pbo).toBeGreaterThanOrEqual(0.4);
    expect(a.dsr.passes).toBe(false);
    expect(a.dsr.dsr === null || a.dsr.dsr < 0.95).toBe(true);
    expect(a.warnings.find((w) => w.sign === 'pbo_above_0_5')?.fired).toBe(a.pbo!.pbo > 0.5);
    expect(a.warnings.find((w) => w.sign === 'dsr_not_significant')?.fired).toBe(true);
  }, 120_000);
});
