import { describe, expect, it } from 'vitest';
import {
  MAX_CV_FOLDS,
  combinationCount,
  combinations,
  holdout,
  inIntervals,
  isoMicros,
  parseIsoMicros,
  purgedCv,
  purgedCvFolds,
  subtract,
  walkForward,
  walkForwardFolds,
  type Fold,
  type Interval,
  type LabelledRow,
} from '../../src/domain/split.js';
import { mulberry32 as rng } from '../../src/stats/random.js';

const H = 3_600_000_000; // µs

/** A turn of the event loop between long synchronous checks, so vitest's worker can answer its RPC. */
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Hourly decision rows for several symbols with random gaps and horizons; a label may end late (gap at the exit). */
function makeRows(r: () => number): { rows: LabelledRow[]; horizon: number } {
  const horizon = (1 + Math.floor(r() * 48)) * H;
  const n = 500 + Math.floor(r() * 1500);
  const symbols = ['A', 'B', 'C'].slice(0, 1 + Math.floor(r() * 3));
  const rows: LabelledRow[] = [];
  let t = Date.parse('2025-01-01T00:00:05Z') * 1000;
  for (let i = 0; i < n; i++) {
    t += r() < 0.03 ? Math.floor(1 + r() * 72) * H : H; // gaps
    for (const s of symbols) {
      if (r() < 0.05) continue; // a symbol missing a row
      const late = r() < 0.02 ? Math.floor(r() * 24) * H : 0;
      rows.push({ symbol: s, d: t, end: t + horizon + late });
    }
  }
  return { rows, horizon };
}

/** The purging guarantee: no train row's label window overlaps any test row's label window or decision time. */
function assertNoOverlap(rows: LabelledRow[], f: Fold, embargo: number): void {
  const train = rows.filter((x) => inIntervals(x.d, f.train.intervals));
  const test = rows.filter((x) => inIntervals(x.d, f.test.intervals));
  expect(test.length).toBeGreaterThan(0);
  // A train row [d, end] overlaps some test row [d', end'] iff, among the test rows with d' <= end,
  // the largest end' is >= d: test rows sorted by d' with a running maximum of end' answer that in
  // O(log n) per train row (a pairwise loop took over 20 s per seed on a loaded machine).
  const sorted = [...test].sort((a, b) => a.d - b.d);
  const maxEnd: number[] = [];
  for (const te of sorted) maxEnd.push(Math.max(te.end, maxEnd.at(-1) ?? -Infinity));
  for (const tr of train) {
    if (inIntervals(tr.d, f.test.intervals)) throw new Error(`fold ${f.index}: train row ${tr.symbol}@${tr.d} is inside the test intervals`);
    let lo = 0;
    let hi = sorted.length; // first test row with d' > tr.end
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] as LabelledRow).d <= tr.end) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && (maxEnd[lo - 1] as number) >= tr.d) {
      const te = sorted.slice(0, lo).find((x) => x.end >= tr.d) as LabelledRow;
      throw new Error(`fold ${f.index}: train row ${tr.symbol}@${tr.d}..${tr.end} overlaps test row ${te.d}..${te.end}`);
    }
  }
  // embargo, the exact rule: after a test block [t0, t1) whose labels end at the latest at lastEnd
  // (label windows are closed: [d, end]), the first training decision allowed is lastEnd + 1 µs + embargo
  for (const [t0, t1] of f.test.intervals) {
    const lastEnd = Math.max(t1, ...test.filter((x) => x.d >= t0 && x.d < t1).map((x) => x.end));
    for (const tr of train) if (tr.d >= t1 && tr.d < lastEnd + 1 + embargo) throw new Error(`fold ${f.index}: train row at ${tr.d} inside the embargo [${t1}, ${lastEnd + 1 + embargo})`);
  }
}

