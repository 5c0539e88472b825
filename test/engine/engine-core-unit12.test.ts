/**
 * Gaps of the engine-core-4 mutation run (engine.ts: the regime filter, submit, target, the strategy context):
 * the filter off when disabled, the vol shutdown with a reference window of zero volatility and at exactly
 * vol_shutdown, the correlation as the first decision column, the mark price over the last close (and the
 * close while no mark is known), a flip of equal size is no new exposure, the gross check with the symbol's own
 * position, the caps' 1e-9 and 1e-12 tolerances to the last bit, a bracket allowing exactly the configured leverage, one kill for rejects after the kill, -1 for a
 * rejected order, target leaving resting orders alone when it cannot size, target 0 closing without volatility,
 * target's cancel taking effect after the latency, a flip never held back by the rebalance threshold,
 * ctx.symbols.
 */
import { describe, expect, it } from 'vitest';
import { runEngine, type EngineResult } from '../../src/engine/engine.js';
import { reasonCode } from '../../src/engine/orders.js';
import type { MarketData, TradeSeries } from '../../src/engine/types.js';
import type { Strategy, StrategyContext } from '../../src/strategies/strategy.js';
import { at, bars, decisions, flat, funding, instrument, market, plainConfig, scripted, type Ohlc } from './fixture.js';

const S = 1_000_000;
const sizing = (o: Record<string, unknown> = {}) => ({ sizing: { mode: 'fixed_notional', notional: 10_000, max_position_pct: 100, max_gross_leverage: 100, min_order_notional: 0, rebalance_threshold: 0, ...o } });

interface RunOpts {
  cfg?: Record<string, unknown>;
  times?: number[];
  rows?: Ohlc[];
  mark?: MarketData['mark'];
  ins?: ReturnType<typeof instrument>[];
  kind?: string;
  cols?: Record<string, number[]>;
  fund?: ReturnType<typeof funding> | null;
  start?: number;
  trades?: TradeSeries;
}

function run(script: (ctx: StrategyContext, i: number) => void, o: RunOpts = {}): EngineResult {
  const strat = Object.assign(scripted(script), o.kind ? { kind: o.kind } : {}) as Strategy;
  const m = market({
    bars: [bars(o.rows ?? flat(8)), bars(flat(8))],
    funding: [o.fund ?? null, null],
    ...(o.mark ? { mark: o.mark } : {}),
    ...(o.ins ? { instruments: o.ins } : {}),
    ...(o.start !== undefined ? { start: o.start } : {}),
    decisions: decisions(o.times ?? [at(1)], [], o.cols ?? {}),
  });
  return runEngine(o.trades ? { ...m, trades: [o.trades, null] } : m, plainConfig({ execution: { latency_ms: 0 }, ...sizing(), ...(o.cfg ?? {}) }), strat);
}

const qtys = (r: EngineResult): number[] => Array.from(r.orders.qty);
const reasons = (r: EngineResult): number[] => Array.from(r.orders.reason);

