/**
 * Gaps the first mutation run of order matching (engine-core-2) left: positions after fractional
 * fills on quotes and prints, the impact term with a full ADV on quotes and prints, each side's size
 * of a quote used up separately, the rounding tolerance of a large order, bars before a tape and at
 * its first print, a triggered stop waiting for a quote across bars, an order removed from the list
 * not hiding the next one, a cancel reaching the venue with the order, flattening orders resized to
 * the position when they execute.
 */
import { describe, expect, it } from 'vitest';
import { buildClock } from '../../src/engine/clock.js';
import { slippageBps, slippageParams } from '../../src/engine/costs.js';
import { Engine, runEngine, type EngineResult } from '../../src/engine/engine.js';
import { ORIGINS, ST_CANCELLED, ST_FILLED, reasonCode } from '../../src/engine/orders.js';
import type { MarketData, QuoteSeries, TradeSeries } from '../../src/engine/types.js';
import type { StrategyContext } from '../../src/strategies/strategy.js';
import { at, bars, decisions, flat, instrument, market, plainConfig, scripted, type Ohlc } from './fixture.js';

const S = 1_000_000;
const S5 = 5 * S;

/** quotes at 1 h + k s: [k, bid, ask, bidSize, askSize] */
function quotes(rows: Array<[number, number, number, number, number]>): QuoteSeries {
  const t = Float64Array.from(rows.map((r) => at(1) + r[0] * S));
  return { event_time: t, available_time: t, bid: Float64Array.from(rows.map((r) => r[1])), ask: Float64Array.from(rows.map((r) => r[2])), bid_size: Float64Array.from(rows.map((r) => r[3])), ask_size: Float64Array.from(rows.map((r) => r[4])) };
}

/** prints at 1 h + k s: [k, price, size] */
function tape(rows: Array<[number, number, number]>): TradeSeries {
  const t = Float64Array.from(rows.map((r) => at(1) + r[0] * S));
  return { event_time: t, available_time: t, price: Float64Array.from(rows.map((r) => r[1])), size: Float64Array.from(rows.map((r) => r[2])) };
}

function data(o: { q?: QuoteSeries; t?: TradeSeries; rows?: Ohlc[]; times?: number[] }): MarketData {
  const m = market({ symbols: ['A'], bars: [bars(o.rows ?? flat(6))], instruments: [instrument('A')], decisions: decisions(o.times ?? [at(1) + S5]) });
  return { ...m, ...(o.q ? { quotes: [o.q] } : {}), ...(o.t ? { trades: [o.t] } : {}) };
}

const run = (d: MarketData, script: (ctx: StrategyContext, i: number) => void, cfg = {}): EngineResult => runEngine(d, plainConfig(cfg), scripted(script));
const fills = (r: EngineResult): Array<[number, number, number]> => Array.from(r.fills.qty, (q, i) => [(r.fills.time[i]! - at(1)) / S, q, r.fills.price[i]!]);

describe('positions and costs of fractional fills', () => {
  it('quotes: a sell of 2 over two quotes leaves positions -0.5 then -2', () => {
    const q = quotes([
      [10, 99.9, 100.1, 0.5, 9],
      [20, 99.8, 100.0, 9, 9],
    ]);
    const r = run(data({ q }), (ctx) => ctx.market(0, -2));
    expect(Array.from(r.positions.qty)).toEqual([-0.5, -2]);
    expect(Array.from(r.fills.slippage_cost)).toEqual([expect.closeTo(0.05, 12), expect.closeTo(1.5 * 0.1, 12)]);
  });

  it('prints: a buy limit of 3 filled 0.2 and 2.8 leaves positions 0.2 then 3, with the slippage cost of market fills', () => {
    const t = tape([
      [10, 98, 2],
      [20, 98, 100],
    ]);
    const r = run(data({ t }), (ctx) => ctx.limit(0, 3, 99));
    expect(Array.from(r.positions.qty)).toEqual([expect.closeTo(0.2, 12), expect.closeTo(3, 12)]);
    // a market buy of 3 on a print at 100 with fixed 10 bps: 100.1, slippage cost 3 x 0.1
    const r2 = run(data({ t: tape([[10, 100, 1000]]) }), (ctx) => ctx.market(0, 3), { slippage: { mode: 'fixed', fixed_bps: 10 } });
    expect(r2.fills.price[0]).toBeCloseTo(100.1, 9);
    expect(r2.fills.slippage_cost[0]).toBeCloseTo(0.3, 9);
    expect(r2.fills.slippage_bps[0]).toBeCloseTo(10, 9);
  });
});

