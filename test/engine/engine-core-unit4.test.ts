/**
 * Execution on quotes and on trade prints, case by case with hand-computed prices: buys at the ask
 * and sells at the bid with separate sizes, unusable quotes skipped, unknown sizes unlimited, the
 * slippage model less its half-spread (formula) or in full (fixed), stops triggered on a bar or a
 * print filling at the next quote; sell limits and buy stops on prints, prints without a price
 * skipped. For the mutation run of engine.ts (engine-core-2).
 * One symbol, hourly flat bars at 100, a decision at 1 h + 5 s, 250 ms latency (arrival 1 h + 5.25 s).
 */
import { describe, expect, it } from 'vitest';
import { FILL_QUOTE, FILL_TRADE, runEngine, type EngineResult } from '../../src/engine/engine.js';
import type { MarketData, QuoteSeries, TradeSeries } from '../../src/engine/types.js';
import { normalGenerator } from '../../src/stats/random.js';
import type { StrategyContext } from '../../src/strategies/strategy.js';
import { at, bars, decisions, flat, instrument, market, plainConfig, scripted, type Ohlc } from './fixture.js';

const S = 1_000_000;
const S5 = 5 * S;

/** quotes at 1 h + k s: [k, bid, ask, bidSize, askSize] */
function quotes(rows: Array<[number, number, number, number, number]>): QuoteSeries {
  const t = Float64Array.from(rows.map((r) => at(1) + r[0] * S));
  return {
    event_time: t,
    available_time: t,
    bid: Float64Array.from(rows.map((r) => r[1])),
    ask: Float64Array.from(rows.map((r) => r[2])),
    bid_size: Float64Array.from(rows.map((r) => r[3])),
    ask_size: Float64Array.from(rows.map((r) => r[4])),
  };
}

/** prints at 1 h + k s: [k, price, size] */
function tape(rows: Array<[number, number, number]>): TradeSeries {
  const t = Float64Array.from(rows.map((r) => at(1) + r[0] * S));
  return { event_time: t, available_time: t, price: Float64Array.from(rows.map((r) => r[1])), size: Float64Array.from(rows.map((r) => r[2])) };
}

function data(o: { q?: QuoteSeries; t?: TradeSeries; rows?: Ohlc[]; fee?: number }): MarketData {
  const m = market({ symbols: ['A'], bars: [bars(o.rows ?? flat(5))], instruments: [instrument('A', { taker_fee: o.fee ?? 0 })], decisions: decisions([at(1) + S5]) });
  return { ...m, ...(o.q ? { quotes: [o.q] } : {}), ...(o.t ? { trades: [o.t] } : {}) };
}

function run(d: MarketData, script: (ctx: StrategyContext) => void, cfg = {}): EngineResult {
  return runEngine(d, plainConfig(cfg), scripted(script));
}

const fills = (r: EngineResult): Array<[number, number, number]> => Array.from(r.fills.qty, (q, i) => [(r.fills.time[i]! - at(1)) / S, q, r.fills.price[i]!]);

