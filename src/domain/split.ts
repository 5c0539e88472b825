import { z } from 'zod';

/**
 * Splits of labelled decision rows into train / validation / test, walk-forward folds, purged
 * k-fold and combinatorial purged CV (Lopez de Prado, Advances in Financial Machine Learning, ch. 7
 * and 12). Pure functions: times are epoch microseconds; intervals are half-open [start, end).
 *
 * A row is a decision (symbol, decision_time d) whose label window is [d, label_end]. Purging
 * removes training rows whose label window overlaps the test block's span (its first decision to
 * the last label end in it); the embargo removes training rows that start within `embargo` after
 * a test block. Both are expressed as time intervals that training excludes, so a reader applies a
 * split by decision_time alone and the exclusion is conservative (a whole time range, all symbols).
 */

export const SCHEMES = ['holdout', 'walk-forward', 'purged-kfold', 'cpcv'] as const;
export type Scheme = (typeof SCHEMES)[number];

export interface LabelledRow {
  symbol: string;
  /** decision time, µs */
  d: number;
  /** end of the longest label window of the row, µs */
  end: number;
}

export type Interval = [number, number];

export interface Segment {
  name: string;
  /** decision times of the segment: union of half-open intervals */
  intervals: Interval[];
  rows: Record<string, number>;
}

export interface Fold {
  index: number;
  /** test group indices (k-fold: one; CPCV: several) */
  test_groups?: number[];
  train: Segment;
  test: Segment;
  /** decision-time ranges removed from training: purge before, embargo after each test block */
  purged: Interval[];
  embargoed: Interval[];
  /** training rows removed by purge and embargo */
  removed_rows: number;
}

export const HoldoutParams = z.object({
  train: z.number().positive().default(0.6),
  validation: z.number().nonnegative().default(0.2),
  test: z.number().positive().default(0.2),
  /** gap between consecutive segments, µs */
  buffer_us: z.number().nonnegative(),
});

export const WalkForwardParams = z.object({
  train_us: z.number().positive(),
  test_us: z.number().positive(),
  step_us: z.number().positive(),
  window: z.enum(['rolling', 'expanding']).default('rolling'),
  /** gap between a train window's end and its test window's start, µs */
  buffer_us: z.number().nonnegative(),
});

export const KFoldParams = z.object({
  groups: z.number().int().min(2),
  /** test groups per split: 1 for purged k-fold, p for CPCV */
  test_groups: z.number().int().min(1),
  embargo_us: z.number().nonnegative(),
});

const countBySymbol = (rows: LabelledRow[], inSeg: (r: LabelledRow) => boolean): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const r of rows) if (inSeg(r)) out[r.symbol] = (out[r.symbol] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
};

export const inIntervals = (t: number, iv: Interval[]): boolean => iv.some(([a, b]) => t >= a && t < b);

/** Removes the parts of `base` covered by any of `cut`. */
export function subtract(base: Interval[], cut: Interval[]): Interval[] {
  let out = base.map((x) => [...x] as Interval);
  for (const [ca, cb] of cut) {
    const next: Interval[] = [];
    for (const [a, b] of out) {
      if (cb <= a || ca >= b) next.push([a, b]);
      else {
        if (ca > a) next.push([a, ca]);
        if (cb < b) next.push([cb, b]);
      }
    }
    out = next;
  }
  return out.filter(([a, b]) => b > a);
}

export function mergeIntervals(iv: Interval[]): Interval[] {
  const s = [...iv].sort((x, y) => x[0] - y[0]);
  const out: Interval[] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else out.push([a, b]);
  }
  return out;
}

function segment(name: string, intervals: Interval[], rows: LabelledRow[]): Segment {
  const iv = mergeIntervals(intervals);
  return { name, intervals: iv, rows: countBySymbol(rows, (r) => inIntervals(r.d, iv)) };
}

/**
 * Purge and embargo around one test block [t0, t1) of decision times: training may not hold a row
 * whose label window [d, end] reaches t0 or later while d is before the block's last label end,
 * nor a row starting within the embargo after the block. Returns the excluded time ranges.
 */
export function purgeAround(rows: LabelledRow[], t0: number, t1: number, embargoUs: number): { purge: Interval; embargo: Interval } {
  const inBlock = rows.filter((r) => r.d >= t0 && r.d < t1);
  const lastEnd = inBlock.reduce((m, r) => Math.max(m, r.end), t1);
  // earliest decision before the block whose label window reaches into it
  const firstOverlap = rows.filter((r) => r.d < t0 && r.end >= t0).reduce((m, r) => Math.min(m, r.d), t0);
  // rows after the block whose decision falls inside the block's label span overlap it too
  return { purge: [firstOverlap, t0], embargo: [t1, Math.max(t1, lastEnd + 1) + embargoUs] };
}