describe('the impact term with full windows', () => {
  // 30 hourly bars alternating 100/101 with volume 1000; sigma windows 2 and 3 bars, ADV 1 day (24 bars)
  const rows: Ohlc[] = Array.from({ length: 30 }, (_, k) => {
    const c = 100 + (k % 2);
    return [c, 110, 90, c, 1000];
  });
  const lr = (k: number) => Math.log(rows[k]![3] / rows[k - 1]![3]);
  const std = (xs: number[]) => {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
  };
  const cfg = { slippage: { mode: 'formula', half_spread_bps: 1, base_bps: 2, impact_k: 1, sigma_bars: 2, sigma_ref_bars: 3, adv_days: 1 } };
  const params = slippageParams(plainConfig(cfg).slippage);
  // decision at 26 h + 5 s: bars 0..25 known
  const sig = std([lr(24), lr(25)]);
  const ref = std([lr(23), lr(24), lr(25)]);
  let adv = 0;
  for (let k = 2; k <= 25; k++) adv += 1000 * rows[k]![3];

  it('on a quote: the formula on qty x ask, less the half-spread', () => {
    const q: QuoteSeries = { ...quotes([]), event_time: Float64Array.of(at(26) + 10 * S), available_time: Float64Array.of(at(26) + 10 * S), bid: Float64Array.of(99.9), ask: Float64Array.of(100.1), bid_size: Float64Array.of(1e6), ask_size: Float64Array.of(1e6) };
    const r = run(data({ q, rows, times: [at(26) + S5] }), (ctx) => ctx.market(0, 50), cfg);
    const extra = slippageBps(params, sig, ref, 50 * 100.1, adv, 0) - 1;
    expect(extra).toBeGreaterThan(2.5);
    expect(r.fills.price[0]).toBeCloseTo(100.1 * (1 + extra / 1e4), 9);
  });

  it('on a print: the formula on qty x print price, less the half-spread', () => {
    const t: TradeSeries = { event_time: Float64Array.of(at(26) + 10 * S), available_time: Float64Array.of(at(26) + 10 * S), price: Float64Array.of(100.5), size: Float64Array.of(1e6) };
    const r = run(data({ t, rows, times: [at(26) + S5] }), (ctx) => ctx.market(0, -50), cfg);
    const extra = slippageBps(params, sig, ref, 50 * 100.5, adv, 0) - 1;
    expect(r.fills.price[0]).toBeCloseTo(100.5 * (1 - extra / 1e4), 9);
  });
});

describe('the sizes of a quote', () => {
  it('each side is used up by its own fills: two buys of 0.6 share the ask size 1, a sell first leaves the ask size whole', () => {
    const q = quotes([
      [10, 99.9, 100.1, 1, 1],
      [20, 99.8, 100.2, 9, 9],
    ]);
    expect(fills(run(data({ q }), (ctx) => (ctx.market(0, 0.6), ctx.market(0, 0.6))))).toEqual([
      [10, 0.6, 100.1],
      [10, expect.closeTo(0.4, 12), 100.1],
      [20, expect.closeTo(0.2, 12), 100.2],
    ]);
    expect(fills(run(data({ q }), (ctx) => (ctx.market(0, -0.6), ctx.market(0, -0.6))))).toEqual([
      [10, -0.6, 99.9],
      [10, expect.closeTo(-0.4, 12), 99.9],
      [20, expect.closeTo(-0.2, 12), 99.8],
    ]);
    expect(fills(run(data({ q }), (ctx) => (ctx.market(0, -1), ctx.market(0, 1))))).toEqual([
      [10, -1, 99.9],
      [10, 1, 100.1],
    ]);
  });
});

describe('rounding of what is left', () => {
  it('an order of 1e6 + 1e-9 filled 1e6 is done (the rest is within 1e-12 of its size), not left open for another fill', () => {
    const rows: Ohlc[] = [...flat(2), [100, 100, 100, 100, 1e7], ...flat(3)];
    const r = run(data({ rows }), (ctx) => ctx.market(0, 1e6 + 1e-9), { initial_cash: 1e9 });
    expect(fills(r)).toEqual([[3600, 1e6, 100]]);
    expect(Array.from(r.orders.status)).toEqual([ST_FILLED]);
    expect(Array.from(r.orders.remaining)).toEqual([0]);
  });
});

describe('bars and the span of a tape', () => {
  it('bars before the tape execute; a bar opening at the first print does not', () => {
    const rows: Ohlc[] = [...flat(2), [100, 100, 98, 100], ...flat(5)];
    // tape from 3 h: the 2 h bar (low 98) fills a buy limit at 99
    const late: TradeSeries = { event_time: Float64Array.of(at(3), at(5)), available_time: Float64Array.of(at(3), at(5)), price: Float64Array.of(100, 100), size: Float64Array.of(10, 10) };
    expect(fills(run(data({ rows, t: late }), (ctx) => ctx.limit(0, 1, 99)))).toEqual([[3600, 1, 99]]);
    // tape from 2 h: the 2 h bar is inside the span, the prints at 100 do not fill the limit
    const from2: TradeSeries = { ...late, event_time: Float64Array.of(at(2), at(5)), available_time: Float64Array.of(at(2), at(5)) };
    expect(fills(run(data({ rows, t: from2 }), (ctx) => ctx.limit(0, 1, 99)))).toEqual([]);
  });
});