describe('the regime filter', () => {
  const rf = (o: Record<string, unknown> = {}) => ({ regime_filter: { enabled: true, vol_shutdown: 3, min_correlation: 0.3, max_funding_bps: 50, ...o } });

  it('disabled, it holds nothing back (a carry strategy with the funding rate far above max_funding_bps)', () => {
    const fund = funding([{ t: at(1), rate: 0.006, interval: 8 }]);
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg: { ...rf({ enabled: false }), funding: { missing: 'zero' } }, kind: 'carry', fund, times: [at(2)] }))).toEqual([100]);
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg: { ...rf(), funding: { missing: 'zero' } }, kind: 'carry', fund, times: [at(2)] }))).toEqual([]);
  });

  it('no vol shutdown while the reference window has zero volatility (the ratio is unknown), one when it has some', () => {
    // closes 100 200 100 200 100 100 100: log returns L -L L -L 0 0 (exact): sigma over 4 > 0, sigma_ref over 2 = 0
    const rows: Ohlc[] = [100, 200, 100, 200, 100, 100, 100, 100].map((p) => [p, p, p, p] as Ohlc);
    const cfg = (ref: number) => ({ ...rf(), slippage: { mode: 'none', sigma_bars: 4, sigma_ref_bars: ref } });
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg: cfg(2), rows, times: [at(7)] }))).toEqual([100]);
    // over 6 returns the reference is not 0: the ratio sqrt((2/3) / (4/5)) = 0.91 shuts down at vol_shutdown 0.9
    const six = (v: number) => ({ ...rf({ vol_shutdown: v }), slippage: { mode: 'none', sigma_bars: 4, sigma_ref_bars: 6 } });
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg: six(0.9), rows, times: [at(7)] }))).toEqual([]);
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg: six(0.92), rows, times: [at(7)] }))).toEqual([100]);
  });

  it('the vol shutdown takes a ratio above vol_shutdown, not one equal to it', () => {
    // sigma and sigma_ref over the same 3 returns: the ratio is exactly 1 (last close 105)
    const rows: Ohlc[] = [100, 110, 95, 105, 100, 100, 100, 100].map((p) => [p, p, p, p] as Ohlc);
    const cfg = (v: number) => ({ ...rf({ vol_shutdown: v }), slippage: { mode: 'none', sigma_bars: 3, sigma_ref_bars: 3 } });
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg: cfg(1), rows, times: [at(4)] }))).toEqual([10_000 / 105]);
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg: cfg(0.999), rows, times: [at(4)] }))).toEqual([]);
  });

  it('cross_asset: corr_btc_168 as the first decision column is used', () => {
    const t = (c: number) => qtys(run((ctx) => ctx.target(0, 1), { cfg: rf(), kind: 'cross_asset', cols: { corr_btc_168: [c] } }));
    expect(t(0.2)).toEqual([]);
    expect(t(0.5)).toEqual([100]);
  });

  it('a flip to the same size on the other side is no new exposure: not held back', () => {
    const fund = funding([{ t: at(2) + 1, rate: 0.006, interval: 8 }]);
    const r = run((ctx, i) => ctx.market(0, i === 0 ? 100 : -200), { cfg: { ...rf(), funding: { missing: 'zero' } }, kind: 'carry', fund, times: [at(1), at(3)] });
    expect(qtys(r)).toEqual([100, -200]);
    expect(reasons(r)).toEqual([0, 0]);
    expect(r.fills.qty.length).toBe(2);
    // one unit more is new exposure
    const r2 = run((ctx, i) => ctx.market(0, i === 0 ? 100 : -201), { cfg: { ...rf(), funding: { missing: 'zero' } }, kind: 'carry', fund, times: [at(1), at(3)] });
    expect(reasons(r2)).toEqual([0, reasonCode('regime_filter')]);
  });
});

describe('the price used for sizing', () => {
  it('is the mark price once one is known, else the last close', () => {
    const mark = [bars(flat(8, 125)), null];
    expect(qtys(run((ctx) => ctx.target(0, 1), { mark, times: [at(2)] }))).toEqual([80]);
    // a mark series that starts at 3 h: at 2 h the last close (100) is used
    const late = [bars(flat(5, 125), 0, 3_600_000_000, at(3)), null];
    expect(qtys(run((ctx) => ctx.target(0, 1), { mark: late, times: [at(2)] }))).toEqual([100]);
  });
});

describe('submit', () => {
  it("the gross check counts the symbol's own position once: adding to it up to the cap is accepted", () => {
    // cap 25 000; hold 100 x 100 = 10 000, buy 100 more: gross after 20 000
    const r = run((ctx) => ctx.market(0, 100), { cfg: sizing({ max_gross_leverage: 0.25 }), times: [at(1), at(2)] });
    expect(reasons(r)).toEqual([0, 0]);
    const r2 = run((ctx, i) => ctx.market(0, i === 0 ? 100 : 151), { cfg: sizing({ max_gross_leverage: 0.25 }), times: [at(1), at(2)] });
    expect(reasons(r2)).toEqual([0, reasonCode('leverage')]);
  });

  it('the leverage caps include their 1e-9 tolerance to the last bit; one step more is rejected', () => {
    // price 128 (a power of two): qty x 128 is exactly the tolerated cap pct x equity x (1 + 1e-9)
    const rows = flat(8, 128);
    const x = 0.05 * 100_000 * (1 + 1e-9);
    const over = x * (1 + 2 ** -52);
    const t = (cfg: Record<string, unknown>, notional: number) => reasons(run((ctx) => ctx.market(0, notional / 128), { cfg: sizing(cfg), rows }));
    expect(t({ max_position_pct: 0.05 }, x)).toEqual([0]);
    expect(t({ max_position_pct: 0.05 }, over)).toEqual([reasonCode('leverage')]);
    expect(t({ max_gross_leverage: 0.05 }, x)).toEqual([0]);
    expect(t({ max_gross_leverage: 0.05 }, over)).toEqual([reasonCode('leverage')]);
  });

  it('a size change within 1e-12 of the held size is no new exposure', () => {
    const fund = funding([{ t: at(2) + 1, rate: 0.006, interval: 8 }]);
    const cfg = { regime_filter: { enabled: true, max_funding_bps: 50 }, funding: { missing: 'zero' } };
    const step = 100 + 1e-12 - 100;
    const r = run((ctx, i) => ctx.market(0, i === 0 ? 100 : step), { cfg, kind: 'carry', fund, times: [at(1), at(3)] });
    expect(reasons(r)).toEqual([0, 0]);
    const r2 = run((ctx, i) => ctx.market(0, i === 0 ? 100 : 2 * step), { cfg, kind: 'carry', fund, times: [at(1), at(3)] });
    expect(reasons(r2)).toEqual([0, reasonCode('regime_filter')]);
  });

  it("a bracket whose max leverage equals the configured leverage accepts the order", () => {
    const tiers = [
      { max_notional: 10_000, max_leverage: 50, mmr: 0.01, cum: 0 },
      { max_notional: 100_000, max_leverage: 20, mmr: 0.025, cum: 150 },
    ];
    const t = (lev: number) => reasons(run((ctx) => ctx.market(0, 200), { cfg: { margin: { leverage: lev } }, ins: [instrument('A', { margin_tiers: tiers }), instrument('B')] }));
    expect(t(20)).toEqual([0]);
    expect(t(21)).toEqual([reasonCode('leverage')]);
  });

  it('returns -1 for a rejected order; the kill switch fires once, however many rejects follow in the decision', () => {
    const ids: number[] = [];
    const r = run(
      (ctx) => {
        for (let k = 0; k < 4; k++) ids.push(ctx.market(0, 1));
      },
      { cfg: { kill_switch: { enabled: true, max_consecutive_rejects: 2 } }, ins: [instrument('A', { valid_from: at(5) }), instrument('B')] },
    );
    expect(ids).toEqual([-1, -1, -1, -1]);
    expect(r.events.filter((e) => e.kind === 'kill_switch')).toHaveLength(1);
    // outside_universe is checked first, so the orders after the kill keep that reason
    expect(reasons(r)).toEqual([1, 1, 1, 1]);
    expect(r.counters.kill_switch).not.toBeNull();
  });
});

