/**
 * Decisions and the checks of submit(), case by case: decisions only in [start, end), orders the
 * engine refuses without booking (size 0 or not finite, a symbol out of range, a limit or stop
 * price <= 0), extra latency, the universe boundary, each reject reason and its order (universe,
 * kill switch, halted, regime filter, leverage by gross and by position, margin) with the caps
 * exactly reached, pending orders counting in the position, reducing orders never capped, and
 * the kill on repeated rejects. For the mutation run of engine.ts (engine-core-4).
 * Flat bars at 100, equity 100 000, no latency unless said.
 */
import { describe, expect, it } from 'vitest';
import { buildClock } from '../../src/engine/clock.js';
import { Engine, runEngine, type EngineResult } from '../../src/engine/engine.js';
import { ST_FILLED, ST_REJECTED } from '../../src/engine/orders.js';
import type { Strategy, StrategyContext } from '../../src/strategies/strategy.js';
import { at, bars, decisions, flat, instrument, market, plainConfig, scripted, type Ohlc } from './fixture.js';

function run(script: (ctx: StrategyContext, i: number) => void, o: { cfg?: Record<string, unknown>; times?: number[]; syms?: number[]; n?: number; rows?: Ohlc[]; ins?: ReturnType<typeof instrument>[]; start?: number; end?: number } = {}): EngineResult & { calls: number } {
  const nSym = o.ins?.length ?? 2;
  const strat = scripted(script);
  const r = runEngine(
    market({
      bars: Array.from({ length: nSym }, () => bars(o.rows ?? flat(o.n ?? 8))),
      ...(o.ins ? { instruments: o.ins } : {}),
      decisions: decisions(o.times ?? [at(1)], o.syms ?? []),
      ...(o.start !== undefined ? { start: o.start } : {}),
      ...(o.end !== undefined ? { end: o.end } : {}),
    }),
    plainConfig({ execution: { latency_ms: 0 }, ...(o.cfg ?? {}) }),
    strat,
  );
  return Object.assign(r, { calls: strat.calls });
}

const reasons = (r: EngineResult): string[] => Array.from(r.orders.reason, (x) => ['', 'outside_universe', 'halted', 'kill_switch', 'leverage', 'margin', 'reduce_only', 'replaced', 'end_of_data', 'regime_filter', 'min_size'][x]!);

describe('decisions', () => {
  it('run only in [start, end): the strategy is called at 2 h and 3 h of 1..4 h, and counted', () => {
    const seen: number[] = [];
    const r = run((ctx) => seen.push(ctx.time), { times: [at(1), at(2), at(3), at(4)], start: at(2), end: at(4) });
    expect(seen).toEqual([at(2), at(3)]);
    expect(r.counters.decisions).toBe(2);
  });

  it('see their own symbol and row: feature(c) of the row, NaN for a column out of range', () => {
    const seen: Array<[number, number, number, number]> = [];
    const strat: Strategy = { name: 'x', onDecision: (ctx) => void seen.push([ctx.symbol, ctx.feature(0), ctx.feature(1), ctx.feature(-1)]) };
    runEngine(market({ bars: [bars(flat(4)), bars(flat(4))], decisions: decisions([at(1), at(2)], [1, 0], { f: [7, 8] }) }), plainConfig(), strat);
    expect(seen).toEqual([
      [1, 7, Number.NaN, Number.NaN],
      [0, 8, Number.NaN, Number.NaN],
    ]);
  });
});

describe('orders refused without booking', () => {
  it('size 0, NaN or infinite, a symbol out of range, a limit or stop price <= 0: -1 and no order', () => {
    const ids: number[] = [];
    const r = run((ctx) => {
      ids.push(ctx.market(0, 0), ctx.market(0, Number.NaN), ctx.market(0, Infinity), ctx.market(-1, 1), ctx.market(2, 1));
      ids.push(ctx.limit(0, 1, 0), ctx.limit(0, 1, -5), ctx.stop(0, 1, 0), ctx.stop(0, -1, -5));
      ids.push(ctx.limit(0, 1, 99), ctx.stop(0, 1, 101), ctx.market(1, 1, true));
    });
    expect(ids).toEqual([-1, -1, -1, -1, -1, -1, -1, -1, -1, 0, 1, 2]);
    expect(r.counters.orders).toBe(3);
    expect(Array.from(r.orders.type)).toEqual([1, 2, 0]);
    expect(Array.from(r.orders.reduce_only)).toEqual([0, 0, 1]);
    expect(Array.from(r.orders.price)).toEqual([99, 101, Number.NaN]);
    expect(r.counters.rejected).toBe(0);
  });
});