describe('split properties over random configurations', () => {
  it('holdout: segments disjoint, in time order, buffers respected, no label reaches the next segment', async () => {
    for (let seed = 1; seed <= 30; seed++) {
      await tick();
      const r = rng(seed);
      const { rows, horizon } = makeRows(r);
      const from = (rows[0] as LabelledRow).d;
      const to = (rows[rows.length - 1] as LabelledRow).d + 1;
      const buffer = Math.floor(r() * 3 * horizon);
      const h = holdout(rows, from, to, { train: 0.6, validation: 0.2, test: 0.2, buffer_us: buffer });
      const [train, val, test] = h.segments as [(typeof h.segments)[0], (typeof h.segments)[0], (typeof h.segments)[0]];
      const seg = (x: LabelledRow): string[] => h.segments.filter((s) => inIntervals(x.d, s.intervals)).map((s) => s.name);
      for (const x of rows) expect(seg(x).length).toBeLessThanOrEqual(1);
      const last = (iv: Interval[]): number => (iv[iv.length - 1] as Interval)[1];
      const first = (iv: Interval[]): number => (iv[0] as Interval)[0];
      expect(first(val.intervals) - last(train.intervals)).toBeGreaterThanOrEqual(buffer);
      expect(first(test.intervals) - last(val.intervals)).toBeGreaterThanOrEqual(buffer);
      const valStart = first(val.intervals);
      const testStart = first(test.intervals);
      for (const x of rows) {
        if (inIntervals(x.d, train.intervals)) expect(x.end).toBeLessThan(valStart);
        if (inIntervals(x.d, val.intervals)) expect(x.end).toBeLessThan(testStart);
      }
    }
  });

  it('walk-forward: train before test, no overlap of label windows, windows of the requested lengths', async () => {
    for (let seed = 100; seed <= 130; seed++) {
      await tick();
      const r = rng(seed);
      const { rows, horizon } = makeRows(r);
      const from = (rows[0] as LabelledRow).d;
      const to = (rows[rows.length - 1] as LabelledRow).d + 1;
      const trainUs = (200 + Math.floor(r() * 400)) * H;
      const testUs = (50 + Math.floor(r() * 100)) * H;
      const window = r() < 0.5 ? 'rolling' : 'expanding';
      const buffer = Math.floor(r() * 2 * horizon);
      const folds = walkForward(rows, from, to, { train_us: trainUs, test_us: testUs, step_us: testUs, window, buffer_us: buffer });
      expect(folds.length).toBeGreaterThan(0);
      for (const f of folds) {
        const trEnd = Math.max(...f.train.intervals.map((iv) => iv[1]));
        const teStart = Math.min(...f.test.intervals.map((iv) => iv[0]));
        expect(teStart - trEnd).toBeGreaterThanOrEqual(buffer);
        if (window === 'rolling') expect(Math.min(...f.train.intervals.map((iv) => iv[0]))).toBeGreaterThanOrEqual(trEnd - trainUs);
        if (f.test.intervals.length) assertNoOverlap(rows, f, 0);
      }
      for (let i = 1; i < folds.length; i++) expect((folds[i] as Fold).test.intervals[0]?.[0]).toBeGreaterThan((folds[i - 1] as Fold).test.intervals[0]?.[0] as number);
    }
  });

  it('purged k-fold and CPCV: every group tested, no overlap, embargo respected, C(N,k) splits', async () => {
    for (let seed = 200; seed <= 215; seed++) {
      await tick();
      const r = rng(seed);
      const { rows } = makeRows(r);
      const from = (rows[0] as LabelledRow).d;
      const to = (rows[rows.length - 1] as LabelledRow).d + 1;
      const groups = 3 + Math.floor(r() * 6);
      const k = 1 + Math.floor(r() * Math.min(3, groups - 1));
      const embargo = seed % 3 === 0 ? 0 : Math.floor(r() * 48) * H; // embargo 0 (the boundary of the rule) in every third seed
      const cv = purgedCv(rows, from, to, { groups, test_groups: k, embargo_us: embargo });
      const binom = (n: number, m: number): number => (m === 0 ? 1 : (n * binom(n - 1, m - 1)) / m);
      expect(cv.folds.length).toBe(Math.round(binom(groups, k)));
      const tested = new Set(cv.folds.flatMap((f) => f.test_groups ?? []));
      expect(tested.size).toBe(groups);
      for (const f of cv.folds) {
        assertNoOverlap(rows, f, embargo);
        // train and test are disjoint and everything else is accounted for as removed
        const inTrain = rows.filter((x) => inIntervals(x.d, f.train.intervals)).length;
        const inTest = rows.filter((x) => inIntervals(x.d, f.test.intervals)).length;
        expect(inTrain + inTest + f.removed_rows).toBe(rows.length);
      }
    }
  });

  it('helpers: combinations of 16 choose 8 is 12,870; interval subtraction', () => {
    let n = 0;
    for (const _ of combinations(16, 8)) n++;
    expect(n).toBe(12870);
    expect(subtract([[0, 10]], [[2, 4], [8, 20]])).toEqual([[0, 2], [4, 8]]);
  });
});

