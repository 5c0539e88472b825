/**
 * ctx.target sizing, case by case (fixed notional 10 000 at a price of 100 = 100 units): the caps
 * (position, gross room left by the other symbols), the drawdown multiplier, lot rounding, the
 * minimum order and rebalance threshold at their boundaries, the reduce-only flag, resting orders
 * withdrawn and orders in flight counted; the regime filter's carry and cross-asset rules; the
 * strategy context's reads out of range; the result's optional fields. For the mutation run of
 * engine.ts (engine-core-4).
 */
import { describe, expect, it } from 'vitest';
import { runEngine, type EngineResult } from '../../src/engine/engine.js';
import { ST_CANCELLED, reasonCode } from '../../src/engine/orders.js';
import { mulberry32 } from '../../src/stats/random.js';
import type { Strategy, StrategyContext } from '../../src/strategies/strategy.js';
import { at, bars, decisions, flat, funding, instrument, market, plainConfig, scripted, type Ohlc } from './fixture.js';

const sizing = (o: Record<string, unknown> = {}) => ({ sizing: { mode: 'fixed_notional', notional: 10_000, max_position_pct: 100, max_gross_leverage: 100, min_order_notional: 0, rebalance_threshold: 0, ...o } });

function run(script: (ctx: StrategyContext, i: number) => void, o: { cfg?: Record<string, unknown>; times?: number[]; rows?: Ohlc[]; ins?: ReturnType<typeof instrument>[]; kind?: string; cols?: Record<string, number[]>; fund?: ReturnType<typeof funding> | null } = {}): EngineResult {
  const strat = Object.assign(scripted(script), o.kind ? { kind: o.kind } : {}) as Strategy;
  const times = o.times ?? [at(1)];
  return runEngine(
    market({
      bars: [bars(o.rows ?? flat(8)), bars(flat(8))],
      funding: [o.fund ?? null, null],
      ...(o.ins ? { instruments: o.ins } : {}),
      decisions: decisions(times, [], o.cols ?? {}),
    }),
    plainConfig({ execution: { latency_ms: 0 }, ...sizing(), ...(o.cfg ?? {}) }),
    strat,
  );
}

const qtys = (r: EngineResult): number[] => Array.from(r.orders.qty);