describe('latency', () => {
  it('extra latency (paper: measured compute time) is added to the configured latency', () => {
    const m = market({ bars: [bars(flat(4))], decisions: decisions([at(1)]) });
    const e = new Engine(m, plainConfig({ execution: { latency_ms: 250 } }), scripted((ctx) => ctx.market(0, 1)));
    e.extraLatencyUs = 1000;
    const c = buildClock(e.streams());
    for (let i = 0; i < c.n; i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
    const r = e.finish();
    expect(Array.from(r.orders.created)).toEqual([at(1)]);
    expect(Array.from(r.orders.arrival)).toEqual([at(1) + 251_000]);
  });
});

describe('reject reasons', () => {
  it('universe: rejected at valid_to and before valid_from, accepted at valid_from', () => {
    const ins = [instrument('A', { valid_from: at(2), valid_to: at(3) })];
    const r = run((ctx) => ctx.market(0, 1), { ins, times: [at(1), at(2), at(3)] });
    expect(Array.from(r.orders.status)).toEqual([ST_REJECTED, ST_FILLED, ST_REJECTED]);
    expect(reasons(r)).toEqual(['outside_universe', '', 'outside_universe']);
    expect(r.counters.outside_universe).toBe(2);
    expect(r.counters.rejected).toBe(2);
  });

  it('gross leverage: exactly at the cap is accepted, one unit more rejected; the other symbols count', () => {
    const cfg = { sizing: { max_gross_leverage: 2, max_position_pct: 100 } };
    expect(reasons(run((ctx) => ctx.market(0, 2000), { cfg }))).toEqual(['']);
    expect(reasons(run((ctx) => ctx.market(0, 2001), { cfg }))).toEqual(['leverage']);
    // 1500 of S1 held: 500 more of S0 fits, 501 not; a short counts by its size
    expect(reasons(run((ctx, i) => (i === 0 ? ctx.market(1, -1500) : ctx.market(0, 500)), { cfg, times: [at(1), at(2)] }))).toEqual(['', '']);
    expect(reasons(run((ctx, i) => (i === 0 ? ctx.market(1, -1500) : ctx.market(0, 501)), { cfg, times: [at(1), at(2)] }))).toEqual(['', 'leverage']);
  });

  it('position cap: exactly max_position_pct of equity is accepted; pending orders count in the position', () => {
    const cfg = { sizing: { max_gross_leverage: 100, max_position_pct: 0.5 } };
    expect(reasons(run((ctx) => ctx.market(0, -500), { cfg }))).toEqual(['']);
    expect(reasons(run((ctx) => ctx.market(0, -501), { cfg }))).toEqual(['leverage']);
    // two orders of 300 in one decision: the second would make 600 with the first still pending
    expect(reasons(run((ctx) => (ctx.market(0, 300), ctx.market(0, 300)), { cfg }))).toEqual(['', 'leverage']);
  });

  it('an order reducing the position is never capped', () => {
    const cfg = { sizing: { max_gross_leverage: 100, max_position_pct: 0.5 } };
    // long 500 at 100, then the price doubles (cap 0.5 x equity 150 000 = 75 000 < 100 000 held): selling 100 is accepted
    const rows: Ohlc[] = [...flat(2), ...flat(6, 200)];
    const r = run((ctx, i) => ctx.market(0, i === 0 ? 500 : i === 1 ? -100 : 1), { cfg, rows, times: [at(1), at(4), at(5)] });
    expect(reasons(r)).toEqual(['', '', 'leverage']);
  });

  it('margin: the initial margin of the added size must fit in the free equity', () => {
    // leverage 1: 1000 at 100 uses all 100 000; one unit more is refused
    const cfg = { margin: { leverage: 1 }, sizing: { max_gross_leverage: 100, max_position_pct: 100 } };
    expect(reasons(run((ctx) => ctx.market(0, 1000), { cfg }))).toEqual(['']);
    expect(reasons(run((ctx) => ctx.market(0, 1001), { cfg }))).toEqual(['margin']);
    // 600 held uses 60 000: 400 more fit, 401 not
    expect(reasons(run((ctx, i) => ctx.market(0, i === 0 ? 600 : 400), { cfg, times: [at(1), at(2)] }))).toEqual(['', '']);
    expect(reasons(run((ctx, i) => ctx.market(0, i === 0 ? 600 : 401), { cfg, times: [at(1), at(2)] }))).toEqual(['', 'margin']);
  });

  it('halted and in cooldown: orders adding exposure are refused (also of another symbol)', () => {
    // long 1000 at 100; the close falls to 80 at 3 h (20 % drawdown, max 15 %): halted, flattened at 4 h
    const rows: Ohlc[] = [...flat(2), [100, 100, 80, 80], ...flat(6, 80)];
    const cfg = { drawdown: { enabled: true, warning: 0.1, max: 0.15, cooldown_hours: 24 } };
    const r = run((ctx, i) => (i === 0 ? ctx.market(0, 1000) : i === 1 ? ctx.market(0, 1) : ctx.market(1, -1)), { cfg, rows, times: [at(1), at(3), at(6)] });
    // order 1 is the flattening order (origin 1) sent at 3 h before the decision; then the +1 buy (halted), then -1 of S1 (cooldown, adds)
    expect(reasons(r)).toEqual(['', '', 'halted', 'halted']);
  });

  it('kill switch: after a kill on repeated rejects, the next order of the same decision is refused with reason kill_switch', () => {
    const cfg = { kill_switch: { enabled: true, max_consecutive_rejects: 2 }, sizing: { max_position_pct: 0.5, max_gross_leverage: 100 } };
    const r = run(
      (ctx) => {
        ctx.market(0, 600);
        ctx.market(0, 600);
        ctx.market(0, 1);
      },
      { cfg, times: [at(1), at(2)] },
    );
    expect(reasons(r).slice(0, 3)).toEqual(['leverage', 'leverage', 'kill_switch']);
    expect(r.counters.kill_switch).toBe('repeated_rejects');
    expect(r.events.find((e) => e.kind === 'kill_switch')!.detail).toBe('repeated_rejects: 2 orders rejected in a row (last: leverage); flattening and stopping');
    expect(r.calls).toBe(1);
  });

  it('an accepted order resets the count of rejects in a row', () => {
    const cfg = { kill_switch: { enabled: true, max_consecutive_rejects: 2 }, sizing: { max_position_pct: 0.5, max_gross_leverage: 100 } };
    const r = run(
      (ctx) => {
        ctx.market(0, 600);
        ctx.market(0, 1);
        ctx.market(0, 600);
      },
      { cfg },
    );
    expect(reasons(r)).toEqual(['leverage', '', 'leverage']);
    expect(r.counters.kill_switch).toBeNull();
  });

  it('with the kill switch disabled, rejects in a row never kill', () => {
    const cfg = { kill_switch: { enabled: false, max_consecutive_rejects: 1 }, sizing: { max_position_pct: 0.5, max_gross_leverage: 100 } };
    const r = run((ctx) => (ctx.market(0, 600), ctx.market(0, 600)), { cfg });
    expect(r.counters.kill_switch).toBeNull();
    expect(r.counters.rejected).toBe(2);
  });
});

describe('the regime filter on new orders', () => {
  const rf = (o: Record<string, unknown>) => ({ regime_filter: { enabled: true, vol_shutdown: 3, min_correlation: 0.3, max_funding_bps: 50, ...o } });
  // 0.1 % moves, then 24 bars of 5 % moves: sigma_24 / sigma_168 about sqrt(168 / 24) = 2.6 (> vol_shutdown 2); calm: about 1
  const calm = (n: number): Ohlc[] =>
    Array.from({ length: n }, (_, k) => {
      const c = 100 * (1 + 0.001 * (k % 2));
      return [c, c, c, c];
    });

  it('refuses new exposure when the short volatility is more than vol_shutdown times the reference one; reducing passes', () => {
    const wild: Ohlc[] = [
      ...calm(170),
      ...Array.from({ length: 25 }, (_, k): Ohlc => {
        const c = 100 * (1 + 0.05 * (k % 2));
        return [c, c, c, c];
      }),
    ];
    const r = run((ctx, i) => (i === 0 ? ctx.market(0, 10) : ctx.market(0, i === 1 ? 1 : -1)), { cfg: rf({ vol_shutdown: 2 }), rows: wild, times: [at(100), at(195), at(195)] });
    // the sell is accepted (no bar after it: cancelled at the end of data)
    expect(reasons(r)).toEqual(['', 'regime_filter', 'end_of_data']);
    // the calm market passes; so does the wild one with vol_shutdown 3 (accepted: cancelled at the end of data)
    expect(reasons(run((ctx, i) => ctx.market(0, i === 0 ? 10 : 1), { cfg: rf({ vol_shutdown: 2 }), rows: calm(195), times: [at(100), at(195)] }))).toEqual(['', 'end_of_data']);
    expect(reasons(run((ctx, i) => ctx.market(0, i === 0 ? 10 : 1), { cfg: rf({ vol_shutdown: 3 }), rows: wild, times: [at(100), at(195)] }))).toEqual(['', 'end_of_data']);
  });
});
