/**
 * The engine's stepping API (what the live paper loop uses) and its set-up, asserted value by value:
 * the clock streams it builds, init, state(), flattenAll(), settleTime(), snapshot(),
 * settlementTimes(), and the constructor's checks. Written for the mutation run of engine.ts
 * (engine-core-1): each test fails on a plausible one-token change of the code it covers.
 */
import { describe, expect, it } from 'vitest';
import { buildClock, EV_BAR, EV_DECISION, EV_FUNDING, EV_MARK, EV_QUOTE, EV_SETTLE, EV_TRADE } from '../../src/engine/clock.js';
import { Engine, runEngine } from '../../src/engine/engine.js';
import type { MarketData, QuoteSeries, TradeSeries } from '../../src/engine/types.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import { at, bars, decisions, flat, funding, H, instrument, market, plainConfig, scripted } from './fixture.js';

const S = 1_000_000;

function quotes(times: number[], bid = 99.9, ask = 100.1): QuoteSeries {
  const t = Float64Array.from(times);
  return {
    event_time: t,
    available_time: t,
    bid: new Float64Array(times.length).fill(bid),
    ask: new Float64Array(times.length).fill(ask),
    bid_size: new Float64Array(times.length).fill(Number.NaN),
    ask_size: new Float64Array(times.length).fill(Number.NaN),
  };
}

function tape(times: number[], price = 100): TradeSeries {
  const t = Float64Array.from(times);
  return { event_time: t, available_time: t, price: new Float64Array(times.length).fill(price), size: new Float64Array(times.length).fill(Number.NaN) };
}