describe('target sizing', () => {
  it('weight x notional / price, either side', () => {
    expect(qtys(run((ctx) => ctx.target(0, 1)))).toEqual([100]);
    expect(qtys(run((ctx) => ctx.target(0, -0.5)))).toEqual([-50]);
  });

  it('ignores a symbol out of range, a weight that is not finite, and a symbol with no price yet', () => {
    expect(qtys(run((ctx) => (ctx.target(-1, 1), ctx.target(2, 1), ctx.target(0, Number.NaN), ctx.target(0, Infinity))))).toEqual([]);
    // a decision before the first bar is known (at 0 h): no price
    expect(qtys(run((ctx) => ctx.target(0, 1), { times: [at(0) - 1] }))).toEqual([]);
  });

  it('capped at max_position_pct of equity, keeping the side', () => {
    const cfg = sizing({ max_position_pct: 0.05 });
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg }))).toEqual([50]);
    expect(qtys(run((ctx) => ctx.target(0, -1), { cfg }))).toEqual([-50]);
  });

  it('capped at the gross room the other symbols leave; none left: no order', () => {
    const cfg = sizing({ max_gross_leverage: 0.08 });
    // S1 holds -30 x 100 = 3 000 of the 8 000 allowed: 5 000 left
    expect(qtys(run((ctx, i) => (i === 0 ? ctx.market(1, -30) : ctx.target(0, -1)), { cfg, times: [at(1), at(2)] }))).toEqual([-30, -50]);
    // S1 holds 9 000 (over the cap already): nothing left
    expect(qtys(run((ctx, i) => (i === 0 ? ctx.market(1, 80) : ctx.target(0, 1)), { cfg: sizing({ max_gross_leverage: 0.08 }), times: [at(1), at(2)] }))).toEqual([80]);
  });

  it('the position of the symbol itself is room: retargeting a held position is not capped by itself', () => {
    const cfg = sizing({ max_gross_leverage: 0.1 });
    // hold 100 (10 000 = the cap), then target 1 again: nothing to do; target 0.5: sell 50
    expect(qtys(run((ctx, i) => ctx.target(0, i === 2 ? 0.5 : 1), { cfg, times: [at(1), at(2), at(3)] }))).toEqual([100, -50]);
  });

  it('rounded to the lot towards zero', () => {
    const ins = [instrument('A', { lot_base: 3 }), instrument('B')];
    expect(qtys(run((ctx) => ctx.target(0, 1), { ins }))).toEqual([99]);
    expect(qtys(run((ctx) => ctx.target(0, -1), { ins }))).toEqual([-99]);
  });

  it('times the drawdown multiplier (reduced: 0.5)', () => {
    // long 1000 at 100, close 88 at 3 h: drawdown 12 % (warning 10 %): reduced; target 1 of S1 at 4 h is 50
    const rows: Ohlc[] = [...flat(2), [100, 100, 88, 88], ...flat(5, 88)];
    const cfg = { drawdown: { enabled: true, warning: 0.1, max: 0.15 } };
    expect(qtys(run((ctx, i) => (i === 0 ? ctx.market(0, 1000) : ctx.target(1, 1)), { cfg, rows, times: [at(1), at(4)] }))).toEqual([1000, 50]);
  });

  it('no order below min_order_notional; one exactly at it', () => {
    // held 100; target 1.05 wants 5 more (500)
    const t = (min: number) => qtys(run((ctx, i) => ctx.target(0, i === 0 ? 1 : 1.05), { cfg: sizing({ min_order_notional: min }), times: [at(1), at(2)] }));
    expect(t(500)).toEqual([100, expect.closeTo(5, 9)]);
    expect(t(500.01)).toEqual([100]);
  });

  it('no rebalance under the threshold of the held size on the same side; one exactly at it, and always when flipping or closing', () => {
    const t = (w: number, thr: number) => qtys(run((ctx, i) => ctx.target(0, i === 0 ? 1 : w), { cfg: sizing({ rebalance_threshold: thr }), times: [at(1), at(2)] }));
    expect(t(1.1, 0.1)).toEqual([100, expect.closeTo(10, 9)]);
    expect(t(1.09, 0.1)).toEqual([100]);
    expect(t(0.91, 0.1)).toEqual([100]);
    expect(t(-0.05, 0.5)).toEqual([100, -105]);
    expect(t(0, 2)).toEqual([100, -100]);
  });

  it('reduce-only when closing or shrinking on the same side; not when adding or flipping', () => {
    const ro = (w: number) => Array.from(run((ctx, i) => ctx.target(0, i === 0 ? 1 : w), { times: [at(1), at(2)] }).orders.reduce_only);
    expect(ro(0)).toEqual([0, 1]);
    expect(ro(0.5)).toEqual([0, 1]);
    expect(ro(1.5)).toEqual([0, 0]);
    expect(ro(-0.5)).toEqual([0, 0]);
  });

  it('withdraws resting limits (they no longer count) but counts market orders in flight', () => {
    // a buy limit of 40 far below the market rests; target 1 buys the full 100 and the limit is cancelled
    const r = run((ctx, i) => (i === 0 ? ctx.limit(0, 40, 50) : ctx.target(0, 1)), { times: [at(1), at(2)] });
    expect(qtys(r)).toEqual([40, 100]);
    expect(r.orders.status[0]).toBe(ST_CANCELLED);
    expect(r.orders.reason[0]).toBe(reasonCode('replaced'));
    // with 250 ms latency, a market buy of 30 sent in the same decision is in flight: target 1 adds 70
    const r2 = runEngine(
      market({ bars: [bars(flat(8))], decisions: decisions([at(1)]) }),
      plainConfig({ ...sizing() }),
      scripted((ctx) => (ctx.market(0, 30), ctx.target(0, 1))),
    );
    expect(Array.from(r2.orders.qty)).toEqual([30, 70]);
  });
});

