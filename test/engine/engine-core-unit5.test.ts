/**
 * Funding in the engine, case by case: the mark a print is charged at (the print's own, else the
 * mark bar's close, else the traded close), accrual vs settlement by the print's interval, the due
 * time of the next print from the data's own schedule, missing prints (the grace period exactly,
 * due times before the position opened, the last rate or zero, the events), settlements with
 * nothing accrued. For the mutation run of engine.ts (engine-core-3).
 * One symbol, hourly bars, a market buy of 2 at 1 h with no latency: filled at the 1 h bar open
 * (known at 2 h), held to the end.
 */
import { describe, expect, it } from 'vitest';
import { runEngine, type EngineResult } from '../../src/engine/engine.js';
import { FUNDING_KINDS } from '../../src/engine/funding.js';
import type { BarSeries, FundingSeries, InstrumentInfo } from '../../src/engine/types.js';
import { at, bars, decisions, flat, funding, instrument, market, plainConfig, scripted } from './fixture.js';

function run(o: { f?: FundingSeries | null; mark?: BarSeries | null; ins?: InstrumentInfo; n?: number; cfg?: Record<string, unknown>; when?: number; qty?: number }): EngineResult {
  return runEngine(
    market({ bars: [bars(flat(o.n ?? 24))], mark: [o.mark ?? null], funding: [o.f ?? null], instruments: [o.ins ?? instrument('A')], decisions: decisions([o.when ?? at(1)]) }),
    plainConfig({ execution: { latency_ms: 0 }, ...(o.cfg ?? {}) }),
    scripted((ctx) => ctx.market(0, o.qty ?? 2)),
  );
}

const kinds = (r: EngineResult): string[] => Array.from(r.funding.kind, (k) => FUNDING_KINDS[k]!);
const hours = (xs: Float64Array): number[] => Array.from(xs, (t) => (t - at(0)) / 3_600_000_000);

describe('the mark of a funding charge', () => {
  it("is the print's mark when it has one", () => {
    const r = run({ f: funding([{ t: at(8), rate: 0.001, interval: 8, mark: 120 }]), n: 10 });
    expect(Array.from(r.funding.mark)).toEqual([120]);
    expect(r.funding.amount[0]).toBeCloseTo(-2 * 120 * 0.001, 12);
    expect(Array.from(r.funding.qty)).toEqual([2]);
    expect(Array.from(r.funding.rate)).toEqual([0.001]);
    expect(hours(r.funding.time)).toEqual([8]);
  });

  it('else the close of the last mark bar; a print mark of 0 counts as none', () => {
    const mark = bars(flat(10, 110));
    expect(Array.from(run({ f: funding([{ t: at(8), rate: 0.001, interval: 8 }]), mark, n: 10 }).funding.mark)).toEqual([110]);
    expect(Array.from(run({ f: funding([{ t: at(8), rate: 0.001, interval: 8, mark: 0 }]), mark, n: 10 }).funding.mark)).toEqual([110]);
  });

  it('else the last traded close (mark bars that have not started yet)', () => {
    // mark bars only from 9 h on: at the 8 h print no mark bar was seen
    const mark = bars(flat(3, 110), 0, 3_600_000_000, at(9));
    const r = run({ f: funding([{ t: at(8), rate: 0.001, interval: 8 }]), mark, n: 12 });
    expect(Array.from(r.funding.mark)).toEqual([100]);
  });

  it('nothing is charged on a print while flat, and the print still sets the rate and the schedule', () => {
    // print at 0 h (flat), position from 1 h; with the print's 8 h interval the next is due at 8 h, missing -> last rate
    const r = run({ f: funding([{ t: at(0), rate: 0.002, interval: 8 }]), n: 11, cfg: { funding: { missing: 'last' } } });
    expect(kinds(r)).toEqual(['missing_last']);
    expect(hours(r.funding.time)).toEqual([8]);
    expect(r.funding.amount[0]).toBeCloseTo(-2 * 100 * 0.002, 12);
  });
});

describe('accrual or settlement', () => {
  const acc = instrument('A', { funding_interval_hours: 8, funding_accrual_hours: 1 });

  it('on an accruing venue a print covering the settlement interval settles in cash; a shorter or unknown one accrues', () => {
    const f = funding([
      { t: at(2), rate: 0.001, interval: 1 },
      { t: at(3), rate: 0.001 },
      { t: at(8), rate: 0.001, interval: 8 },
    ]);
    const r = run({ f, ins: acc, n: 10, cfg: { funding: { missing: 'zero', grace_ms: 100 * 3_600_000 } } });
    expect(kinds(r)).toEqual(['accrual', 'accrual', 'settlement', 'settlement']);
    // the last settlement moves the two accruals (0.2 each) to cash at 8 h
    expect(r.funding.amount[3]).toBeCloseTo(-0.4, 12);
    expect(Number.isNaN(r.funding.rate[3]!)).toBe(true);
  });

  it('on a venue that does not accrue every print settles in cash, whatever its interval', () => {
    const f = funding([
      { t: at(2), rate: 0.001, interval: 1 },
      { t: at(8), rate: 0.001 },
    ]);
    const r = run({ f, n: 10, cfg: { funding: { missing: 'zero', grace_ms: 100 * 3_600_000 } } });
    expect(kinds(r)).toEqual(['settlement', 'settlement']);
  });

  it('a settlement with nothing accrued books nothing', () => {
    // accruing venue, no prints at all, missing zero: the 8 h settlement finds accrued 0
    const r = run({ ins: acc, n: 10, cfg: { funding: { missing: 'zero' } } });
    expect(kinds(r)).toEqual(['missing_zero']);
  });
});