describe('market orders on quotes', () => {
  it('a buy takes the ask size and a sell the bid size of the same quote, each on its own side', () => {
    const q = quotes([[10, 99.9, 100.1, 1, 1]]);
    const r = run(data({ q }), (ctx) => {
      ctx.market(0, 1);
      ctx.market(0, -1);
    });
    expect(fills(r)).toEqual([
      [10, 1, 100.1],
      [10, -1, 99.9],
    ]);
    // recorded against the mid 100: 10 bps each way; the quote is the fill's range
    expect(Array.from(r.fills.ref_price)).toEqual([100, 100]);
    expect(r.fills.slippage_bps[0]).toBeCloseTo(10, 9);
    expect(r.fills.slippage_bps[1]).toBeCloseTo(10, 9);
    expect(r.fills.slippage_cost[1]).toBeCloseTo(0.1, 9);
    expect(Array.from(r.fills.bar_low)).toEqual([99.9, 99.9]);
    expect(Array.from(r.fills.bar_high)).toEqual([100.1, 100.1]);
    expect(Array.from(r.fills.source)).toEqual([FILL_QUOTE, FILL_QUOTE]);
  });

  it('a sell larger than the bid size takes it and waits for the next quote', () => {
    const q = quotes([
      [10, 99.9, 100.1, 0.5, 9],
      [20, 99.8, 100.0, 9, 9],
    ]);
    expect(fills(run(data({ q }), (ctx) => ctx.market(0, -2)))).toEqual([
      [10, -0.5, 99.9],
      [20, -1.5, 99.8],
    ]);
  });

  it('skips quotes without a positive bid or with the ask below the bid; a locked quote (ask = bid) is used', () => {
    const q = quotes([
      [10, 0, 100.1, 9, 9],
      [20, 100.2, 100.1, 9, 9],
      [30, 100.3, 100.3, 9, 9],
    ]);
    expect(fills(run(data({ q }), (ctx) => ctx.market(0, 1)))).toEqual([[30, 1, 100.3]]);
  });

  it('unknown sizes (NaN) do not cap the fill', () => {
    const q = quotes([[10, 99.9, 100.1, Number.NaN, Number.NaN]]);
    expect(fills(run(data({ q }), (ctx) => ctx.market(0, 300)))).toEqual([[10, 300, 100.1]]);
    expect(fills(run(data({ q }), (ctx) => ctx.market(0, -300)))).toEqual([[10, -300, 99.9]]);
  });

  it('pays the taker fee on the fill price', () => {
    const q = quotes([[10, 99.9, 100.1, 9, 9]]);
    const r = run(data({ q, fee: 0.001 }), (ctx) => ctx.market(0, 2));
    expect(r.fills.fee[0]).toBeCloseTo(2 * 100.1 * 0.001, 12);
    expect(r.fills.fee_rate[0]).toBe(0.001);
    expect(r.fills.maker[0]).toBe(0);
  });

  it('slippage: fixed bps on top of the touch; the formula less its half-spread (the quote already paid it)', () => {
    const q = quotes([[10, 99.9, 100.1, 9, 9]]);
    // fixed 2 bps: 100.1 x 1.0002
    expect(run(data({ q }), (ctx) => ctx.market(0, 1), { slippage: { mode: 'fixed', fixed_bps: 2 } }).fills.price[0]).toBeCloseTo(100.1 * 1.0002, 9);
    // formula without a full window: half-spread 5 + base 3 x 1 - 5 = 3 bps; a sell 3 bps under the bid
    const f = { slippage: { mode: 'formula', half_spread_bps: 5, base_bps: 3 } };
    expect(run(data({ q }), (ctx) => ctx.market(0, 1), f).fills.price[0]).toBeCloseTo(100.1 * 1.0003, 9);
    expect(run(data({ q }), (ctx) => ctx.market(0, -1), f).fills.price[0]).toBeCloseTo(99.9 * 0.9997, 9);
  });

  it('with noise, the first draw of the seeded normal scales the formula, and the extra over the half-spread is never negative', () => {
    const q = quotes([[10, 99.9, 100.1, 9, 9]]);
    // pick a seed whose first draw g < 0 and a noise making (5 + 3) x (1 + noise g) < 5: extra max(0, ..) = 0
    let seed = 1;
    while (normalGenerator(seed)() > -0.5) seed++;
    const g = normalGenerator(seed)();
    const noise = 0.5 / -g; // 1 + noise g = 0.5: 8 x 0.5 = 4 < 5
    const f = { seed, slippage: { mode: 'formula', half_spread_bps: 5, base_bps: 3, noise } };
    expect(run(data({ q }), (ctx) => ctx.market(0, 1), f).fills.price[0]).toBe(100.1);
    // noise 0.1 x g: 8 x (1 + 0.1 g) - 5 bps
    const f2 = { seed, slippage: { mode: 'formula', half_spread_bps: 5, base_bps: 3, noise: 0.1 } };
    expect(run(data({ q }), (ctx) => ctx.market(0, 1), f2).fills.price[0]).toBeCloseTo(100.1 * (1 + (8 * (1 + 0.1 * g) - 5) / 1e4), 9);
  });

  it('a stop triggered on a bar fills at the next quote, not at the bar', () => {
    // bar 2 (2 h to 3 h, known at 3 h) has a high of 103: the buy stop at 102 triggers at 3 h; a quote at 2 h + 10 s
    // came before the bar was known (unused: the stop had not triggered), the next is at 3 h + 10 s
    const rows: Ohlc[] = [...flat(2), [100, 103, 100, 101], ...flat(2, 101)];
    const q = quotes([
      [10, 99.9, 100.1, 9, 9],
      [3600 + 10, 101.9, 102.1, 9, 9],
      [7200 + 10, 102.4, 102.6, 9, 9],
    ]);
    const r = run(data({ q, rows }), (ctx) => ctx.stop(0, 1, 102));
    expect(fills(r)).toEqual([[7210, 1, 102.6]]);
    expect(Array.from(r.fills.source)).toEqual([FILL_QUOTE]);
  });

  it('a market order waits for the first quote after its arrival even when bars come first', () => {
    // the 2 h bar (known at 3 h) opens after the arrival; the only usable quote is at 3 h + 10 s
    const q = quotes([
      [1, 99.9, 100.1, 9, 9],
      [7200 + 10, 99.8, 100.2, 9, 9],
    ]);
    const r = run(data({ q }), (ctx) => ctx.market(0, 1));
    expect(fills(r)).toEqual([[7210, 1, 100.2]]);
  });

  it('limits still fill on bars where quotes exist', () => {
    const rows: Ohlc[] = [...flat(2), [100, 100, 98, 99], ...flat(2, 99)];
    const q = quotes([[10, 99.9, 100.1, 9, 9]]);
    expect(fills(run(data({ q, rows }), (ctx) => ctx.limit(0, 1, 99)))).toEqual([[3600, 1, 99]]);
  });
});

