import { describe, expect, it } from 'vitest';
import {
  combinationCount,
  combinations,
  groupBoundaries,
  holdout,
  inIntervals,
  isoMicros,
  mergeIntervals,
  parseIsoMicros,
  purgeAround,
  purgedCv,
  purgedCvFolds,
  subtract,
  totalRows,
  walkForward,
  type LabelledRow,
} from '../../src/domain/split.js';

/**
 * Deterministic cases of the split rules the property tests (too slow for a mutation run) check on random
 * configurations: each expected value is worked out by hand from the rule in src/domain/split.ts's comments.
 */
const H = 3_600_000_000; // µs
const hourly = (n: number, label = 2 * H, symbol = 'A', start = 0): LabelledRow[] =>
  Array.from({ length: n }, (_, i) => ({ symbol, d: start + i * H, end: start + i * H + label }));

describe('interval helpers', () => {
  it('inIntervals is half-open: the start is in, the end is out', () => {
    const iv: [number, number][] = [[10, 20], [30, 40]];
    expect([9, 10, 19, 20, 29, 30, 39, 40].map((t) => inIntervals(t, iv))).toEqual([false, true, true, false, false, true, true, false]);
    expect(inIntervals(10, [])).toBe(false);
  });

  it('subtract: a cut touching an edge leaves the interval whole; a cut inside splits it; a covering cut removes it', () => {
    expect(subtract([[0, 10]], [[10, 20]])).toEqual([[0, 10]]);
    expect(subtract([[0, 10]], [[-5, 0]])).toEqual([[0, 10]]);
    expect(subtract([[0, 10]], [[3, 5]])).toEqual([[0, 3], [5, 10]]);
    expect(subtract([[0, 10]], [[0, 5]])).toEqual([[5, 10]]);
    expect(subtract([[0, 10]], [[5, 10]])).toEqual([[0, 5]]);
    expect(subtract([[0, 10]], [[-1, 11]])).toEqual([]);
    expect(subtract([[0, 10], [20, 30]], [[5, 25]])).toEqual([[0, 5], [25, 30]]);
    // the input is not changed
    const base: [number, number][] = [[0, 10]];
    subtract(base, [[3, 5]]);
    expect(base).toEqual([[0, 10]]);
  });

  it('mergeIntervals sorts, merges overlapping and touching intervals, keeps gaps', () => {
    expect(mergeIntervals([[20, 30], [0, 10], [10, 15], [5, 8]])).toEqual([[0, 15], [20, 30]]);
    expect(mergeIntervals([[0, 10], [11, 12]])).toEqual([[0, 10], [11, 12]]);
    expect(mergeIntervals([[0, 10], [2, 4]])).toEqual([[0, 10]]);
    expect(mergeIntervals([])).toEqual([]);
  });

  it('totalRows sums a per-symbol count', () => {
    expect(totalRows({ A: 3, B: 4 })).toBe(7);
    expect(totalRows({})).toBe(0);
  });
});

describe('purgeAround', () => {
  it('purges from the earliest row whose label reaches the block start, embargoes to the last label end + 1 µs + embargo', () => {
    const rows = hourly(20); // labels [d, d + 2 h]
    const { purge, embargo } = purgeAround(rows, 10 * H, 15 * H, 3 * H);
    // rows at 8 h and 9 h end at 10 h and 11 h (>= 10 h): purge from 8 h
    expect(purge).toEqual([8 * H, 10 * H]);
    // last row in the block is 14 h, ending at 16 h
    expect(embargo).toEqual([15 * H, 16 * H + 1 + 3 * H]);
  });

  it('a row exactly at the block start belongs to the block: its label end sets the embargo', () => {
    const rows: LabelledRow[] = [{ symbol: 'A', d: 10, end: 100 }, { symbol: 'A', d: 11, end: 12 }];
    expect(purgeAround(rows, 10, 15, 0).embargo).toEqual([15, 101]);
    // a row before the block, however long its label, is purged before it, not embargoed after it
    expect(purgeAround([{ symbol: 'A', d: 5, end: 1000 }, { symbol: 'A', d: 10, end: 12 }], 10, 15, 0)).toEqual({ purge: [5, 10], embargo: [15, 16] });
  });

  it('with no overlapping label the purge is empty and the embargo starts at the block end', () => {
    const rows: LabelledRow[] = [{ symbol: 'A', d: 0, end: 5 }, { symbol: 'A', d: 10, end: 10 }, { symbol: 'A', d: 20, end: 20 }];
    // a row ending at t0 - 1 does not reach the block; the block's only row ends at 10, before t1 = 15: the
    // embargo still covers t1 itself (a label window [d, end] is closed, so the first free decision is after it)
    expect(purgeAround(rows, 6, 15, 0)).toEqual({ purge: [6, 6], embargo: [15, 16] });
    // a row ending exactly at t0 does reach it
    expect(purgeAround(rows, 5, 15, 0).purge).toEqual([0, 5]);
    // rows after the block never count for it
    expect(purgeAround(rows, 6, 15, 2).embargo).toEqual([15, 18]);
  });
});

