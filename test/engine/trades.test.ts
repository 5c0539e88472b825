/**
 * Golden scenarios of execution on trade prints, on a hand-made tape. Hourly flat bars at 100;
 * a decision at 1h + 5 s with 250 ms latency arrives at 1h + 5.25 s. The tape of symbol 0:
 *   1h + 3 s   100.5  size 10   (before the arrival: never used)
 *   1h + 10 s  100.8  size 4    (available 1 s later)
 *   1h + 20 s   99.0  size 20
 *   1h + 30 s   98.98 size 2
 *   4h         100    size 1    (last print: bars opening after it execute again)
 * max_volume_share 0.1: a print gives at most 0.1 x its size to the fills on it.
 */
import { describe, expect, it } from 'vitest';
import { FILL_SOURCES, runEngine } from '../../src/engine/engine.js';
import type { MarketData, TradeSeries } from '../../src/engine/types.js';
import { at, bars, decisions, flat, instrument, market, plainConfig, scripted, type Ohlc } from './fixture.js';

const S = 1_000_000;
const S5 = 5 * S;

function tape(): TradeSeries {
  const et = [at(1) + 3 * S, at(1) + 10 * S, at(1) + 20 * S, at(1) + 30 * S, at(4)];
  return {
    event_time: Float64Array.from(et),
    available_time: Float64Array.from(et.map((t, i) => (i === 1 ? t + S : t))),
    price: Float64Array.from([100.5, 100.8, 99.0, 98.98, 100]),
    size: Float64Array.from([10, 4, 20, 2, 1]),
  };
}

const ins = [instrument('A', { maker_fee: 0.0002, taker_fee: 0.0005 }), instrument('B', { maker_fee: 0.0002, taker_fee: 0.0005 })];

function data(rows: Ohlc[] = flat(6), withTape = true): MarketData {
  return {
    ...market({ bars: [bars(rows), bars(flat(6))], instruments: ins, decisions: decisions([at(1) + S5]) }),
    ...(withTape ? { trades: [tape(), null] } : {}),
  };
}

const src = (r: ReturnType<typeof runEngine>): string[] => Array.from(r.fills.source, (x) => FILL_SOURCES[x]!);

