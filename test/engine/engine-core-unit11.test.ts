/**
 * More gaps of the engine-core-2 run (order matching): slippage noise on bar and print fills, a
 * sell's slippage capped at the bar low, no slippage on limit fills, prints and quotes during an
 * order's latency, a quote showing size 0, a triggered stop filling on a later print back under its
 * level, limits and stops exactly at their level on prints, fixed slippage on prints in full.
 */
import { describe, expect, it } from 'vitest';
import { runEngine, type EngineResult } from '../../src/engine/engine.js';
import type { MarketData, QuoteSeries, TradeSeries } from '../../src/engine/types.js';
import { normalGenerator } from '../../src/stats/random.js';
import type { StrategyContext } from '../../src/strategies/strategy.js';
import { at, bars, decisions, flat, instrument, market, plainConfig, scripted, type Ohlc } from './fixture.js';

const S = 1_000_000;
const S5 = 5 * S;

function tape(rows: Array<[number, number, number]>): TradeSeries {
  const t = Float64Array.from(rows.map((r) => at(1) + r[0] * S));
  return { event_time: t, available_time: t, price: Float64Array.from(rows.map((r) => r[1])), size: Float64Array.from(rows.map((r) => r[2])) };
}

function quotes(rows: Array<[number, number, number, number, number]>): QuoteSeries {
  const t = Float64Array.from(rows.map((r) => at(1) + r[0] * S));
  return { event_time: t, available_time: t, bid: Float64Array.from(rows.map((r) => r[1])), ask: Float64Array.from(rows.map((r) => r[2])), bid_size: Float64Array.from(rows.map((r) => r[3])), ask_size: Float64Array.from(rows.map((r) => r[4])) };
}

function data(o: { q?: QuoteSeries; t?: TradeSeries; rows?: Ohlc[]; tick?: number }): MarketData {
  const m = market({ symbols: ['A'], bars: [bars(o.rows ?? flat(6))], instruments: [instrument('A', { tick_size: o.tick ?? 0.01 })], decisions: decisions([at(1) + S5]) });
  return { ...m, ...(o.q ? { quotes: [o.q] } : {}), ...(o.t ? { trades: [o.t] } : {}) };
}

const run = (d: MarketData, script: (ctx: StrategyContext) => void, cfg = {}): EngineResult => runEngine(d, plainConfig(cfg), scripted(script));
const fills = (r: EngineResult): Array<[number, number, number]> => Array.from(r.fills.qty, (q, i) => [(r.fills.time[i]! - at(1)) / S, q, r.fills.price[i]!]);

describe('slippage on bars and prints', () => {
  let seed = 1;
  while (normalGenerator(seed)() < 0.5) seed++;
  const g = normalGenerator(seed)();
  // formula without full windows: half-spread 1 + base 2 = 3 bps, times 1 + 0.5 g
  const cfg = { seed, slippage: { mode: 'formula', half_spread_bps: 1, base_bps: 2, noise: 0.5 } };

  it('noise scales a bar fill by the first normal draw', () => {
    const rows: Ohlc[] = [...flat(2), [100, 110, 90, 100], ...flat(3)];
    const r = run(data({ rows }), (ctx) => ctx.market(0, 1), cfg);
    expect(r.fills.price[0]).toBeCloseTo(100 * (1 + (3 * (1 + 0.5 * g)) / 1e4), 9);
  });

  it('noise scales a print fill (the formula less the half-spread)', () => {
    const r = run(data({ t: tape([[10, 100, 100]]) }), (ctx) => ctx.market(0, 1), cfg);
    expect(r.fills.price[0]).toBeCloseTo(100 * (1 + (3 * (1 + 0.5 * g) - 1) / 1e4), 9);
  });

  it('fixed slippage on a print is paid in full (no half-spread taken off)', () => {
    const r = run(data({ t: tape([[10, 100, 100]]) }), (ctx) => ctx.market(0, 1), { slippage: { mode: 'fixed', fixed_bps: 2, half_spread_bps: 1 } });
    expect(r.fills.price[0]).toBeCloseTo(100.02, 9);
  });

  it("a sell's slippage is capped at the bar low", () => {
    const rows: Ohlc[] = [...flat(2), [100, 101, 99.99, 100], ...flat(3)];
    const r = run(data({ rows }), (ctx) => ctx.market(0, -1), { slippage: { mode: 'fixed', fixed_bps: 5 } });
    expect(fills(r)).toEqual([[3600, -1, 99.99]]);
    expect(r.fills.slippage_bps[0]).toBeCloseTo(1, 6);
  });

  it('limit fills take no slippage', () => {
    const rows: Ohlc[] = [...flat(2), [100, 100, 98, 99], ...flat(3)];
    const r = run(data({ rows }), (ctx) => ctx.limit(0, 1, 99), { slippage: { mode: 'fixed', fixed_bps: 5 } });
    expect(fills(r)).toEqual([[3600, 1, 99]]);
    expect(Array.from(r.fills.slippage_bps)).toEqual([0]);
  });
});

describe('prints and quotes during the latency', () => {
  it('a print between the decision and the arrival is not used', () => {
    // decision 1 h + 5 s, arrival 1 h + 5.25 s: the print at 1 h + 5.1 s is too early
    const t: TradeSeries = { event_time: Float64Array.of(at(1) + 5.1 * S, at(1) + 10 * S), available_time: Float64Array.of(at(1) + 5.1 * S, at(1) + 10 * S), price: Float64Array.of(99, 100), size: Float64Array.of(100, 100) };
    expect(fills(run(data({ t }), (ctx) => ctx.market(0, 1)))).toEqual([[10, 1, 100]]);
    expect(fills(run(data({ t }), (ctx) => ctx.limit(0, 1, 99.5)))).toEqual([]);
  });

  it('a quote showing size 0 on the side fills nothing', () => {
    const q = quotes([
      [10, 99.9, 100.1, 9, 0],
      [20, 99.8, 100.2, 9, 9],
    ]);
    expect(fills(run(data({ q }), (ctx) => ctx.market(0, 1)))).toEqual([[20, 1, 100.2]]);
  });
});

describe('stops and limits on prints', () => {
  it('a triggered stop is a market order: its rest fills on a later print back under its level', () => {
    // buy stop 101 of 2: the print at 101 (size 10, share 1) triggers it and fills 1; the print at 100.5 fills the rest
    const t = tape([
      [10, 101, 10],
      [20, 100.5, 10],
    ]);
    expect(fills(run(data({ t }), (ctx) => ctx.stop(0, 2, 101)))).toEqual([
      [10, 1, 101],
      [20, 1, 100.5],
    ]);
  });

  it('a buy limit fills on a print exactly one penetration under it; a sell stop triggers on a print exactly at it', () => {
    // tick 0.5 x 2 ticks = 1: a buy limit at 99 fills on a print at 98
    const cfg = { execution: { limit_penetration_ticks: 2 } };
    expect(fills(run(data({ t: tape([[10, 98, 100]]), tick: 0.5 }), (ctx) => ctx.limit(0, 1, 99), cfg))).toEqual([[10, 1, 99]]);
    expect(fills(run(data({ t: tape([[10, 98.5, 100]]), tick: 0.5 }), (ctx) => ctx.limit(0, 1, 99), cfg))).toEqual([]);
    expect(fills(run(data({ t: tape([[10, 100, 100]]) }), (ctx) => ctx.stop(0, -1, 100)))).toEqual([[10, -1, 100]]);
  });
});
