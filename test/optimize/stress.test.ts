/**
 * Stress scenarios injected into a copy of the data (the original untouched), and the scenario
 * table: baseline, crisis windows inside the data (user-added here), the four injected ones.
 */
import { describe, expect, it } from 'vitest';
import { injectScenario, stressScenarios } from '../../src/services/optimize/stress.js';
import { silentLogger } from '../../src/domain/context.js';
import type { ServiceContext } from '../../src/domain/context.js';
import { DAY_US, HOUR_US, plantedMarket, quietConfig, T0 } from './fixture.js';

describe('stress scenarios', () => {
  const data = plantedMarket({ days: 30, cols: 2, planted: 0, accuracy: 0.6, seed: 3 });
  const t0 = T0 + 10 * DAY_US;
  const k0 = 10 * 24; // index of the bar opening at t0
  it('flash crash: -25% over 15 min with a wick to -30% and 10x volume, then 20% lower; the original is untouched', () => {
    const before = data.bars[0]!.close.slice();
    const { data: d } = injectScenario(data, 'flash_crash', t0);
    const b = d.bars[0]!;
    // 1h bars: the bar opening at t0 is the crash bar
    expect(b.close[k0]! / before[k0]!).toBeCloseTo(1 - 0.25 * Math.min(1, 60_000_000 / (15 * 60_000_000)), 12);
    expect(b.low[k0]! / data.bars[0]!.low[k0]!).toBeCloseTo(0.7, 12);
    expect(b.volume[k0]).toBe(data.bars[0]!.volume[k0]! * 10);
    expect(b.close[k0 + 5]! / before[k0 + 5]!).toBeCloseTo(0.8, 12);
    expect(b.close[k0 - 1]).toBe(before[k0 - 1]);
    expect(Array.from(data.bars[0]!.close)).toEqual(Array.from(before));
  });
  it('outage: 6 hours without bars or decisions, then a -5% gap; depeg: +1/0.95 for a day; funding spike with no prints says so', () => {
    const { data: d } = injectScenario(data, 'outage', t0);
    expect(d.bars[0]!.open_time.length).toBe(data.bars[0]!.open_time.length - 6);
    expect(Array.from(d.bars[0]!.open_time).some((t) => t >= t0 && t < t0 + 6 * HOUR_US)).toBe(false);
    expect(Array.from(d.decisions.time).some((t) => t >= t0 && t < t0 + 6 * HOUR_US)).toBe(false);
    expect(d.decisions.time.length).toBe(data.decisions.time.length - 6);
    const i = Array.from(d.bars[0]!.open_time).indexOf(t0 + 6 * HOUR_US);
    expect(d.bars[0]!.open[i]! / data.bars[0]!.open[k0 + 6]!).toBeCloseTo(0.95, 12);
    const dp = injectScenario(data, 'depeg', t0).data.bars[0]!;
    expect(dp.close[k0 + 23]! / data.bars[0]!.close[k0 + 23]!).toBeCloseTo(1 / 0.95, 12);
    expect(dp.close[k0 + 24]).toBe(data.bars[0]!.close[k0 + 24]);
    expect(injectScenario(data, 'funding_spike', t0).note).toMatch(/no funding prints/);
  });
  it('the table: baseline, the crisis windows inside the data, then the four injected scenarios', async () => {
    const ctx = { log: silentLogger, signal: new AbortController().signal } as unknown as ServiceContext;
    const rows = await stressScenarios(data, quietConfig(), 'signal', { column: 'sig0' }, [T0 + 2 * DAY_US, T0 + 28 * DAY_US], HOUR_US, 0, [{ name: 'inside', start: '2025-01-20', end: '2025-01-21' }, { name: 'outside', start: '2024-01-01', end: '2024-01-02' }], ctx);
    expect(rows.map((r) => [r.scenario, r.kind])).toEqual([
      ['unstressed', 'baseline'],
      ['inside', 'crisis'],
      ['flash_crash', 'injected'],
      ['depeg', 'injected'],
      ['outage', 'injected'],
      ['funding_spike', 'injected'],
    ]);
    const inside = rows[1]!;
    expect([inside.start, inside.end]).toEqual(['2025-01-20T00:00:00.000000Z', '2025-01-22T00:00:00.000000Z']);
    for (const r of rows.slice(2)) expect(r.baseline_pnl).toBe(rows[0]!.pnl);
    // the crash moves the result (the planted column trades every hour)
    expect(rows[2]!.pnl).not.toBe(rows[0]!.pnl);
  }, 60_000);
});

describe('cost stress', () => {
  it('break-even: a round-trip cost equal to it (as fixed slippage) leaves about zero net return; tiers and multiples tabled', async () => {
    const { costStress } = await import('../../src/services/optimize/stress.js');
    const { evaluatePart } = await import('../../src/services/optimize/evaluate.js');
    const data = plantedMarket({ days: 40, cols: 1, planted: 0, accuracy: 0.56, seed: 5 });
    const ctx = { log: silentLogger, signal: new AbortController().signal } as unknown as ServiceContext;
    const span: [number, number] = [T0 + 2 * DAY_US, T0 + 38 * DAY_US];
    const cfg = quietConfig();
    const r = await costStress(data, cfg, 'signal', { column: 'sig0' }, span, HOUR_US, 0, ctx);
    expect(r.rows).toHaveLength(10 * 4);
    expect(new Set(r.rows.map((x) => x.fee_tier)).size).toBe(10);
    // no fees, no slippage, no funding in the base run: no cost, gross edge = break-even
    expect(r.summary.round_trip_cost_bps).toBe(0);
    expect(r.summary.gross_edge_per_trade_bps).toBeCloseTo(r.summary.break_even_bps!, 9);
    expect(r.summary.break_even_bps).toBeGreaterThan(0);
    const base = await evaluatePart(data, cfg, 'signal', { column: 'sig0' }, span, HOUR_US);
    const be = r.summary.break_even_bps!;
    const at = async (bps: number): Promise<number> =>
      (await evaluatePart(data, { ...cfg, slippage: { ...cfg.slippage, mode: 'fixed', fixed_bps: bps / 2 } }, 'signal', { column: 'sig0' }, span, HOUR_US)).metrics.net_return;
    const atBe = await at(be);
    expect(Math.abs(atBe)).toBeLessThan(0.15 * Math.abs(base.metrics.net_return));
    expect(await at(be * 0.5)).toBeGreaterThan(0);
    expect(await at(be * 1.5)).toBeLessThan(0);
    // capacity rows at 1x, 10x, 100x; funding removed equals with funding here (there is none)
    expect(r.capacity.map((c) => c.multiple)).toEqual([1, 10, 100]);
    expect(r.funding.pnl_without_funding).toBeCloseTo(r.funding.pnl_with_funding, 6);
  }, 60_000);
});