/** Steps every event of the engine's own clock; returns the engine (not finished). */
function stepAll(e: Engine): Engine {
  const c = buildClock(e.streams());
  for (let i = 0; i < c.n; i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
  return e;
}

describe('set-up', () => {
  it('refuses data without one bars, mark, funding and instruments entry per symbol', () => {
    const m = market({ bars: [bars(flat(3)), bars(flat(3))], decisions: decisions([at(1)]) });
    const msg = /one entry per symbol/;
    expect(() => new Engine({ ...m, bars: [m.bars[0]!] }, plainConfig(), scripted(() => {}))).toThrow(msg);
    expect(() => new Engine({ ...m, mark: [null] }, plainConfig(), scripted(() => {}))).toThrow(msg);
    expect(() => new Engine({ ...m, funding: [null] }, plainConfig(), scripted(() => {}))).toThrow(msg);
    expect(() => new Engine({ ...m, instruments: [m.instruments[0]!] }, plainConfig(), scripted(() => {}))).toThrow(msg);
    expect(() => new Engine(m, plainConfig(), scripted(() => {}))).not.toThrow();
  });

  it('streams: per symbol its bars, quotes, trades (only when the tape has rows), marks, funding and settlements, then the decisions', () => {
    // A accrues hourly and settles every 8 h (settlement stream); B has an empty tape (no trade stream) and no accrual
    const m: MarketData = {
      ...market({
        bars: [bars(flat(10)), bars(flat(10))],
        mark: [bars(flat(10)), null],
        funding: [null, funding([{ t: at(8), rate: 0.001 }])],
        instruments: [instrument('A', { funding_interval_hours: 8, funding_accrual_hours: 1 }), instrument('B')],
        decisions: decisions([at(1), at(2)]),
      }),
      quotes: [null, quotes([at(1)])],
      trades: [tape([at(1)]), tape([])],
    };
    const e = new Engine(m, plainConfig(), scripted(() => {}));
    const st = e.streams();
    expect(st.map((x) => [x.kind, x.sym])).toEqual([
      [EV_BAR, 0],
      [EV_TRADE, 0],
      [EV_MARK, 0],
      [EV_SETTLE, 0],
      [EV_BAR, 1],
      [EV_QUOTE, 1],
      [EV_FUNDING, 1],
      [EV_DECISION, 0],
    ]);
    expect(st[0]!.time).toBe(m.bars[0]!.available_time);
    expect(st[1]!.time).toBe(m.trades![0]!.available_time);
    expect(st[2]!.time).toBe(m.mark[0]!.available_time);
    expect(Array.from(st[3]!.time)).toEqual([at(8)]); // settlement at 8 h in (first open 0 h, last close 10 h]
    expect(st[5]!.time).toBe(m.quotes![1]!.available_time);
    expect(st[6]!.time).toBe(m.funding[1]!.available_time);
    expect(st[7]!.time).toBe(m.decisions.time);
    expect(Array.from(e.settlementTimes(0)!)).toEqual([at(8)]);
    expect(e.settlementTimes(1)).toBeNull();
    expect(e.settlementTimes(5)).toBeNull();
  });

  it('settlement times run from the first bar open to the last bar close; without bars from data.start to data.end', () => {
    const acc = instrument('A', { funding_interval_hours: 8, funding_accrual_hours: 1 });
    // bars over [16 h, 26 h): settlements at 24 h only
    const withBars = new Engine(market({ bars: [bars(flat(10), 0, H, at(16))], instruments: [acc], decisions: decisions([at(20)]) }), plainConfig(), scripted(() => {}));
    expect(Array.from(withBars.settlementTimes(0)!)).toEqual([at(24)]);
    const empty = new Engine(market({ bars: [bars([])], instruments: [acc], decisions: decisions([at(20)]), start: at(0), end: at(17) }), plainConfig(), scripted(() => {}));
    expect(Array.from(empty.settlementTimes(0)!)).toEqual([at(8), at(16)]);
    // accrual hours 0 means the settlement interval: no accrual, no settlement stream
    const noAcc = new Engine(market({ bars: [bars(flat(10))], instruments: [instrument('A', { funding_accrual_hours: 0 })], decisions: decisions([at(1)]) }), plainConfig(), scripted(() => {}));
    expect(noAcc.settlementTimes(0)).toBeNull();
  });

  it('begin() calls init once with the symbols, the decision columns and the bar length', () => {
    const calls: unknown[] = [];
    const strat: Strategy = { name: 'x', init: (info) => calls.push(info), onDecision: () => {} };
    const m = market({ bars: [bars(flat(3), 0, 4 * H)], decisions: decisions([at(1)], [0], { f: [1] }) });
    const e = new Engine(m, plainConfig(), strat);
    e.begin();
    e.begin();
    expect(calls).toEqual([{ symbols: ['S0'], columns: ['f'], bar_us: 4 * H }]);
    // without bars the bar length defaults to one hour
    const calls2: unknown[] = [];
    const e2 = new Engine(market({ bars: [], symbols: [], instruments: [], decisions: decisions([]) }), plainConfig(), { name: 'y', init: (i) => calls2.push(i), onDecision: () => {} });
    e2.begin();
    expect(calls2).toEqual([{ symbols: [], columns: [], bar_us: H }]);
  });
});

describe('stepping API', () => {
  // flat bars at 100; a buy of 2 at the first decision (1 h + 5 s) fills at the 2 h bar open
  const data = (): MarketData =>
    market({ bars: [bars(flat(6)), bars(flat(6, 50))], instruments: [instrument('A'), instrument('B')], decisions: decisions([at(1) + 5 * S, at(3) + 5 * S]) });

  it('state(): positions with entry, pending and mark; equity, cash, accrued, drawdown state, kill switch, open orders', () => {
    const e = new Engine(
      data(),
      plainConfig({ initial_cash: 1000 }),
      scripted((ctx, i) => {
        if (i === 0) ctx.market(0, 2);
        else ctx.limit(1, -3, 60);
      }),
    );
    stepAll(e);
    const st = e.state();
    expect(st.positions).toEqual([
      { symbol: 'S0', qty: 2, entry: 100, pending: 0, mark: 100 },
      { symbol: 'S1', qty: 0, entry: 0, pending: -3, mark: 50 },
    ]);
    expect(st.equity).toBe(1000);
    expect(st.cash).toBe(1000);
    expect(st.accrued).toBe(0);
    expect(st.drawdown_state).toBe('normal');
    expect(st.killed).toBeNull();
    expect(st.open_orders).toBe(1);
    expect(e.time).toBe(at(6));
  });

  it('flattenAll(): market orders (origin 4) closing every position after the latency: at the 5 h bar (the 4 h one opened before)', () => {
    const m = market({ bars: [bars(flat(8))], decisions: decisions([at(1) + 5 * S]) });
    const e = new Engine(m, plainConfig(), scripted((ctx) => ctx.market(0, 2)));
    const c = buildClock(e.streams());
    let i = 0;
    // up to the bar of 4 h (available at 4 h): the buy filled at 2 h
    for (; i < c.n && c.time[i]! <= at(4); i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
    expect(e.state().positions[0]!.qty).toBe(2);
    e.flattenAll();
    for (; i < c.n; i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
    const r = e.finish();
    expect(Array.from(r.orders.origin)).toEqual([0, 4]);
    expect(Array.from(r.orders.qty)).toEqual([2, -2]);
    expect(Array.from(r.fills.time)).toEqual([at(2), at(5)]);
    expect(e.state().positions[0]!.qty).toBe(0);
  });

  it('settleTime() runs the pending mark-to-market step (an equity row) only once; snapshot() counts the events stepped', () => {
    const e = new Engine(data(), plainConfig(), scripted(() => {}));
    e.begin();
    const b = e.data.bars[0]!;
    e.step(b.available_time[0]!, EV_BAR, 0, 0);
    expect(e.snapshot().equity.time.length).toBe(0);
    e.settleTime();
    e.settleTime();
    const s1 = e.snapshot();
    expect(Array.from(s1.equity.time)).toEqual([at(1)]);
    expect(s1.counters.events).toBe(1);
    e.step(e.data.bars[1]!.available_time[0]!, EV_BAR, 1, 0);
    // a second bar at the same time: the pending step waits for a later time or a decision
    expect(e.snapshot().equity.time.length).toBe(1);
    expect(e.snapshot().counters.events).toBe(2);
    const r = e.finish();
    expect(Array.from(r.equity.time)).toEqual([at(1), at(1)]);
  });

  it('a decision runs the pending step first, so the strategy sees the marks of the bars at its time', () => {
    const seen: number[] = [];
    const m = market({ bars: [bars([[100, 100, 100, 100], [100, 120, 100, 120], ...flat(3, 120)])], decisions: decisions([at(2)]) });
    const e = new Engine(
      m,
      plainConfig({ initial_cash: 1000 }),
      scripted((ctx) => {
        seen.push(ctx.close(0), ctx.time);
      }),
    );
    e.begin();
    e.step(at(1), EV_BAR, 0, 0);
    e.step(at(2), EV_BAR, 0, 1);
    e.step(at(2), EV_DECISION, 0, 0);
    expect(seen).toEqual([120, at(2)]);
    expect(Array.from(e.snapshot().equity.time)).toEqual([at(1), at(2)]);
  });

  it('the batch run equals stepping the same clock (positions and equity rows)', () => {
    const strat = () => scripted((ctx, i) => (i === 0 ? ctx.market(0, 2) : ctx.market(1, -1)));
    const a = runEngine(data(), plainConfig(), strat());
    const b = stepAll(new Engine(data(), plainConfig(), strat())).finish();
    expect(a.counters.events).toBe(b.counters.events);
    expect(a.counters.events).toBe(6 + 6 + 2);
    expect(Array.from(a.equity.time)).toEqual(Array.from(b.equity.time));
    expect(Array.from(a.fills.price)).toEqual([100, 50]);
    expect(Array.from(b.fills.price)).toEqual([100, 50]);
  });
});