describe('holdout', () => {
  it('without validation: train then test after the buffer, the train tail purged against the test start', () => {
    const h = holdout(hourly(100), 0, 100 * H, { train: 0.8, validation: 0, test: 0.2, buffer_us: 0 });
    expect(h.segments.map((s) => s.name)).toEqual(['train', 'test']);
    // train [0, 80 h): rows 78 h and 79 h end at 80 h and 81 h, reaching the test start 80 h
    expect(h.segments[0]?.intervals).toEqual([[0, 78 * H]]);
    expect(h.segments[1]?.intervals).toEqual([[80 * H, 100 * H]]);
    expect(h.segments[1]?.rows).toEqual({ A: 20 });
    expect(h.purged_rows).toBe(2);
  });

  it('uses the proportions relative to their sum, rounded to the µs', () => {
    const h = holdout(hourly(10, 0), 0, 10 * H, { train: 3, validation: 1, test: 1, buffer_us: 0 });
    expect(h.segments.map((s) => s.intervals)).toEqual([[[0, 6 * H]], [[6 * H, 8 * H]], [[8 * H, 10 * H]]]);
    expect(h.purged_rows).toBe(0);
    expect(h.segments.map((s) => s.rows['A'])).toEqual([6, 2, 2]);
  });

  it('boundaries are offsets from the range start', () => {
    const from = 1000 * H;
    const h = holdout(hourly(10, 0, 'A', from), from, from + 10 * H, { train: 3, validation: 1, test: 1, buffer_us: 0 });
    expect(h.segments.map((s) => s.intervals)).toEqual([[[from, from + 6 * H]], [[from + 6 * H, from + 8 * H]], [[from + 8 * H, from + 10 * H]]]);
  });

  it('a label shorter than the buffer purges nothing; the buffer starts the later segments', () => {
    const h = holdout(hourly(100, H), 0, 100 * H, { train: 0.6, validation: 0.2, test: 0.2, buffer_us: 2 * H });
    expect(h.segments.map((s) => s.intervals)).toEqual([[[0, 60 * H]], [[62 * H, 80 * H]], [[82 * H, 100 * H]]]);
    expect(h.purged_rows).toBe(0);
  });

  it('validation is purged against the test start, not against its own end', () => {
    // a validation row whose label reaches the test start: 79 h row labelled 3 h ends at 82 h >= 81 h (test start)
    const rows = hourly(100, 0.5 * H);
    rows.push({ symbol: 'B', d: 79 * H, end: 82 * H });
    rows.sort((a, b) => a.d - b.d);
    const h = holdout(rows, 0, 100 * H, { train: 0.6, validation: 0.2, test: 0.2, buffer_us: H });
    expect(h.segments[1]?.intervals).toEqual([[61 * H, 79 * H]]);
    expect(h.segments[0]?.intervals).toEqual([[0, 60 * H]]);
    expect(h.purged_rows).toBe(1);
    expect(Object.keys(h.segments[1]?.rows ?? {})).toEqual(['A']);
  });

  it('refuses a range too short for the buffer, naming the empty segment', () => {
    expect(() => holdout(hourly(10), 0, 10 * H, { train: 0.6, validation: 0.2, test: 0.2, buffer_us: 3 * H })).toThrow(/segment validation is empty/);
    // a buffer exactly as long as the segment leaves it empty too (zero length)
    expect(() => holdout(hourly(10), 0, 10 * H, { train: 0.6, validation: 0.2, test: 0.2, buffer_us: 2 * H })).toThrow(/segment validation is empty/);
  });

  it('counts rows per symbol in symbol order', () => {
    const rows = [...hourly(10, 0, 'B'), ...hourly(10, 0, 'A')];
    const h = holdout(rows, 0, 10 * H, { train: 0.5, validation: 0, test: 0.5, buffer_us: 0 });
    expect(Object.keys(h.segments[0]?.rows ?? {})).toEqual(['A', 'B']);
    expect(h.segments[0]?.rows).toEqual({ A: 5, B: 5 });
  });
});

