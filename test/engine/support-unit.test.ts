import { describe, expect, it } from 'vitest';
import { buildClock, type ClockStream } from '../../src/engine/clock.js';
import { F64Col, I32Col } from '../../src/engine/columns.js';
import { cachedClock } from '../../src/engine/reuse.js';

/**
 * The engine's support modules against plain definitions: the growable output columns (past their first
 * capacity), the event clock against a sort of every row by (time, kind, symbol, given stream order, row) with
 * ties, repeated times and +Infinity rows, its input refusals, and the clock cache keyed on kinds and symbols.
 */
describe('growable columns', () => {
  it('keep every pushed value in order past the initial capacity; get, set and a view of the filled part', () => {
    for (const Col of [F64Col, I32Col]) {
      const c = new Col(1);
      expect(c.toArray().length).toBe(0);
      for (let i = 0; i < 40; i++) c.push(i * 3);
      expect(c.length).toBe(40);
      expect([...c.toArray()]).toEqual(Array.from({ length: 40 }, (_, i) => i * 3));
      c.set(39, 7);
      expect([c.get(0), c.get(16), c.get(39)]).toEqual([0, 48, 7]);
      // a capacity below 16 still starts at 16 (0 would never grow)
      const z = new Col(0);
      for (let i = 0; i < 20; i++) z.push(i + 1);
      expect([...z.toArray()]).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const d = new Col();
      for (let i = 0; i < 2000; i++) d.push(i);
      expect(d.toArray()[1999]).toBe(1999);
    }
  });
});

/** Every row of every stream sorted by (time, kind, sym, given index, row): the clock's documented order. */
function reference(streams: ClockStream[]): Array<[number, number, number, number]> {
  const rows: Array<[number, number, number, number, number]> = [];
  streams.forEach((s, i) => s.time.forEach((t, r) => rows.push([t, s.kind, s.sym, i, r])));
  rows.sort((a, b) => (a[0] === b[0] ? 0 : a[0] < b[0] ? -1 : 1) || a[1] - b[1] || a[2] - b[2] || a[3] - b[3] || a[4] - b[4]);
  return rows.map(([t, k, s, , r]) => [t, k, s, r]);
}
const f = (xs: number[]): Float64Array => Float64Array.from(xs);

describe('buildClock', () => {
  it('merges streams in time order, ties by kind, then symbol, then given order, +Infinity rows last', () => {
    const streams: ClockStream[] = [
      { kind: 6, sym: 0, time: f([1, 3, 3, 9]) },
      { kind: 2, sym: 1, time: f([3, 3, 4, Infinity]) },
      { kind: 2, sym: 0, time: f([0, 3, 8, Infinity, Infinity]) },
      { kind: 4, sym: 2, time: f([]) },
      { kind: 2, sym: 0, time: f([3, 5]) },
      { kind: 0, sym: 3, time: f([2, 2, 2, 10]) },
    ];
    const c = buildClock(streams);
    const want = reference(streams);
    expect(c.n).toBe(want.length);
    expect([...c.time].map((t, e) => [t, c.kind[e], c.sym[e], c.row[e]])).toEqual(want);
  });

  it('refuses a stream whose first time is missing or whose times go back, naming it and the row', () => {
    expect(() => buildClock([{ kind: 2, sym: 1, time: f([Number.NaN, 1]) }])).toThrow('clock: stream kind 2 symbol 1 has no available_time at row 0');
    expect(() => buildClock([{ kind: 3, sym: 4, time: f([1, 2, 2, 1]) }])).toThrow('clock: stream kind 3 symbol 4 is not sorted by available_time at row 3');
    expect(() => buildClock([{ kind: 3, sym: 4, time: f([1, Number.NaN]) }])).toThrow('is not sorted by available_time at row 1');
    expect(buildClock([]).n).toBe(0);
  });
});

describe('clock cache', () => {
  it('is not served for streams with the same times but another kind or symbol', () => {
    const owner = {};
    const time = f([1, 2]);
    const a = cachedClock(owner, [{ kind: 2, sym: 0, time }]);
    expect(cachedClock(owner, [{ kind: 2, sym: 0, time }])).toBe(a);
    const b = cachedClock(owner, [{ kind: 3, sym: 0, time }]);
    expect(b).not.toBe(a);
    expect([...b.kind]).toEqual([3, 3]);
    const c = cachedClock(owner, [{ kind: 3, sym: 1, time }]);
    expect(c).not.toBe(b);
    expect([...c.sym]).toEqual([1, 1]);
  });
});