describe('due times and missing prints', () => {
  it('without any print the first due time is the next multiple of the interval after the position opened; charged after the grace, not at it', () => {
    // interval 8 h, grace 1 h: due 8 h, missing from the first step after 9 h (the 10 h bar); due 16 h at 18 h
    const r = run({ n: 20, cfg: { funding: { missing: 'zero', grace_ms: 3_600_000 } } });
    expect(kinds(r)).toEqual(['missing_zero', 'missing_zero']);
    expect(hours(r.funding.time)).toEqual([8, 16]);
    expect(Array.from(r.funding.amount)).toEqual([0, 0]);
    expect(Array.from(r.funding.mark)).toEqual([100, 100]);
    expect(r.counters.funding_missing).toBe(2);
    const ev = r.events.filter((e) => e.kind === 'funding_missing');
    expect(ev.map((e) => hours(Float64Array.of(e.time))[0])).toEqual([10, 18]);
    expect(ev[0]!.detail).toBe('no print for 2024-01-01T08:00:00.000Z; charged zero');
    expect(ev[0]!.symbol).toBe('S0');
  });

  it('the instrument interval 0 falls back to the default interval of the config', () => {
    const r = run({ n: 20, ins: instrument('A', { funding_interval_hours: 0 }), cfg: { funding: { missing: 'zero', grace_ms: 3_600_000, default_interval_hours: 4 } } });
    expect(hours(r.funding.time)).toEqual([4, 8, 12, 16]);
  });

  it('last rate with no print ever seen charges 0 at the last-rate kind, and says so', () => {
    const r = run({ n: 12, cfg: { funding: { missing: 'last', grace_ms: 3_600_000 } } });
    expect(kinds(r)).toEqual(['missing_last']);
    expect(Array.from(r.funding.rate)).toEqual([0]);
    expect(r.funding.amount[0]).toBeCloseTo(0, 12);
    expect(r.events.find((e) => e.kind === 'funding_missing')!.detail).toBe('no print for 2024-01-01T08:00:00.000Z; charged the last rate');
  });

  it('a print without an interval keeps the schedule of the one before it', () => {
    // prints at 2 h (interval 2) and 4 h (unknown): next due 6 h, missing at the 8 h step (grace 1 h, 7 h not after)
    const f = funding([
      { t: at(2), rate: 0.001, interval: 2 },
      { t: at(4), rate: 0.001 },
    ]);
    const r = run({ f, n: 9, cfg: { funding: { missing: 'zero', grace_ms: 3_600_000 } } });
    expect(kinds(r)).toEqual(['settlement', 'settlement', 'missing_zero']);
    expect(hours(r.funding.time)).toEqual([2, 4, 6]);
  });

  it('on an accruing venue a print without an interval sets the next due time one accrual period later', () => {
    const ins = instrument('A', { funding_interval_hours: 8, funding_accrual_hours: 2 });
    const f = funding([{ t: at(2), rate: 0.001 }]);
    const r = run({ f, ins, n: 6, cfg: { funding: { missing: 'zero', grace_ms: 3_600_000 } } });
    // due 4 h after the 2 h accrual, missing at the 6 h step (5 h is not after 4 h + 1 h)
    expect(kinds(r)).toEqual(['accrual', 'missing_zero']);
    expect(hours(r.funding.time)).toEqual([2, 4]);
  });

  it('a due time before the position opened is not charged', () => {
    // print at 0 h (flat), next due 8 h; the position opens at 10 h: 8 h passes uncharged, 16 h is missing
    const r = run({ f: funding([{ t: at(0), rate: 0.002, interval: 8 }]), n: 20, when: at(10), cfg: { funding: { missing: 'zero', grace_ms: 3_600_000 } } });
    expect(hours(r.funding.time)).toEqual([16]);
    expect(r.counters.funding_missing).toBe(1);
  });

  it('at most 100 funding_missing events, every missing print counted', () => {
    // hourly interval, grace 0: 150 missing prints over 152 bars
    const r = run({ n: 152, ins: instrument('A', { funding_interval_hours: 1, funding_accrual_hours: 1 }), cfg: { funding: { missing: 'zero', grace_ms: 0 } } });
    expect(r.counters.funding_missing).toBe(150);
    expect(r.events.filter((e) => e.kind === 'funding_missing')).toHaveLength(100);
  });
});