describe('walk-forward', () => {
  it('expanding windows start at the range start; a buffer sits between train end and test start', () => {
    const rows = hourly(40, 0);
    const folds = walkForward(rows, 0, 40 * H, { train_us: 10 * H, test_us: 10 * H, step_us: 10 * H, window: 'expanding', buffer_us: H });
    expect(folds.map((f) => [f.index, f.train.intervals, f.test.intervals])).toEqual([
      [0, [[0, 10 * H]], [[11 * H, 21 * H]]],
      [1, [[0, 20 * H]], [[21 * H, 31 * H]]],
      [2, [[0, 30 * H]], [[31 * H, 40 * H]]],
    ]);
    expect(folds.map((f) => [f.purged, f.embargoed, f.removed_rows])).toEqual([
      [[], [], 0],
      [[], [], 0],
      [[], [], 0],
    ]);
    expect(folds.map((f) => totalRows(f.test.rows))).toEqual([10, 10, 9]);
  });

  it('leaves out a fold whose test window holds no row and numbers the others consecutively', () => {
    // rows in [0, 10 h) and [20 h, 30 h): the test window [10 h, 15 h) is empty
    const rows = [...hourly(10, 0), ...hourly(10, 0, 'A', 20 * H)];
    const folds = walkForward(rows, 0, 30 * H, { train_us: 5 * H, test_us: 5 * H, step_us: 5 * H, window: 'rolling', buffer_us: 0 });
    expect(folds.map((f) => [f.index, f.test.intervals[0]])).toEqual([
      [0, [5 * H, 10 * H]],
      [1, [20 * H, 25 * H]],
      [2, [25 * H, 30 * H]],
    ]);
    // rolling: the train window is the 5 h before the test window, rows or not
    expect(folds[1]?.train.intervals).toEqual([[15 * H, 20 * H]]);
  });

  it('a label reaching the test start from every train row purges the whole train window, its first row included', () => {
    // labels of 30 h: every row of [10 h, 20 h) reaches the test start 20 h
    const rows = hourly(40, 30 * H);
    const f = walkForward(rows, 0, 40 * H, { train_us: 10 * H, test_us: 10 * H, step_us: 10 * H, window: 'rolling', buffer_us: 0 })[1];
    expect(f?.train.intervals).toEqual([]);
    expect(f?.removed_rows).toBe(10);
    expect([f?.train.name, f?.test.name]).toEqual(['train', 'test']);
  });

  it('a test window whose only row is at its start is a fold', () => {
    const rows = [...hourly(10, 0), { symbol: 'A', d: 20 * H, end: 20 * H }];
    const folds = walkForward(rows, 0, 25 * H, { train_us: 5 * H, test_us: 5 * H, step_us: 5 * H, window: 'rolling', buffer_us: 0 });
    expect(folds.map((f) => f.test.intervals[0])).toEqual([[5 * H, 10 * H], [20 * H, 25 * H]]);
  });

  it('stops once a train end plus the buffer reaches the range end', () => {
    const rows = hourly(30, 0);
    // train ends at 10 h, 20 h; at 30 h nothing is left to test
    const folds = walkForward(rows, 0, 30 * H, { train_us: 10 * H, test_us: 20 * H, step_us: 10 * H, window: 'rolling', buffer_us: 0 });
    expect(folds.map((f) => f.test.intervals)).toEqual([[[10 * H, 30 * H]]]);
    // a buffer that would start the test window exactly at the range end gives no fold
    expect(walkForward(rows, 0, 30 * H, { train_us: 25 * H, test_us: 5 * H, step_us: 5 * H, window: 'rolling', buffer_us: 5 * H })).toEqual([]);
  });
});