describe('the regime filter in target and by strategy kind', () => {
  const rf = (o: Record<string, unknown> = {}) => ({ regime_filter: { enabled: true, vol_shutdown: 3, min_correlation: 0.3, max_funding_bps: 50, ...o } });

  it('carry: no new exposure while the last funding rate is above max_funding_bps; other kinds are not concerned', () => {
    const fund = funding([{ t: at(1), rate: 0.006, interval: 8 }]);
    const cfg = { ...rf(), funding: { missing: 'zero' } };
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg, kind: 'carry', fund, times: [at(2)] }))).toEqual([]);
    expect(qtys(run((ctx) => ctx.market(0, 1), { cfg, kind: 'carry', fund, times: [at(2)] }))).toEqual([1]);
    expect(Array.from(run((ctx) => ctx.market(0, 1), { cfg, kind: 'carry', fund, times: [at(2)] }).orders.reason)).toEqual([reasonCode('regime_filter')]);
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg, kind: 'momentum', fund, times: [at(2)] }))).toEqual([100]);
    // 50 bps exactly is allowed, and a negative rate counts by its size
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg, kind: 'carry', fund: funding([{ t: at(1), rate: 0.005, interval: 8 }]), times: [at(2)] }))).toEqual([100]);
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg, kind: 'carry', fund: funding([{ t: at(1), rate: -0.006, interval: 8 }]), times: [at(2)] }))).toEqual([]);
  });

  it('carry filtered: a held long is kept (not grown), a target on the other side goes flat', () => {
    const fund = funding([{ t: at(2) + 1, rate: 0.006, interval: 8 }]);
    const cfg = { ...rf(), funding: { missing: 'zero' } };
    // long 50 from 1 h; at 3 h the filter is on: target 1 keeps 50 (no order), target -1 closes
    expect(qtys(run((ctx, i) => ctx.target(0, i === 0 ? 0.5 : 1), { cfg, kind: 'carry', fund, times: [at(1), at(3)] }))).toEqual([50]);
    expect(qtys(run((ctx, i) => ctx.target(0, i === 0 ? 0.5 : -1), { cfg, kind: 'carry', fund, times: [at(1), at(3)] }))).toEqual([50, -50]);
    expect(qtys(run((ctx, i) => ctx.target(0, i === 0 ? 0.5 : 0.2), { cfg, kind: 'carry', fund, times: [at(1), at(3)] }))).toEqual([50, -30]);
  });

  it('cross_asset: no new exposure while |corr_btc_168| is under min_correlation; unknown correlation passes', () => {
    const cfg = rf();
    const t = (c: number, kind = 'cross_asset') => qtys(run((ctx) => ctx.target(0, 1), { cfg, kind, cols: { x: [1], corr_btc_168: [c] } }));
    expect(t(0.2)).toEqual([]);
    expect(t(-0.2)).toEqual([]);
    expect(t(0.3)).toEqual([100]);
    expect(t(-0.5)).toEqual([100]);
    expect(t(Number.NaN)).toEqual([100]);
    expect(t(0.2, 'momentum')).toEqual([100]);
    // without the column the rule is off
    expect(qtys(run((ctx) => ctx.target(0, 1), { cfg, kind: 'cross_asset', cols: { x: [0.1] } }))).toEqual([100]);
  });
});

describe('the strategy context', () => {
  it('reads: close NaN before a bar, position and pending 0 out of range, equity, a seeded uniform stream', () => {
    const seen: number[][] = [];
    const strat: Strategy = {
      name: 'x',
      onDecision(ctx) {
        seen.push([ctx.close(0), ctx.close(1), ctx.position(0), ctx.position(5), ctx.pending(0), ctx.pending(-1), ctx.pending(2), ctx.equity(), ctx.random(), ctx.random()]);
        ctx.cancel(-1);
        ctx.cancel(2);
        if (seen.length === 2) ctx.market(0, 3);
      },
    };
    runEngine(market({ bars: [bars(flat(4)), bars(flat(4, 50))], decisions: decisions([at(0) - 1, at(1), at(2)]), start: at(0) - 10 }), plainConfig({ seed: 7, execution: { latency_ms: 0 } }), strat);
    const u = mulberry32(7 ^ 0x9e3779b9);
    const r = [u(), u(), u(), u(), u(), u()];
    expect(seen).toEqual([
      [Number.NaN, Number.NaN, 0, 0, 0, 0, 0, 100_000, r[0], r[1]],
      [100, 50, 0, 0, 0, 0, 0, 100_000, r[2], r[3]],
      [100, 50, 3, 0, 0, 0, 0, 100_000, r[4], r[5]],
    ]);
  });

  it('ctx.cancel withdraws the open orders of that symbol only, market orders too', () => {
    const r = runEngine(
      market({ bars: [bars(flat(6)), bars(flat(6))], decisions: decisions([at(1)]) }),
      plainConfig({ execution: { latency_ms: 250 } }),
      scripted((ctx) => {
        ctx.market(0, 1);
        ctx.limit(1, 1, 50);
        ctx.cancel(0);
        expect(ctx.pending(0)).toBe(0);
        expect(ctx.pending(1)).toBe(1);
      }),
    );
    expect(Array.from(r.orders.reason)).toEqual([reasonCode('replaced'), reasonCode('end_of_data')]);
  });
});

describe('the result', () => {
  it('fee tier names only when an instrument has fee tiers; counters of orders and final equity', () => {
    const r = run((ctx) => ctx.market(0, 2));
    expect('fee_tier_names' in r).toBe(false);
    expect(r.counters.orders).toBe(1);
    expect(r.counters.final_equity).toBe(100_000);
    expect(r.symbols).toEqual(['S0', 'S1']);
    const tiers = [{ name: 't0', min_volume_30d: 0, maker: 0, taker: 0 }];
    const r2 = run((ctx) => ctx.market(0, 2), { ins: [instrument('A'), instrument('B', { fee_tiers: tiers })] });
    expect(r2.fee_tier_names).toEqual([[], ['t0']]);
  });
});