describe('a triggered stop where quotes exist', () => {
  it('waits for a quote over later bars: triggered in the 2 h bar, no fill at the 3 h bar open, filled at the 4 h + 10 s quote', () => {
    const rows: Ohlc[] = [...flat(2), [100, 103, 100, 101], ...flat(3, 101)];
    const q = quotes([
      [10, 99.9, 100.1, 9, 9],
      [3 * 3600 + 10, 100.9, 101.1, 9, 9],
    ]);
    expect(fills(run(data({ q, rows }), (ctx) => ctx.stop(0, 1, 102)))).toEqual([[3 * 3600 + 10, 1, 101.1]]);
  });
});

describe('an order removed from the list does not hide the next one', () => {
  const script = (ctx: StrategyContext) => {
    ctx.market(0, -2, true); // nothing to reduce: removed at its first chance
    ctx.market(0, 1);
  };
  it('on a bar', () => {
    expect(fills(run(data({}), script))).toEqual([[3600, 1, 100]]);
  });
  it('on a quote', () => {
    const q = quotes([
      [10, 99.9, 100.1, 9, 9],
      [20, 99.8, 100.2, 9, 9],
    ]);
    expect(fills(run(data({ q }), script))).toEqual([[10, 1, 100.1]]);
  });
  it('on a print', () => {
    const t = tape([
      [10, 100, 100],
      [20, 100.5, 100],
    ]);
    expect(fills(run(data({ t }), script))).toEqual([[10, 1, 100]]);
  });
});

describe('cancels and reduce-only', () => {
  it('a reduce-only order cancelled before it could reduce anything is cancelled for the cancel (replaced), not for reduce_only', () => {
    const r = run(data({}), (ctx) => {
      ctx.market(0, -1, true);
      ctx.cancel(0);
    });
    expect(Array.from(r.orders.status)).toEqual([ST_CANCELLED]);
    expect(Array.from(r.orders.reason)).toEqual([reasonCode('replaced')]);
  });
});

describe('flattening orders close what is held when they execute', () => {
  // a buy of 2000 at 1 h (arrives at the 1 h open), 1000 a bar (volume 10 000 x 0.1): 1000 at 1 h, 1000 at 2 h;
  // the flattening order of 2 h is sized on the 1000 held then, and closes the 2000 held when it executes
  const rows = (c1: number): Ohlc[] => [[100, 100, 100, 100, 10_000], [100, 100, c1, c1, 10_000], ...Array.from({ length: 6 }, (): Ohlc => [c1, c1, c1, c1, 10_000])];
  const dec = decisions([at(1) - 250_000]);
  const closesAll = (r: EngineResult, origin: number) => {
    expect(Array.from(r.orders.origin)).toEqual([0, origin]);
    expect(r.positions.qty[r.positions.qty.length - 1]).toBe(0);
    expect(Array.from(r.fills.qty).filter((_, i) => r.fills.order[i] === 1).reduce((a, b) => a + b, 0)).toBe(-2000);
  };

  it('kill switch (origin 2)', () => {
    const r = runEngine(market({ bars: [bars(rows(80))], decisions: dec }), plainConfig({ kill_switch: { enabled: true, daily_loss: 0.1 } }), scripted((ctx) => ctx.market(0, 2000)));
    expect(r.counters.kill_switch).toBe('daily_loss');
    closesAll(r, ORIGINS.indexOf('flatten_kill_switch'));
  });

  it('drawdown halt (origin 1)', () => {
    const r = runEngine(market({ bars: [bars(rows(80))], decisions: dec }), plainConfig({ drawdown: { enabled: true, warning: 0.05, max: 0.1 } }), scripted((ctx) => ctx.market(0, 2000)));
    closesAll(r, ORIGINS.indexOf('flatten_drawdown'));
  });

  it('flattenAll (origin 4)', () => {
    const e = new Engine(market({ bars: [bars(rows(100))], decisions: dec }), plainConfig(), scripted((ctx) => ctx.market(0, 2000)));
    const c = buildClock(e.streams());
    let i = 0;
    for (; i < c.n && c.time[i]! <= at(2); i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
    e.flattenAll();
    for (; i < c.n; i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
    const r = e.finish();
    closesAll(r, ORIGINS.indexOf('flatten_exit'));
  });

  it('a flattening order that finds the position already closed is cancelled with reason reduce_only', () => {
    // long 5 from 2 h; a sell of 5 sent at 3 h + 5 s fills at the 4 h open; flattenAll at 4 h (before that bar is
    // known) sends -5 arriving after the 4 h open: at 5 h nothing is held
    const m = market({ bars: [bars(flat(8))], decisions: decisions([at(1) + S5, at(3) + S5]) });
    const e = new Engine(m, plainConfig(), scripted((ctx, k) => ctx.market(0, k === 0 ? 5 : -5)));
    const c = buildClock(e.streams());
    let i = 0;
    for (; i < c.n && c.time[i]! <= at(4); i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
    e.flattenAll();
    for (; i < c.n; i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
    const r = e.finish();
    expect(Array.from(r.orders.origin)).toEqual([0, 0, ORIGINS.indexOf('flatten_exit')]);
    expect(Array.from(r.orders.status)).toEqual([ST_FILLED, ST_FILLED, ST_CANCELLED]);
    expect(r.orders.reason[2]).toBe(reasonCode('reduce_only'));
  });
});