describe('purged k-fold and CPCV', () => {
  it('groupBoundaries cuts at the row quantiles, strictly increasing even over equal decision times', () => {
    expect(groupBoundaries(hourly(9, 0), 3, 0, 9 * H)).toEqual([0, 3 * H, 6 * H, 9 * H]);
    // rows in any order
    expect(groupBoundaries(hourly(9, 0).reverse(), 3, 0, 9 * H)).toEqual([0, 3 * H, 6 * H, 9 * H]);
    // all rows at one time: cuts move up by 1 µs each
    const same: LabelledRow[] = Array.from({ length: 6 }, () => ({ symbol: 'A', d: 100, end: 100 }));
    expect(groupBoundaries(same, 3, 0, 1000)).toEqual([0, 100, 101, 1000]);
    expect(() => groupBoundaries([], 2, 0, 10)).toThrow(/not enough rows/);
  });

  it('combinations in lexical order; C(n, k) with k out of range is 0', () => {
    expect([...combinations(4, 2)]).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    expect([...combinations(3, 1)]).toEqual([[0], [1], [2]]);
    expect(combinationCount(5, 0)).toBe(1);
    expect(combinationCount(5, 5)).toBe(1);
    expect(combinationCount(5, 6)).toBe(0);
    expect(combinationCount(5, -1)).toBe(0);
    expect(combinationCount(10, 7)).toBe(120);
  });

  it('allows exactly MAX_CV_FOLDS folds', () => {
    const g = purgedCvFolds(hourly(10), 0, 10 * H, { groups: 1000, test_groups: 1, embargo_us: 0 });
    expect(g.count).toBe(1000);
  });

  it('refuses as many test groups as groups', () => {
    expect(() => purgedCvFolds(hourly(10), 0, 10 * H, { groups: 3, test_groups: 3, embargo_us: 0 })).toThrow(/test groups \(3\) must be fewer than groups \(3\)/);
  });

  it('CPCV: adjacent test groups form one block, purged and embargoed once; the train rows are the rest', () => {
    const rows = hourly(40); // labels 2 h
    const cv = purgedCv(rows, 0, 40 * H, { groups: 4, test_groups: 2, embargo_us: H });
    expect(cv.boundaries).toEqual([0, 10 * H, 20 * H, 30 * H, 40 * H]);
    expect(cv.folds.map((f) => f.test_groups)).toEqual([[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
    const f12 = cv.folds[3];
    expect(f12?.test.intervals).toEqual([[10 * H, 30 * H]]);
    expect(f12?.purged).toEqual([[8 * H, 10 * H]]);
    // the block's last row (29 h) ends at 31 h: embargo to 31 h + 1 µs + 1 h
    expect(f12?.embargoed).toEqual([[30 * H, 32 * H + 1]]);
    expect(f12?.train.intervals).toEqual([[0, 8 * H], [32 * H + 1, 40 * H]]);
    expect(f12?.train.rows).toEqual({ A: 8 + 7 });
    expect(f12?.removed_rows).toBe(2 + 3);
    // two separate blocks: groups 0 and 2
    const f02 = cv.folds[1];
    expect(f02?.test.intervals).toEqual([[0, 10 * H], [20 * H, 30 * H]]);
    expect(f02?.purged).toEqual([[18 * H, 20 * H]]);
    expect(f02?.embargoed).toEqual([[10 * H, 12 * H + 1], [30 * H, 32 * H + 1]]);
    expect(f02?.train.intervals).toEqual([[12 * H + 1, 18 * H], [32 * H + 1, 40 * H]]);
    expect(f02?.removed_rows).toBe(3 + 2 + 3);
    expect(totalRows(f02?.test.rows ?? {})).toBe(20);
    expect(cv.folds.map((f) => f.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect([f02?.train.name, f02?.test.name]).toEqual(['train', 'test']);
  });
});

describe('split-file times', () => {
  it('refuses a time that is not an integer number of µs, and a date that does not exist', () => {
    expect(() => isoMicros(1.5)).toThrow(/not an integer number of microseconds/);
    expect(() => isoMicros(Number.MAX_SAFE_INTEGER + 2)).toThrow(/not an integer/);
    expect(() => parseIsoMicros('2026-13-45T12:00:00Z')).toThrow(/bad time "2026-13-45T12:00:00Z" in split file/);
    expect(() => parseIsoMicros('x2026-03-14T12:00:00Z')).toThrow(/bad time/);
    expect(() => parseIsoMicros('2026-03-14T12:00:00.1234567Z')).toThrow(/bad time/);
    expect(() => parseIsoMicros('2026-03-14T12:00:00Zjunk')).toThrow(/bad time/);
    expect(isoMicros(0)).toBe('1970-01-01T00:00:00.000000Z');
    expect(isoMicros(1_999)).toBe('1970-01-01T00:00:00.001999Z');
    expect(parseIsoMicros('1970-01-01T00:00:01.5Z')).toBe(1_500_000);
  });
});