describe('target', () => {
  it('with no price yet, leaves the resting orders of the symbol alone', () => {
    const r = run((ctx) => (ctx.limit(0, 1, 50), ctx.target(0, 1)), { times: [at(0) - 1], start: at(0) - 10 });
    expect(qtys(r)).toEqual([1]);
    expect(reasons(r)).toEqual([reasonCode('end_of_data')]);
  });

  it('vol_target without a full volatility window: no order and resting orders left alone; weight 0 still closes', () => {
    const cfg = sizing({ mode: 'vol_target', vol_bars: 24, target_vol: 0.5 });
    const r = run((ctx) => (ctx.limit(0, 1, 50), ctx.target(0, 1)), { cfg, times: [at(1)] });
    expect(reasons(r)).toEqual([reasonCode('end_of_data')]);
    const r2 = run((ctx, i) => (i === 0 ? ctx.market(0, 10) : ctx.target(0, 0)), { cfg, times: [at(1), at(2)] });
    expect(qtys(r2)).toEqual([10, -10]);
  });

  it('withdraws resting orders from the arrival time on: a print during the latency still fills the limit', () => {
    // a buy limit at 99 rests from 1 h + 5 s; target at 1 h + 10 s (250 ms latency); a print through it (98) at
    // 1 h + 10.1 s fills it; the market order of 100 (the limit no longer counts) fills on the later print and bar
    const t = Float64Array.of(at(1) + 10.1 * S, at(1) + 20 * S);
    const trades: TradeSeries = { event_time: t, available_time: t, price: Float64Array.of(98, 100), size: Float64Array.of(100, 100) };
    const r = run((ctx, i) => (i === 0 ? ctx.limit(0, 1, 99) : ctx.target(0, 1)), { cfg: { execution: { latency_ms: 250 } }, trades, times: [at(1) + 5 * S, at(1) + 10 * S] });
    expect(Array.from(r.fills.qty)).toEqual([1, 10, 90]);
    expect(Array.from(r.fills.price)).toEqual([99, 100, 100]);
    expect(Array.from(r.orders.reason)).toEqual([0, 0]);
  });

  it('a flip to the other side is never held back by the rebalance threshold', () => {
    const t = (w: number, thr: number) => qtys(run((ctx, i) => ctx.target(0, i === 0 ? 1 : w), { cfg: sizing({ rebalance_threshold: thr }), times: [at(1), at(2)] }));
    expect(t(-0.05, 2)).toEqual([100, -105]);
  });
});

describe('the strategy context', () => {
  it('names the symbols', () => {
    let seen: readonly string[] = [];
    run((ctx) => {
      seen = ctx.symbols;
    });
    expect(seen).toEqual(['S0', 'S1']);
  });
});
