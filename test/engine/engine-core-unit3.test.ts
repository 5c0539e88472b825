/**
 * Order matching on bars, case by case with hand-computed prices (no slippage, no fees): stops
 * (trigger at the level inclusive, gaps fill at the open), limits (penetration in ticks, a bar that
 * traded through the whole limit fills at its worst price), the volume share shared by the orders
 * of one bar, unknown volume, arrival exactly at a bar's open, cancels and the universe boundary at
 * a bar's open, reduce-only orders. For the mutation run of engine.ts (engine-core-2).
 * Every scenario: one symbol, hourly bars, a decision at 1 h + 5 s, 250 ms latency: the orders arrive
 * at 1 h + 5.25 s, so the first bar that can fill them opens at 2 h (row 2).
 */
import { describe, expect, it } from 'vitest';
import { runEngine, type EngineResult } from '../../src/engine/engine.js';
import { ST_CANCELLED, ST_FILLED, reasonCode } from '../../src/engine/orders.js';
import type { StrategyContext } from '../../src/strategies/strategy.js';
import { at, bars, decisions, flat, instrument, market, plainConfig, scripted, type Ohlc } from './fixture.js';

const S5 = 5_000_000;
const LAT = 250_000;

function run(rows: Ohlc[], script: (ctx: StrategyContext, i: number) => void, times = [at(1) + S5], cfg = {}, ins = instrument('A')): EngineResult {
  return runEngine(market({ symbols: ['A'], bars: [bars(rows)], instruments: [ins], decisions: decisions(times) }), plainConfig(cfg), scripted(script));
}

const fills = (r: EngineResult): Array<[number, number, number]> => Array.from(r.fills.qty, (q, i) => [(r.fills.time[i]! - at(0)) / 3_600_000_000, q, r.fills.price[i]!]);

describe('stops on bars', () => {
  it('a buy stop triggers when the high reaches it (inclusive) and fills at the stop; not when the high stays below', () => {
    const rows: Ohlc[] = [...flat(2), [100, 102, 99, 101], [101, 104, 100, 103], ...flat(2)];
    expect(fills(run(rows, (ctx) => ctx.stop(0, 1, 103)))).toEqual([[3, 1, 103]]);
    expect(fills(run(rows, (ctx) => ctx.stop(0, 1, 102)))).toEqual([[2, 1, 102]]);
    expect(fills(run(rows, (ctx) => ctx.stop(0, 1, 104.5)))).toEqual([]);
  });

  it('a sell stop triggers when the low reaches it (inclusive) and fills at the stop', () => {
    const rows: Ohlc[] = [...flat(2), [100, 102, 99, 101], [101, 104, 97, 98], ...flat(2)];
    expect(fills(run(rows, (ctx) => ctx.stop(0, -1, 99)))).toEqual([[2, -1, 99]]);
    expect(fills(run(rows, (ctx) => ctx.stop(0, -1, 98)))).toEqual([[3, -1, 98]]);
    expect(fills(run(rows, (ctx) => ctx.stop(0, -1, 96)))).toEqual([]);
  });

  it('a gap through the stop fills at the open: a buy stop at 101 on a bar opening at 105, a sell stop at 97 on one opening at 95', () => {
    const up: Ohlc[] = [...flat(2), [105, 106, 104, 105], ...flat(2, 105)];
    expect(fills(run(up, (ctx) => ctx.stop(0, 2, 101)))).toEqual([[2, 2, 105]]);
    const down: Ohlc[] = [...flat(2), [95, 96, 94, 95], ...flat(2, 95)];
    expect(fills(run(down, (ctx) => ctx.stop(0, -2, 97)))).toEqual([[2, -2, 95]]);
  });

  it('a triggered stop stays triggered: capped by the volume share, the rest fills at the next bar open although the price came back', () => {
    // volume 10 x share 0.1 = 1 per bar: 1 at the stop in bar 2, 1 at the open of bar 3 (100), where no high reaches 102
    const rows: Ohlc[] = [...flat(2), [100, 102, 99, 101, 10], [100, 100, 100, 100, 10], ...flat(2)];
    const r = run(rows, (ctx) => ctx.stop(0, 2, 102));
    expect(fills(r)).toEqual([
      [2, 1, 102],
      [3, 1, 100],
    ]);
    expect(Array.from(r.fills.maker)).toEqual([0, 0]);
  });
});

