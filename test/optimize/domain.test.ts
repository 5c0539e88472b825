/**
 * The pure parts of perpkit optimize: grids, cells and neighbours, windows from the split module
 * (property: the stitched curve never holds a bar of a training part or purge gap), shards, the
 * §10.3 signs and the §12.2 classes.
 */
import { describe, expect, it } from 'vitest';
import {
  buildWindows,
  cellCoords,
  cellParams,
  chooseCell,
  expectations,
  gridSize,
  neighbourRatio,
  neighbours,
  objectiveOf,
  onBoundary,
  type PartMetrics,
  parseGrid,
  parseShard,
  shardTasks,
  stability,
  stitch,
  warningSigns,
  type WarningInputs,
} from '../../src/domain/optimize.js';
import { PerpkitError } from '../../src/domain/errors.js';
import { mulberry32 } from '../../src/stats/random.js';

const H = 3_600_000_000;
const D = 24 * H;

describe('grids', () => {
  const g = { a: [1, 2, 3], b: ['x', 'y'], c: [true] };
  it('cells enumerate the product, last axis fastest', () => {
    expect(gridSize(g)).toBe(6);
    expect(cellParams(g, 0)).toEqual({ a: 1, b: 'x', c: true });
    expect(cellParams(g, 1)).toEqual({ a: 1, b: 'y', c: true });
    expect(cellParams(g, 5)).toEqual({ a: 3, b: 'y', c: true });
    expect(cellCoords(g, 3)).toEqual([1, 1, 0]);
  });
  it('neighbours are one step along one axis; the boundary is the ends of axes with >= 3 values', () => {
    expect(neighbours(g, 2).sort()).toEqual([0, 3, 4]);
    expect(neighbours(g, 0).sort()).toEqual([1, 2]);
    expect(onBoundary(g, 0)).toBe(true);
    expect(onBoundary(g, 2)).toBe(false); // a = 2 is interior; b has only 2 values
    expect(onBoundary(g, 5)).toBe(true);
  });
  it('neighbour ratio: best / mean of its neighbours', () => {
    const objs = [1, 1, 4, 2, 1, 1];
    expect(neighbourRatio(g, objs, 2)).toBeCloseTo(4 / ((1 + 2 + 1) / 3), 12);
  });
  it('chooseCell takes the highest objective, the lowest index on ties, never -Infinity over a number', () => {
    expect(chooseCell([0.1, 0.3, 0.3, -1])).toBe(1);
    expect(chooseCell([Number.NEGATIVE_INFINITY, -5])).toBe(1);
  });
  it('objectiveOf reads the objective, -Infinity when it is undefined (a flat part never wins)', () => {
    const m = { sharpe: 1.5, sortino: 2, calmar: null, net_return: -0.01 } as unknown as PartMetrics;
    expect(objectiveOf(m, 'sharpe')).toBe(1.5);
    expect(objectiveOf(m, 'sortino')).toBe(2);
    expect(objectiveOf(m, 'calmar')).toBe(Number.NEGATIVE_INFINITY);
    expect(objectiveOf(m, 'net_return')).toBe(-0.01);
    expect(objectiveOf({ ...m, sharpe: Number.NaN }, 'sharpe')).toBe(Number.NEGATIVE_INFINITY);
  });
  it('parseGrid reads a mapping (or grid: + strategy:) and refuses bad axes with exit 2', () => {
    expect(parseGrid('sma_fast: [10, 20]\nallow_short: [true, false]\n').grid).toEqual({ sma_fast: [10, 20], allow_short: [true, false] });
    const both = parseGrid('grid:\n  x: [1, 2]\nstrategy:\n  y: 3\n');
    expect(both).toEqual({ grid: { x: [1, 2] }, fixed: { y: 3 } });
    for (const bad of ['[1, 2]', 'x: []', 'x: [1, 1]', 'x: [{a: 1}]', ': :', 'grid: 3']) {
      let err: unknown;
      try {
        parseGrid(bad);
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(PerpkitError);
      expect((err as PerpkitError).exitCode, bad).toBe(2);
    }
  });
  it('stability: values by window, distinct count, relative range, boundary share, sharp peaks', () => {
    const s = stability({ a: [10, 20, 30] }, [0, 2, 1, 1], [true, true, false, false], [false, true, false, false]);
    expect(s.params['a']).toEqual({ values_by_window: [10, 30, 20, 20], distinct: 3, relative_range: 20 / 20 });
    expect(s.boundary_share).toBe(0.5);
    expect(s.sharp_peak_windows).toEqual([1]);
  });
});

describe('shards', () => {
  it('k/n slices partition the tasks', () => {
    const all = shardTasks(3, 7, null);
    expect(all).toEqual(Array.from({ length: 21 }, (_, i) => i));
    const parts = [1, 2, 3, 4].map((k) => shardTasks(3, 7, { k, n: 4 }));
    expect(parts.flat().sort((a, b) => a - b)).toEqual(all);
    expect(parts[1]).toEqual([1, 5, 9, 13, 17]);
  });
  it('parseShard refuses k > n, 0, garbage', () => {
    expect(parseShard('2/4')).toEqual({ k: 2, n: 4 });
    for (const bad of ['0/3', '4/3', '1', 'a/b', '1/0']) expect(() => parseShard(bad), bad).toThrow(/--shard must be k\/n/);
  });
});

describe('windows and the stitched curve (property)', () => {
  it('over random schemes, no stitched bar lies in its window\'s training part or purge gap, and the curve times strictly increase', () => {
    const rnd = mulberry32(2026);
    let violations = 0;
    let bars = 0;
    for (let trial = 0; trial < 60; trial++) {
      const from = Date.UTC(2025, 0, 1) * 1000;
      const days = 20 + Math.floor(rnd() * 120);
      const to = from + days * D;
      const stepH = [1, 4, 8][Math.floor(rnd() * 3)]!;
      const times = new Float64Array(Math.floor((days * 24) / stepH)).map((_, i) => from + i * stepH * H + 5_000_000);
      const trainUs = (2 + Math.floor(rnd() * 30)) * D;
      const testUs = (1 + Math.floor(rnd() * 15)) * D;
      const stepUs = rnd() < 0.5 ? testUs : (1 + Math.floor(rnd() * 10)) * D;
      const purgeUs = Math.floor(rnd() * 48) * H;
      const kind = rnd() < 0.5 ? 'rolling' : 'expanding';
      const ws = buildWindows(times, from, to, { trainUs, testUs, stepUs, window: kind, purgeUs });
      for (const w of ws) {
        expect(w.train[1]).toBeLessThanOrEqual(w.test[0]);
        // the purge: no training decision's label (d + purge) reaches the test start
        const lastTrain = Math.max(...Array.from(times).filter((t) => t >= w.train[0] && t < w.train[1]));
        expect(lastTrain + purgeUs).toBeLessThan(w.test[0]);
        if (kind === 'expanding') expect(w.train[0]).toBe(from);
      }
      // adversarial pieces: every decision time of the span, for every window
      const pieces = ws.map((w) => ({ window: w.window, test: w.test, times: Array.from(times), rets: Array.from(times, () => (rnd() - 0.5) * 0.01) }));
      const st = stitch(pieces);
      for (let i = 0; i < st.times.length; i++) {
        const w = ws[st.window[i]!]!;
        const t = st.times[i]!;
        if (t >= w.train[0] && t < w.test[0]) violations++;
        if (!(t >= w.test[0] && t < w.test[1])) violations++;
        if (i > 0 && !(t > st.times[i - 1]!)) violations++;
      }
      bars += st.times.length;
    }
    expect(violations).toBe(0);
    expect(bars).toBeGreaterThan(10_000);
  });
});

describe('§10.3 warning signs and §12.2 expectations', () => {
  const base: WarningInputs = {
    oos_sharpe: 1,
    oos_max_drawdown: 0.2,
    oos_years: 3,
    oos_hit_rate: 0.5,
    trend_following: true,
    is_objectives: [1, 1],
    oos_objectives: [0.8, 0.8],
    boundary_share: 0,
    param_change_share: 0,
    grid_params: 2,
    pnl_by_window: [1, 1, 1, 1, 1],
    top_day_share: 0.1,
    pbo: 0.2,
    dsr: 0.97,
  };
  const fired = (w: WarningInputs): string[] => warningSigns(w).filter((x) => x.fired).map((x) => x.sign);
  it('a clean result fires nothing, and every sign is listed', () => {
    expect(fired(base)).toEqual([]);
    expect(warningSigns(base).map((w) => w.sign)).toEqual([
      'sharpe_above_2_5',
      'max_drawdown_below_5pct',
      'hit_rate_above_60pct_trend',
      'oos_degradation',
      'boundary_optima',
      'unstable_parameters',
      'many_parameters',
      'concentrated_periods',
      'single_event_dependence',
      'pbo_above_0_5',
      'dsr_not_significant',
    ]);
  });
  it('each sign fires on its own condition, at its threshold', () => {
    expect(fired({ ...base, oos_sharpe: 2.51 })).toEqual(['sharpe_above_2_5']);
    expect(fired({ ...base, oos_sharpe: 2.5 })).toEqual([]);
    expect(fired({ ...base, oos_max_drawdown: 0.04 })).toEqual(['max_drawdown_below_5pct']);
    expect(fired({ ...base, oos_max_drawdown: 0.04, oos_years: 1 })).toEqual([]);
    expect(fired({ ...base, oos_hit_rate: 0.61 })).toEqual(['hit_rate_above_60pct_trend']);
    expect(fired({ ...base, oos_hit_rate: 0.61, trend_following: false })).toEqual([]);
    expect(fired({ ...base, oos_objectives: [0.4, 0.5] })).toEqual(['oos_degradation']);
    expect(fired({ ...base, boundary_share: 0.5 })).toEqual(['boundary_optima']);
    expect(fired({ ...base, param_change_share: 0.75 })).toEqual(['unstable_parameters']);
    expect(fired({ ...base, grid_params: 6 })).toEqual(['many_parameters']);
    expect(fired({ ...base, pnl_by_window: [10, 0.5, 0.5, 0.5, 0.5] })).toEqual(['concentrated_periods']);
    expect(fired({ ...base, top_day_share: 0.6 })).toEqual(['single_event_dependence']);
    expect(fired({ ...base, pbo: 0.51 })).toEqual(['pbo_above_0_5']);
    expect(fired({ ...base, dsr: 0.94 })).toEqual(['dsr_not_significant']);
  });
  it('classes follow the seed table', () => {
    const c = (v: Parameters<typeof expectations>[0]): string[] => expectations(v).map((e) => e.class);
    expect(c({ sharpe: 3.5, max_drawdown: 0.03, hit_rate: 0.7, annual_return: 1.5, trades_per_day: 150 })).toEqual(['unrealistic', 'unrealistic', 'unrealistic', 'unrealistic', 'unrealistic']);
    expect(c({ sharpe: 2.5, max_drawdown: 0.07, hit_rate: 0.6, annual_return: 0.7, trades_per_day: 50 })).toEqual(['suspicious', 'suspicious', 'suspicious', 'suspicious', 'suspicious']);
    expect(c({ sharpe: 1.2, max_drawdown: 0.2, hit_rate: 0.5, annual_return: 0.3, trades_per_day: 5 })).toEqual(['reasonable', 'reasonable', 'reasonable', 'reasonable', 'reasonable']);
    expect(c({ sharpe: null, max_drawdown: 0.2, hit_rate: null, annual_return: 0.05, trades_per_day: 5 })).toEqual(['n/a', 'reasonable', 'n/a', 'below reasonable', 'reasonable']);
  });
});
