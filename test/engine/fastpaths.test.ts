/**
 * The engine's speed paths give the same numbers as the plain ones: the timestamp-major clock
 * merge against a per-event reference merge, the batch run (cached clock, cached log returns,
 * rolling statistics caught up lazily) against stepping the same events one by one, and the
 * reuse caches against columns changed in place.
 */
import { describe, expect, it } from 'vitest';
import { buildClock, type Clock, type ClockStream } from '../../src/engine/clock.js';
import { Engine, runEngine, type EngineResult } from '../../src/engine/engine.js';
import { cachedClock, logReturns } from '../../src/engine/reuse.js';
import { Rolling } from '../../src/engine/risk.js';
import { mulberry32 } from '../../src/stats/random.js';
import { busyStrategy, cfg, randomMarket } from './random-market.js';

/** The plain k-way merge: per event, the smallest head; ties to the earlier stream (kind, sym, given order). */
function referenceClock(streams: ClockStream[]): Clock {
  const order = streams
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.kind - b.s.kind || a.s.sym - b.s.sym || a.i - b.i)
    .map((x) => x.s);
  const out = { time: [] as number[], kind: [] as number[], sym: [] as number[], row: [] as number[] };
  const heads = order.map(() => 0);
  for (;;) {
    let best = -1;
    for (let j = 0; j < order.length; j++) {
      if (heads[j]! >= order[j]!.time.length) continue;
      if (best < 0 || order[j]!.time[heads[j]!]! < order[best]!.time[heads[best]!]!) best = j;
    }
    if (best < 0) break;
    out.time.push(order[best]!.time[heads[best]!]!);
    out.kind.push(order[best]!.kind);
    out.sym.push(order[best]!.sym);
    out.row.push(heads[best]!++);
  }
  return { n: out.time.length, time: Float64Array.from(out.time), kind: Uint8Array.from(out.kind), sym: Uint16Array.from(out.sym), row: Uint32Array.from(out.row) };
}

const plain = (c: Clock) => ({ n: c.n, time: Array.from(c.time), kind: Array.from(c.kind), sym: Array.from(c.sym), row: Array.from(c.row) });

function stepped(seed: number): EngineResult {
  const m = randomMarket(seed);
  const e = new Engine(m, cfg, busyStrategy());
  const c = buildClock(e.streams());
  for (let i = 0; i < c.n; i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
  return e.finish();
}

describe('clock merge', () => {
  it('emits the same order as the per-event merge, with many ties and runs of equal times', () => {
    const rnd = mulberry32(5);
    for (let trial = 0; trial < 20; trial++) {
      const streams: ClockStream[] = [];
      const k = 1 + Math.floor(rnd() * 6);
      for (let j = 0; j < k; j++) {
        const len = Math.floor(rnd() * 30);
        let t = Math.floor(rnd() * 5);
        const time = new Float64Array(len);
        for (let i = 0; i < len; i++) {
          t += rnd() < 0.5 ? 0 : Math.floor(rnd() * 3); // repeated times within a stream too
          time[i] = t;
        }
        if (len > 0 && rnd() < 0.2) time[len - 1] = Infinity;
        streams.push({ kind: Math.floor(rnd() * 6), sym: Math.floor(rnd() * 3), time });
      }
      expect(plain(buildClock(streams))).toEqual(plain(referenceClock(streams)));
    }
  });

  it('refuses a stream whose first time is NaN (it would never be emitted)', () => {
    expect(() => buildClock([{ kind: 1, sym: 0, time: Float64Array.from([Number.NaN, 1]) }])).toThrow(/row 0/);
  });
});

describe('batch run vs stepping', () => {
  for (const seed of [1, 4]) {
    it(`seed ${seed}: runEngine (cached clock and log returns, lazy rolling statistics) equals stepping every event`, () => {
      const a = runEngine(randomMarket(seed), cfg, busyStrategy());
      const b = stepped(seed);
      expect(a.fills.qty.length).toBeGreaterThan(20);
      expect(Array.from(a.fills.price)).toEqual(Array.from(b.fills.price));
      expect(Array.from(a.fills.slippage_bps)).toEqual(Array.from(b.fills.slippage_bps));
      expect(Array.from(a.orders.qty)).toEqual(Array.from(b.orders.qty));
      expect(Array.from(a.equity.equity)).toEqual(Array.from(b.equity.equity));
    });
  }

  it('a second run over the same data object (clock and log returns reused) is bit-identical to the first', () => {
    const m = randomMarket(9);
    const a = runEngine(m, cfg, busyStrategy());
    const b = runEngine(m, cfg, busyStrategy());
    expect(Array.from(b.fills.price)).toEqual(Array.from(a.fills.price));
    expect(Array.from(b.equity.equity)).toEqual(Array.from(a.equity.equity));
  });
});

describe('reuse caches', () => {
  it('log returns are recomputed when the close column changed in place', () => {
    const close = Float64Array.from([100, 110, 99]);
    const a = logReturns(close);
    expect(Number.isNaN(a[0]!)).toBe(true);
    expect(a[1]).toBe(Math.log(110 / 100));
    expect(logReturns(close)).toBe(a);
    close[2] = 121;
    expect(logReturns(close)[2]).toBe(Math.log(121 / 110));
  });

  it('the clock is rebuilt when a time column changed in place, reused when not', () => {
    const owner = {};
    const time = Float64Array.from([1, 2, 3]);
    const other = Float64Array.from([2, 2]);
    const streams = (): ClockStream[] => [
      { kind: 1, sym: 0, time },
      { kind: 3, sym: 0, time: other },
    ];
    const a = cachedClock(owner, streams());
    expect(cachedClock(owner, streams())).toBe(a);
    other[1] = 5;
    const b = cachedClock(owner, streams());
    expect(plain(b)).toEqual(plain(buildClock(streams())));
    expect(Array.from(b.time)).toEqual([1, 2, 2, 3, 5]);
    // a different set of streams over the same owner is not served the old clock
    expect(cachedClock(owner, [{ kind: 1, sym: 0, time }]).n).toBe(3);
  });
});

describe('Rolling.pushRange', () => {
  it('leaves the same sums as pushing one value at a time, across the window wrapping', () => {
    const rnd = mulberry32(3);
    const xs = Float64Array.from({ length: 50 }, () => rnd() - 0.5);
    const a = new Rolling(2, 7);
    const b = new Rolling(2, 7);
    for (let i = 0; i < 50; i++) a.push(1, xs[i]!);
    b.pushRange(1, xs, 0, 13);
    b.pushRange(1, xs, 13, 50);
    expect(b.std(1)).toBe(a.std(1));
    expect(b.sum(1)).toBe(a.sum(1));
    expect(b.full(0)).toBe(false);
    // and pushes after a range continue from the same ring position
    a.push(1, 0.25);
    b.push(1, 0.25);
    expect(b.std(1)).toBe(a.std(1));
  });
});