describe('execution on trade prints', () => {
  it('a market buy of 1 fills on the first prints at or after its arrival, 0.1 of each print size: 0.4 at 100.8, 0.6 at 99', () => {
    // the 1h + 3 s print precedes the arrival; the 1h + 10 s print (size 4) gives 0.4, the next (size 20) the rest
    // fees 0.4 x 100.8 x 0.0005 = 0.02016 and 0.6 x 99 x 0.0005 = 0.0297
    const r = runEngine(data(), plainConfig(), scripted((ctx) => ctx.market(0, 1)));
    expect(Array.from(r.fills.qty)).toEqual([0.4, expect.closeTo(0.6, 12)]);
    expect(Array.from(r.fills.price)).toEqual([100.8, 99]);
    expect(Array.from(r.fills.time)).toEqual([at(1) + 10 * S, at(1) + 20 * S]);
    // booked when the print became available (1 s after it printed)
    expect(r.fills.booked[0]).toBe(at(1) + 11 * S);
    expect(r.fills.fee[0]).toBeCloseTo(0.02016, 12);
    expect(r.fills.fee[1]).toBeCloseTo(0.0297, 12);
    expect(src(r)).toEqual(['trade', 'trade']);
    expect(Array.from(r.fills.maker)).toEqual([0, 0]);
  });

  it('without a tape the same order fills at the next bar open (100), source bar', () => {
    const r = runEngine(data(flat(6), false), plainConfig(), scripted((ctx) => ctx.market(0, 1)));
    expect(Array.from(r.fills.price)).toEqual([100]);
    expect(Array.from(r.fills.time)).toEqual([at(2)]);
    expect(src(r)).toEqual(['bar']);
  });

  it('liquidity one fill used is not used again: two buys of 0.3 share the 0.4 of the first print', () => {
    const r = runEngine(
      data(),
      plainConfig(),
      scripted((ctx) => {
        ctx.market(0, 0.3);
        ctx.market(0, 0.3);
      }),
    );
    expect(Array.from(r.fills.order)).toEqual([0, 1, 1]);
    expect(Array.from(r.fills.qty)).toEqual([0.3, expect.closeTo(0.1, 12), expect.closeTo(0.2, 12)]);
    expect(Array.from(r.fills.price)).toEqual([100.8, 100.8, 99]);
  });

  it('a buy limit at 99: the print at 99.00 touches it (no fill), 98.98 trades through by 2 ticks (0.2 filled at 99, maker); after the tape, bars again', () => {
    // bar 5 (opens 5h, after the last print at 4h) has a low of 98: the remaining 0.8 fills there at 99
    // maker fees: 0.2 x 99 x 0.0002 = 0.00396 and 0.8 x 99 x 0.0002 = 0.01584
    const rows: Ohlc[] = [...flat(5), [100, 100, 98, 100]];
    const r = runEngine(data(rows), plainConfig(), scripted((ctx) => ctx.limit(0, 1, 99)));
    expect(Array.from(r.fills.qty)).toEqual([expect.closeTo(0.2, 12), expect.closeTo(0.8, 12)]);
    expect(Array.from(r.fills.price)).toEqual([99, 99]);
    expect(Array.from(r.fills.time)).toEqual([at(1) + 30 * S, at(5)]);
    expect(Array.from(r.fills.maker)).toEqual([1, 1]);
    expect(r.fills.fee[0]).toBeCloseTo(0.00396, 12);
    expect(r.fills.fee[1]).toBeCloseTo(0.01584, 12);
    expect(src(r)).toEqual(['trade', 'bar']);
  });

  it('inside the span of the tape the bars do not execute: a buy limit at 98.5 with bar lows of 98 waits for the bar after the tape', () => {
    // bars 2, 3 and 4 open inside [first print, last print] = [1h + 3 s, 4h] and trade through 98.49,
    // but no print does (lowest 98.98): no fill until bar 5 (opens 5h, after the tape), at 98.5
    const rows: Ohlc[] = [flat(1)[0]!, ...Array.from({ length: 5 }, (): Ohlc => [100, 100, 98, 100])];
    const r = runEngine(data(rows), plainConfig(), scripted((ctx) => ctx.limit(0, 1, 98.5)));
    expect(Array.from(r.fills.qty)).toEqual([1]);
    expect(Array.from(r.fills.price)).toEqual([98.5]);
    expect(Array.from(r.fills.time)).toEqual([at(5)]);
    expect(src(r)).toEqual(['bar']);
  });

  it('a sell stop at 99.5 triggers on the print at 99.0 and fills at that print', () => {
    const r = runEngine(data(), plainConfig(), scripted((ctx) => ctx.stop(0, -1, 99.5)));
    expect(Array.from(r.fills.qty)).toEqual([-1]);
    expect(Array.from(r.fills.price)).toEqual([99]);
    expect(Array.from(r.fills.time)).toEqual([at(1) + 20 * S]);
  });

  it('slippage on a print: the formula less its half-spread (the print paid the spread): 5 + 3 x 1 - 5 = 3 bps', () => {
    // no completed-bar volatility yet: sigma ratio 1, no impact term. 100.8 x 1.0003 = 100.83024 for
    // the first 0.4; 99 x 1.0003 = 99.0297 for the rest
    const r = runEngine(data(), plainConfig({ slippage: { mode: 'formula', half_spread_bps: 5, base_bps: 3, impact_k: 0 } }), scripted((ctx) => ctx.market(0, 1)));
    expect(r.fills.price[0]).toBeCloseTo(100.83024, 9);
    expect(r.fills.price[1]).toBeCloseTo(99.0297, 9);
    expect(r.fills.slippage_bps[0]).toBeCloseTo(3, 9);
  });

  it('a symbol without a tape executes on its bars in the same run', () => {
    const d = { ...data(), decisions: decisions([at(1) + S5, at(1) + S5], [0, 1]) };
    const r = runEngine(d, plainConfig(), scripted((ctx) => ctx.market(ctx.symbol, 1)));
    const b = Array.from(r.fills.sym).map((s, i) => [s, src(r)[i]]);
    // symbol 0 on the prints at 1h + 10 s and 1h + 20 s, symbol 1 at its bar 2 open (2h)
    expect(b).toEqual([
      [0, 'trade'],
      [0, 'trade'],
      [1, 'bar'],
    ]);
  });
});