describe('orders on trade prints', () => {
  it('a sell limit fills on a print one tick above it (at its price, maker), not on a print at it', () => {
    const t = tape([
      [10, 101, 50],
      [20, 101.01, 50],
    ]);
    const r = run(data({ t }), (ctx) => ctx.limit(0, -1, 101));
    expect(fills(r)).toEqual([[20, -1, 101]]);
    expect(Array.from(r.fills.maker)).toEqual([1]);
    expect(Array.from(r.fills.source)).toEqual([FILL_TRADE]);
  });

  it('a buy stop triggers on a print at it and fills at that print', () => {
    const t = tape([
      [10, 100.5, 50],
      [20, 101, 50],
      [30, 101.5, 50],
    ]);
    expect(fills(run(data({ t }), (ctx) => ctx.stop(0, 1, 101)))).toEqual([[20, 1, 101]]);
  });

  it('a sell stop does not trigger on a print above it', () => {
    const t = tape([
      [10, 100.5, 50],
      [20, 99.5, 50],
    ]);
    expect(fills(run(data({ t }), (ctx) => ctx.stop(0, -1, 100)))).toEqual([[20, -1, 99.5]]);
  });

  it('prints without a positive price are skipped; unknown sizes do not cap', () => {
    const t = tape([
      [10, 0, 50],
      [20, 100.2, Number.NaN],
    ]);
    expect(fills(run(data({ t }), (ctx) => ctx.market(0, 500)))).toEqual([[20, 500, 100.2]]);
  });

  it('where quotes exist too, market orders fill at the quotes, and a stop triggered on a print waits for the next quote', () => {
    const t = tape([
      [10, 100, 50],
      [20, 101, 50],
    ]);
    const q = quotes([
      [15, 99.9, 100.1, 9, 9],
      [25, 100.9, 101.1, 9, 9],
    ]);
    expect(fills(run({ ...data({ t }), quotes: [q] }, (ctx) => ctx.market(0, 1)))).toEqual([[15, 1, 100.1]]);
    expect(fills(run({ ...data({ t }), quotes: [q] }, (ctx) => ctx.stop(0, 1, 101)))).toEqual([[25, 1, 101.1]]);
  });

  it('the volume share of a print is shared: once used up, the next order waits for the next print', () => {
    const t = tape([
      [10, 100, 10],
      [20, 100, 10],
    ]);
    const r = run(data({ t }), (ctx) => {
      ctx.market(0, 1);
      ctx.market(0, 1);
    });
    expect(fills(r)).toEqual([
      [10, 1, 100],
      [20, 1, 100],
    ]);
    expect(Array.from(r.fills.order)).toEqual([0, 1]);
  });
});