export function holdout(rows: LabelledRow[], from: number, to: number, p: z.infer<typeof HoldoutParams>): { segments: Segment[]; purged_rows: number } {
  const total = p.train + p.validation + p.test;
  const span = to - from;
  const t1 = from + Math.round((span * p.train) / total);
  const t2 = from + Math.round((span * (p.train + p.validation)) / total);
  // Buffers sit at the start of the later segment; purging then removes any earlier row whose
  // label still reaches the next segment (a label longer than the buffer, or a gap-delayed exit).
  const trainIv: Interval[] = [[from, t1]];
  const valIv: Interval[] = p.validation > 0 ? [[t1 + p.buffer_us, t2]] : [];
  const testStart = (p.validation > 0 ? t2 : t1) + p.buffer_us;
  const testIv: Interval[] = [[testStart, to]];
  const nextStartOf = (iv: Interval[]): number => (iv === trainIv ? (valIv[0]?.[0] ?? testStart) : testStart);
  let purged = 0;
  const purgeTail = (iv: Interval[]): Interval[] => {
    const next = nextStartOf(iv);
    const overlap = rows.filter((r) => inIntervals(r.d, iv) && r.end >= next);
    purged += overlap.length;
    if (overlap.length === 0) return iv;
    const cut = Math.min(...overlap.map((r) => r.d));
    return subtract(iv, [[cut, Number.MAX_SAFE_INTEGER]]);
  };
  const train = purgeTail(trainIv);
  const val = valIv.length ? purgeTail(valIv) : [];
  const segs = [segment('train', train, rows), ...(p.validation > 0 ? [segment('validation', val, rows)] : []), segment('test', testIv, rows)];
  for (const s of segs) if (s.intervals.length === 0 || s.intervals.every(([a, b]) => b <= a)) throw new Error(`segment ${s.name} is empty: the range is too short for the buffer`);
  return { segments: segs, purged_rows: purged };
}

export function walkForward(rows: LabelledRow[], from: number, to: number, p: z.infer<typeof WalkForwardParams>): Fold[] {
  return [...walkForwardFolds(rows, from, to, p)];
}

/** Walk-forward folds one at a time, so a caller can stay responsive (signals) between folds. */
export function* walkForwardFolds(rows: LabelledRow[], from: number, to: number, p: z.infer<typeof WalkForwardParams>): Generator<Fold> {
  let index = 0;
  // A fold whose test window holds no row (a gap in the data) is left out.
  for (let trainEnd = from + p.train_us; trainEnd + p.buffer_us < to; trainEnd += p.step_us) {
    const testStart = trainEnd + p.buffer_us;
    const testEnd = Math.min(testStart + p.test_us, to);
    const trainStart = p.window === 'rolling' ? trainEnd - p.train_us : from;
    const { purge } = purgeAround(rows, testStart, testEnd, 0);
    const trainIv = subtract([[trainStart, trainEnd]], [purge]);
    const removed = rows.filter((r) => r.d >= trainStart && r.d < trainEnd && !inIntervals(r.d, trainIv)).length;
    const hasTest = rows.some((r) => r.d >= testStart && r.d < testEnd);
    if (hasTest) yield {
      index: index++,
      train: segment('train', trainIv, rows),
      test: segment('test', [[testStart, testEnd]], rows),
      purged: purge[1] > purge[0] ? [purge] : [],
      embargoed: [],
      removed_rows: removed,
    };
    if (testEnd >= to) break;
  }
}

/** k contiguous groups of decision times with (nearly) equal row counts. */
export function groupBoundaries(rows: LabelledRow[], groups: number, from: number, to: number): number[] {
  const ds = rows.map((r) => r.d).sort((a, b) => a - b);
  const cuts = [from];
  for (let g = 1; g < groups; g++) {
    const d = ds[Math.floor((g * ds.length) / groups)];
    if (d === undefined) throw new Error('not enough rows for the groups');
    cuts.push(Math.max(d, (cuts[cuts.length - 1] as number) + 1));
  }
  cuts.push(to);
  return cuts;
}

export function* combinations(n: number, k: number): Generator<number[]> {
  const c = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield [...c];
    let i = k - 1;
    while (i >= 0 && c[i] === n - k + i) i--;
    if (i < 0) return;
    c[i] = (c[i] as number) + 1;
    for (let j = i + 1; j < k; j++) c[j] = (c[j - 1] as number) + 1;
  }
}