describe('limits on bars', () => {
  // tick 0.5 x 2 ticks: the bar must trade 1.0 through the limit
  const ins = instrument('A', { tick_size: 0.5 });
  const cfg = { execution: { limit_penetration_ticks: 2 } };
  const rows: Ohlc[] = [...flat(2), [100, 102, 99, 101], ...flat(3, 101)];

  it('a buy limit fills when the low is a whole penetration below it; a sell limit when the high is one above it', () => {
    expect(fills(run(rows, (ctx) => ctx.limit(0, 1, 100), undefined, cfg, ins))).toEqual([[2, 1, 100]]);
    expect(fills(run(rows, (ctx) => ctx.limit(0, 1, 99.5), undefined, cfg, ins))).toEqual([]);
    expect(fills(run(rows, (ctx) => ctx.limit(0, -1, 101), undefined, cfg, ins))).toEqual([[2, -1, 101]]);
    expect(fills(run(rows, (ctx) => ctx.limit(0, -1, 101.5), undefined, cfg, ins))).toEqual([]);
    const r = run(rows, (ctx) => ctx.limit(0, -1, 101), undefined, cfg, ins);
    expect(Array.from(r.fills.maker)).toEqual([1]);
    expect(Array.from(r.fills.ref_price)).toEqual([101]);
  });

  it('a bar that traded through the whole limit fills it at the bar\'s worst price for us: a buy at 105 at the high 102, a sell at 95 at the low 99', () => {
    expect(fills(run(rows, (ctx) => ctx.limit(0, 1, 105), undefined, cfg, ins))).toEqual([[2, 1, 102]]);
    expect(fills(run(rows, (ctx) => ctx.limit(0, -1, 95), undefined, cfg, ins))).toEqual([[2, -1, 99]]);
  });
});

describe('the volume share of a bar', () => {
  it('is shared by the orders filling on the bar, in order: 60 and 40 of 100 in bar 2, the last 20 in bar 3', () => {
    const rows: Ohlc[] = [...flat(2), [100, 100, 100, 100, 1000], [100, 100, 100, 100, 1000], ...flat(2)];
    const r = run(rows, (ctx) => {
      ctx.market(0, 60);
      ctx.market(0, 60);
    });
    expect(fills(r)).toEqual([
      [2, 60, 100],
      [2, 40, 100],
      [3, 20, 100],
    ]);
    expect(Array.from(r.fills.order)).toEqual([0, 1, 1]);
    expect(Array.from(r.orders.status)).toEqual([ST_FILLED, ST_FILLED]);
    expect(Array.from(r.orders.remaining)).toEqual([0, 0]);
  });

  it('is unlimited when the bar volume is unknown (NaN)', () => {
    const rows: Ohlc[] = [...flat(2), [100, 100, 100, 100, Number.NaN], ...flat(2)];
    expect(fills(run(rows, (ctx) => ctx.market(0, 2000)))).toEqual([[2, 2000, 100]]);
  });

  it('a partial fill leaves the rest open with its remaining size (an order still open at the end is cancelled)', () => {
    const rows: Ohlc[] = [...flat(2), [100, 100, 100, 100, 100], [100, 100, 100, 100, 0]];
    const r = run(rows, (ctx) => ctx.market(0, 25));
    expect(fills(r)).toEqual([[2, 10, 100]]);
    expect(Array.from(r.orders.remaining)).toEqual([15]);
    expect(Array.from(r.orders.status)).toEqual([ST_CANCELLED]);
    expect(Array.from(r.orders.reason)).toEqual([reasonCode('end_of_data')]);
  });
});