describe('split boundaries, deterministic cases', () => {
  // hourly decisions 0 h .. 99 h of one symbol, each labelled over [d, d + 2 h]
  const hourly = (n = 100, label = 2 * H): LabelledRow[] => Array.from({ length: n }, (_, i) => ({ symbol: 'A', d: i * H, end: i * H + label }));

  it('holdout: golden boundaries (60/20/20 of [0, 100 h), buffer 1 h): the last row of train and of validation purged', () => {
    const h = holdout(hourly(), 0, 100 * H, { train: 0.6, validation: 0.2, test: 0.2, buffer_us: H });
    // train [0, 60 h), validation from 61 h: the 59 h row's label [59 h, 61 h] reaches 61 h, so train ends at 59 h
    expect(h.segments.map((s) => [s.name, s.intervals, s.rows['A']])).toEqual([
      ['train', [[0, 59 * H]], 59],
      ['validation', [[61 * H, 79 * H]], 18],
      ['test', [[81 * H, 100 * H]], 19],
    ]);
    expect(h.purged_rows).toBe(2);
    // buffer 0: a label ending exactly at the next segment's first decision still overlaps it (closed windows)
    const z = holdout(hourly(100, H), 0, 100 * H, { train: 0.6, validation: 0.2, test: 0.2, buffer_us: 0 });
    expect(z.segments.map((s) => s.intervals)).toEqual([[[0, 59 * H]], [[60 * H, 79 * H]], [[80 * H, 100 * H]]]);
    expect(z.purged_rows).toBe(2);
  });

  it('purged k-fold with embargo 0: a train row at the last label end of the test block is out, 1 µs later is in', () => {
    // 30 hourly rows of A, plus B deciding exactly when the first block's last label ends (11 h) and 1 µs later
    const rows = hourly(30);
    rows.push({ symbol: 'B', d: 11 * H, end: 11 * H + 1 }, { symbol: 'B', d: 11 * H + 1, end: 11 * H + 2 });
    rows.sort((x, y) => x.d - y.d);
    const cv = purgedCv(rows, 0, 30 * H, { groups: 3, test_groups: 1, embargo_us: 0 });
    expect(cv.boundaries).toEqual([0, 10 * H, 19 * H, 30 * H]);
    const f = cv.folds[0] as Fold;
    expect(f.test.intervals).toEqual([[0, 10 * H]]);
    // the block's labels end at 9 h + 2 h = 11 h; with no embargo training resumes 1 µs after that
    expect(f.embargoed).toEqual([[10 * H, 11 * H + 1]]);
    expect(f.train.intervals).toEqual([[11 * H + 1, 30 * H]]);
    expect(f.train.rows).toEqual({ A: 18, B: 1 });
    expect(f.removed_rows).toBe(3); // A at 10 h and 11 h, B at 11 h
    // the middle fold: purge before it covers the rows whose labels reach its first decision (10 h)
    const g = cv.folds[1] as Fold;
    expect(g.test.intervals).toEqual([[10 * H, 19 * H]]);
    expect(g.purged).toEqual([[8 * H, 10 * H]]);
    expect(g.embargoed).toEqual([[19 * H, 20 * H + 1]]);
    expect(inIntervals(7 * H, g.train.intervals)).toBe(true);
    expect(inIntervals(8 * H, g.train.intervals)).toBe(false);
    expect(inIntervals(20 * H, g.train.intervals)).toBe(false);
    expect(inIntervals(21 * H, g.train.intervals)).toBe(true);
  });

  it('purged k-fold with embargo: the first training decision after the block is lastEnd + 1 µs + embargo exactly', () => {
    const rows = hourly(30);
    const cv = purgedCv(rows, 0, 30 * H, { groups: 3, test_groups: 1, embargo_us: 3 * H });
    const f = cv.folds[0] as Fold;
    expect(f.test.intervals).toEqual([[0, 10 * H]]);
    // last test label ends at 9 h + 2 h = 11 h; embargo 3 h: training resumes at 14 h + 1 µs, i.e. with the 15 h row
    expect(f.embargoed).toEqual([[10 * H, 14 * H + 1]]);
    expect(f.train.intervals).toEqual([[14 * H + 1, 30 * H]]);
    expect(f.train.rows).toEqual({ A: 15 });
    expect(f.removed_rows).toBe(5);
  });

  it('walk-forward with buffer 0: the train row whose label reaches the test start is purged, the one before is kept', () => {
    const rows = hourly(40);
    const folds = walkForward(rows, 0, 40 * H, { train_us: 20 * H, test_us: 10 * H, step_us: 10 * H, window: 'rolling', buffer_us: 0 });
    expect(folds.map((f) => [f.train.intervals, f.test.intervals, f.purged, f.removed_rows])).toEqual([
      [[[0, 18 * H]], [[20 * H, 30 * H]], [[18 * H, 20 * H]], 2],
      [[[10 * H, 28 * H]], [[30 * H, 40 * H]], [[28 * H, 30 * H]], 2],
    ]);
  });
});

