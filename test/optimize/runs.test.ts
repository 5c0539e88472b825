/**
 * --runs continuous (one engine run per cell, windows sliced out of it) against --runs per-window
 * (a fresh run per window part). They differ only by what carries across a window boundary
 * (positions, equity, risk state): on a strategy that is flat around every boundary they must give
 * the same per-part returns and metrics; where positions straddle the boundaries they must not.
 */
import { describe, expect, it } from 'vitest';
import { buildWindows, type Grid, type PartMetrics, type WindowSpec } from '../../src/domain/optimize.js';
import type { MarketData } from '../../src/engine/types.js';
import { runJobs } from '../../src/services/optimize/pool.js';
import { parseBacktestConfig } from '../../src/domain/backtest.js';
import { evaluatePart, evaluateSpan } from '../../src/services/optimize/evaluate.js';
import { jobsOf, type RunMode, type TaskResult, type TaskSpec } from '../../src/services/optimize/tasks.js';
import { DAY_US, HOUR_US, plantedMarket, quietConfig, T0 } from './fixture.js';

const DAYS = 100;
const grid: Grid = { column: ['sig0', 'sig1', 'sig2'] };

function setup(): { data: MarketData; windows: WindowSpec[] } {
  const data = plantedMarket({ days: DAYS, cols: 3, planted: 1, accuracy: 0.6, seed: 3 });
  const windows = buildWindows(data.decisions.time, T0, T0 + DAYS * DAY_US, { trainUs: 30 * DAY_US, testUs: 12 * DAY_US, stepUs: 12 * DAY_US, window: 'rolling', purgeUs: 2 * HOUR_US });
  return { data, windows };
}

/** Signal 0 (flat: the strategy exits, see its entry/exit thresholds) from 4 h before to 2 h after every part boundary. */
function flatAtBoundaries(data: MarketData, windows: WindowSpec[]): MarketData {
  const bounds = windows.flatMap((w) => [w.train[0], w.train[1], w.test[0], w.test[1]]);
  const values = data.decisions.values.map((v) => Float64Array.from(v));
  let zeroed = 0;
  data.decisions.time.forEach((t, i) => {
    if (bounds.some((b) => t >= b - 4 * HOUR_US && t < b + 2 * HOUR_US)) {
      for (const v of values) v[i] = 0;
      zeroed++;
    }
  });
  expect(zeroed).toBeGreaterThan(windows.length * 4);
  return { ...data, decisions: { ...data.decisions, values } };
}

async function run(data: MarketData, windows: WindowSpec[], runs: RunMode): Promise<{ results: Map<number, TaskResult>; events: number }> {
  const spec: TaskSpec = { runs, strategy: 'signal', fixed: { entry_long: 0.5, entry_short: -0.5 }, grid, config: quietConfig(), windows, step_us: HOUR_US, warmup_us: 0 };
  const results = new Map<number, TaskResult>();
  let events = 0;
  await runJobs(data, spec, jobsOf(runs, windows.length, 3, null), {
    workers: 1,
    onResult: (j) => {
      events += j.events;
      for (const r of j.results) results.set(r.task, r);
    },
  });
  expect(results.size).toBe(windows.length * 3);
  return { results, events };
}

const KEYS = ['sharpe', 'sortino', 'net_return', 'max_drawdown', 'hit_rate', 'pnl_ratio'] as const;
function comparable(m: PartMetrics): Record<(typeof KEYS)[number] | 'trades' | 'observations', number | null> {
  return { sharpe: m.sharpe, sortino: m.sortino, net_return: m.net_return, max_drawdown: m.max_drawdown, hit_rate: m.hit_rate, pnl_ratio: m.traded_notional > 0 ? m.pnl / m.traded_notional : 0, trades: m.trades, observations: m.observations };
}

describe('optimize --runs continuous vs per-window', () => {
  it('agree part by part on a strategy flat at every window boundary; continuous takes far fewer engine events', async () => {
    const { data: raw, windows } = setup();
    expect(windows.length).toBeGreaterThanOrEqual(5);
    const data = flatAtBoundaries(raw, windows);
    const cont = await run(data, windows, 'continuous');
    const fresh = await run(data, windows, 'per-window');
    let traded = 0;
    for (const [t, a] of cont.results) {
      const b = fresh.results.get(t)!;
      expect([a.window, a.cell]).toEqual([b.window, b.cell]);
      for (const part of ['train', 'test'] as const) {
        const x = comparable(a[part]);
        const y = comparable(b[part]);
        expect(x.trades).toBe(y.trades);
        expect(x.observations).toBe(y.observations);
        for (const k of KEYS) {
          if (y[k] === null) expect(x[k]).toBeNull();
          else expect(x[k]).toBeCloseTo(y[k], 9);
        }
        traded += a[part].trades;
      }
      expect(a.test_times).toEqual(b.test_times);
      expect(a.test_rets.length).toBe(b.test_rets.length);
      a.test_rets.forEach((r, i) => expect(r).toBeCloseTo(b.test_rets[i]!, 12));
    }
    expect(traded).toBeGreaterThan(100);
    // one run per cell over the span vs two per (window, cell) over overlapping rolling windows
    expect(cont.events * 2).toBeLessThan(fresh.events);
  }, 120_000);

  it('after the kill switch fires, the next part starting later gets a fresh run (not a dead account)', async () => {
    const { data, windows } = setup();
    // a 0.5 % daily-loss kill switch fires within days at 50 % of equity per position
    const config = parseBacktestConfig({ ...JSON.parse(JSON.stringify(quietConfig())), kill_switch: { enabled: true, daily_loss: 0.005 } });
    const parts = windows.flatMap((w) => [w.train, w.test]);
    const span: [number, number] = [windows[0]!.train[0], windows.at(-1)!.test[1]];
    const params = { column: 'sig1', entry_long: 0.5, entry_short: -0.5 };
    const r = await evaluateSpan(data, config, 'signal', params, span, parts, HOUR_US, 0);
    expect(r.restarts).toBeGreaterThanOrEqual(2);
    // every part trades: none is a slice of an account killed before it started
    r.parts.forEach((p) => expect(p.metrics.trades).toBeGreaterThan(0));
    expect(r.parts.filter((p) => p.metrics.kill_switch).length).toBeGreaterThanOrEqual(r.restarts);
    // the first part (before any kill) is exactly the fresh run per-window mode gives
    const first = await evaluatePart(data, config, 'signal', params, parts[0]!, HOUR_US, 0);
    expect(r.parts[0]!.metrics).toEqual(first.metrics);
    expect(r.parts[0]!.rets).toEqual(first.rets);
  }, 120_000);

  it('differ where positions straddle the boundaries (continuous carries them; per-window starts flat)', async () => {
    const { data, windows } = setup();
    const cont = await run(data, windows, 'continuous');
    const fresh = await run(data, windows, 'per-window');
    let differ = 0;
    for (const [t, a] of cont.results) {
      const b = fresh.results.get(t)!;
      if (Math.abs(a.train.net_return - b.train.net_return) > 1e-9 || Math.abs(a.test.net_return - b.test.net_return) > 1e-9) differ++;
    }
    expect(differ).toBeGreaterThan(cont.results.size / 2);
  }, 120_000);
});