describe('arrival, cancels and the universe at a bar open', () => {
  it('an order arriving exactly at a bar open fills in that bar', () => {
    const rows: Ohlc[] = [...flat(2), [102, 102, 102, 102], ...flat(2, 102)];
    // decision at 2 h - 250 ms: arrival at 2 h, the open of bar 2
    expect(fills(run(rows, (ctx) => ctx.market(0, 1), [at(2) - LAT]))).toEqual([[2, 1, 102]]);
    // 1 µs later it waits for bar 3
    expect(fills(run(rows, (ctx) => ctx.market(0, 1), [at(2) - LAT + 1]))).toEqual([[3, 1, 102]]);
  });

  it('a cancel reaching the venue exactly at a bar open removes the order before that bar (reason replaced)', () => {
    const rows: Ohlc[] = [...flat(3), [100, 100, 90, 100], ...flat(2)];
    const script = (ctx: StrategyContext, i: number): void => {
      if (i === 0) ctx.limit(0, 1, 95);
      else ctx.cancel(0);
    };
    const r = run(rows, script, [at(1) + S5, at(3) - LAT]);
    expect(fills(r)).toEqual([]);
    expect(Array.from(r.orders.status)).toEqual([ST_CANCELLED]);
    expect(Array.from(r.orders.reason)).toEqual([reasonCode('replaced')]);
    // a cancel 1 µs later is too late: the limit fills in bar 3
    expect(fills(run(rows, script, [at(1) + S5, at(3) - LAT + 1]))).toEqual([[3, 1, 95]]);
  });

  it('an order accepted inside the universe is cancelled at a bar opening at valid_to, and counted', () => {
    const rows: Ohlc[] = [...flat(2), [100, 100, 90, 100], ...flat(2)];
    const r = run(rows, (ctx) => ctx.limit(0, 1, 95), undefined, {}, instrument('A', { valid_to: at(2) }));
    expect(fills(r)).toEqual([]);
    expect(Array.from(r.orders.status)).toEqual([ST_CANCELLED]);
    expect(Array.from(r.orders.reason)).toEqual([reasonCode('outside_universe')]);
    expect(r.counters.outside_universe).toBe(1);
    // valid_to 1 µs later: the bar at 2 h is inside, the limit fills
    expect(fills(run(rows, (ctx) => ctx.limit(0, 1, 95), undefined, {}, instrument('A', { valid_to: at(2) + 1 })))).toEqual([[2, 1, 95]]);
  });
});

describe('reduce-only orders', () => {
  const rows: Ohlc[] = flat(8);

  it('a reduce-only sell larger than the long is cut to the position; it never opens a short', () => {
    const r = run(rows, (ctx, i) => (i === 0 ? ctx.market(0, 5) : ctx.market(0, -8, true)), [at(1) + S5, at(3) + S5]);
    expect(fills(r)).toEqual([
      [2, 5, 100],
      [4, -5, 100],
    ]);
    expect(Array.from(r.orders.qty)).toEqual([5, -8]);
    expect(Array.from(r.orders.status)).toEqual([ST_FILLED, ST_FILLED]);
  });

  it('a reduce-only sell smaller than the long keeps its size', () => {
    const r = run(rows, (ctx, i) => (i === 0 ? ctx.market(0, 5) : ctx.market(0, -3, true)), [at(1) + S5, at(3) + S5]);
    expect(fills(r)).toEqual([
      [2, 5, 100],
      [4, -3, 100],
    ]);
  });

  it('a reduce-only order on the side of the position, or with no position, is cancelled (reason reduce_only)', () => {
    const same = run(rows, (ctx, i) => (i === 0 ? ctx.market(0, 5) : ctx.market(0, 2, true)), [at(1) + S5, at(3) + S5]);
    expect(fills(same)).toEqual([[2, 5, 100]]);
    expect(Array.from(same.orders.status)).toEqual([ST_FILLED, ST_CANCELLED]);
    expect(same.orders.reason[1]).toBe(reasonCode('reduce_only'));
    const none = run(rows, (ctx) => ctx.market(0, -2, true));
    expect(fills(none)).toEqual([]);
    expect(Array.from(none.orders.status)).toEqual([ST_CANCELLED]);
    expect(none.orders.reason[0]).toBe(reasonCode('reduce_only'));
  });

  it('an order that arrives after the open of the last bar never executes: cancelled at the end of data', () => {
    // the only bar after the decision opens before the arrival: the order never executes
    const r = run(flat(3), (ctx) => ctx.market(0, 1), [at(2) + S5]);
    expect(fills(r)).toEqual([]);
    expect(r.orders.status[0]).toBe(ST_CANCELLED);
    expect(r.orders.reason[0]).toBe(reasonCode('end_of_data'));
  });
});