/**
 * Most folds a purged k-fold or CPCV split may have. Every fold is a train/test evaluation later
 * (and a trial in the ledger), and computing one costs a pass over the rows per test block, so a
 * count far above this is a typo (--groups 40 --test-groups 20 is 137,846,528,820 folds), not a
 * plan. C(12,6) = 924 fits; C(14,7) = 3,432 does not.
 */
export const MAX_CV_FOLDS = 1_000;

/** C(n, k) as a number (exact below 2^53, which covers every count compared with MAX_CV_FOLDS). */
export function combinationCount(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let c = 1;
  for (let i = 1; i <= Math.min(k, n - k); i++) c = (c * (n - Math.min(k, n - k) + i)) / i;
  return Math.round(c);
}

/** Purged k-fold (test_groups 1) and combinatorial purged CV (test_groups p). */
export function purgedCv(rows: LabelledRow[], from: number, to: number, p: z.infer<typeof KFoldParams>): { boundaries: number[]; folds: Fold[] } {
  const g = purgedCvFolds(rows, from, to, p);
  return { boundaries: g.boundaries, folds: [...g.folds] };
}

/**
 * The group boundaries and a generator of the folds (one per combination of test groups), so a
 * caller can check for interruption between folds. Refuses more than MAX_CV_FOLDS folds up front.
 */
export function purgedCvFolds(rows: LabelledRow[], from: number, to: number, p: z.infer<typeof KFoldParams>): { boundaries: number[]; count: number; folds: Generator<Fold> } {
  if (p.test_groups >= p.groups) throw new Error(`test groups (${p.test_groups}) must be fewer than groups (${p.groups})`);
  const count = combinationCount(p.groups, p.test_groups);
  if (count > MAX_CV_FOLDS) throw new Error(`${p.groups} groups with ${p.test_groups} test groups make ${count.toLocaleString('en-US')} folds; the limit is ${MAX_CV_FOLDS.toLocaleString('en-US')}`);
  const b = groupBoundaries(rows, p.groups, from, to);
  return { boundaries: b, count, folds: cvFolds(rows, from, to, p, b) };
}

function* cvFolds(rows: LabelledRow[], from: number, to: number, p: z.infer<typeof KFoldParams>, b: number[]): Generator<Fold> {
  let i = 0;
  for (const testGroups of combinations(p.groups, p.test_groups)) {
    const testIv: Interval[] = mergeIntervals(testGroups.map((g) => [b[g] as number, b[g + 1] as number]));
    const purged: Interval[] = [];
    const embargoed: Interval[] = [];
    for (const [t0, t1] of testIv) {
      const { purge, embargo } = purgeAround(rows, t0, t1, p.embargo_us);
      if (purge[1] > purge[0]) purged.push(purge);
      embargoed.push(embargo);
    }
    const trainIv = subtract(subtract([[from, to]], testIv), [...purged, ...embargoed]);
    const removed = rows.filter((r) => !inIntervals(r.d, testIv) && !inIntervals(r.d, trainIv)).length;
    yield {
      index: i++,
      test_groups: testGroups,
      train: segment('train', trainIv, rows),
      test: segment('test', testIv, rows),
      purged: mergeIntervals(purged),
      embargoed: mergeIntervals(embargoed),
      removed_rows: removed,
    };
  }
}

/**
 * Times as stored in split files: ISO-8601 UTC with microseconds ("2026-03-14T12:00:00.000001Z"),
 * so boundaries computed in µs read back to the same µs (a millisecond ISO string moved a
 * boundary such as "last decision + 1 µs" onto the last decision and lost its rows).
 */
export function isoMicros(us: number): string {
  if (!Number.isSafeInteger(us)) throw new Error(`time ${us} is not an integer number of microseconds`);
  const ms = Math.floor(us / 1000);
  const rest = us - ms * 1000;
  return new Date(ms).toISOString().replace(/Z$/, `${String(rest).padStart(3, '0')}Z`);
}

/** Inverse of isoMicros; also reads the millisecond strings of older split files. */
export function parseIsoMicros(text: string): number {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?Z$/.exec(text);
  if (!m) throw new Error(`bad time ${JSON.stringify(text)} in split file`);
  const whole = Date.parse(`${m[1]}Z`);
  if (Number.isNaN(whole)) throw new Error(`bad time ${JSON.stringify(text)} in split file`);
  return whole * 1000 + Number((m[2] ?? '').padEnd(6, '0'));
}

/** Total rows of a per-symbol count. */
export const totalRows = (r: Record<string, number>): number => Object.values(r).reduce((a, b) => a + b, 0);