describe('fold counts, times in µs', () => {
  it('counts combinations exactly and refuses too many folds before enumerating any', () => {
    expect(combinationCount(6, 2)).toBe(15);
    expect(combinationCount(12, 6)).toBe(924);
    expect(combinationCount(40, 20)).toBe(137_846_528_820);
    expect(combinationCount(5, 1)).toBe(5);
    for (let n = 2; n < 14; n++) for (let k = 1; k < n; k++) expect(combinationCount(n, k)).toBe([...combinations(n, k)].length);
    const rows: LabelledRow[] = Array.from({ length: 100 }, (_, i) => ({ symbol: 'A', d: i * H, end: i * H + H }));
    const t0 = Date.now();
    expect(() => purgedCvFolds(rows, 0, 100 * H, { groups: 40, test_groups: 20, embargo_us: 0 })).toThrow(/137,846,528,820 folds; the limit is 1,000/);
    expect(Date.now() - t0).toBeLessThan(5000); // enumerating them would never end
    expect(MAX_CV_FOLDS).toBe(1000);
    expect(() => purgedCvFolds(rows, 0, 100 * H, { groups: 14, test_groups: 7, embargo_us: 0 })).toThrow(/3,432 folds/);
    expect(purgedCvFolds(rows, 0, 100 * H, { groups: 12, test_groups: 6, embargo_us: 0 }).count).toBe(924);
  });

  it('fold generators give the same folds as the array functions, one at a time', () => {
    const { rows } = makeRows(rng(7));
    const from = (rows[0] as LabelledRow).d;
    const to = (rows[rows.length - 1] as LabelledRow).d + 1;
    const p = { groups: 6, test_groups: 2, embargo_us: 2 * H };
    const g = purgedCvFolds(rows, from, to, p);
    const first = g.folds.next();
    expect(first.done).toBe(false);
    expect([first.value, ...g.folds]).toEqual(purgedCv(rows, from, to, p).folds);
    const wp = { train_us: 200 * H, test_us: 100 * H, step_us: 100 * H, window: 'rolling' as const, buffer_us: 5 * H };
    expect([...walkForwardFolds(rows, from, to, wp)]).toEqual(walkForward(rows, from, to, wp));
  });

  it('split-file times keep every microsecond and read older millisecond strings', () => {
    const r = rng(11);
    for (let i = 0; i < 2000; i++) {
      const us = Math.floor(r() * 4_000_000_000_000_000);
      const s = isoMicros(us);
      expect(s).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      expect(parseIsoMicros(s)).toBe(us);
    }
    expect(isoMicros(Date.parse('2026-03-14T12:00:00Z') * 1000 + 1)).toBe('2026-03-14T12:00:00.000001Z');
    expect(parseIsoMicros('2026-03-14T12:00:00.123Z')).toBe(Date.parse('2026-03-14T12:00:00.123Z') * 1000);
    expect(parseIsoMicros('2026-03-14T12:00:00Z')).toBe(Date.parse('2026-03-14T12:00:00Z') * 1000);
    expect(() => parseIsoMicros('2026-03-14 12:00')).toThrow(/bad time/);
    // Lexical order of the strings is time order (the timeline and tests compare them as text).
    const a = isoMicros(1_000_000_000_000_000);
    const b = isoMicros(1_000_000_000_000_001);
    expect(a < b).toBe(true);
  });
});
