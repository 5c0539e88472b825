/**
 * `perpkit stats`: the statistics of src/stats on a researcher's own files.
 * - returns: performance metrics, PSR and MinTRL (and DSR when the number of trials is given) of a
 *   column of per-period returns in a CSV or Parquet file;
 * - pbo: probability of backtest overfitting (CSCV) of a T x N file, one column per strategy;
 * - dsr: deflated Sharpe ratio from summary numbers.
 * Files are read through DuckDB with the path as a prepared parameter. Never prints to stdout.
 */
import { existsSync, statSync } from 'node:fs';
import { STATS_DEFAULTS } from '../domain/defaults.js';
import { resolve } from 'node:path';
import type { ServiceContext } from '../domain/context.js';
import { missingError, usageError, validationError, type PerpkitError } from '../domain/errors.js';
import {
  periodsPerYearFromBarSeconds,
  periodSharpe,
  returnsMetrics,
  type ReturnsMetrics,
} from '../stats/returns.js';
import {
  deannualiseSharpe,
  deannualiseSharpeVariance,
  deflatedSharpeRatio,
  minTrackRecordLength,
  probabilisticSharpeRatio,
} from '../stats/sharpe.js';
import { probabilityOfBacktestOverfitting } from '../stats/pbo.js';
import { execQuery, runQuery, runQueryRows } from '../store/queries.js';

export { STATS_DEFAULTS };

/** Deflated-Sharpe inputs as researchers report them: annualised Sharpe and annualised variance of the trials' Sharpe. */
export interface DsrTrialsOptions {
  /** number of trials N the strategy was selected from */
  trials: number;
  /** variance of the trials' ANNUALISED Sharpe ratios */
  trialsSharpeVariance: number;
}

export interface StatsReturnsOptions {
  kind: 'returns';
  file: string;
  /** returns column, simple per-period returns as fractions */
  column?: string;
  /** time column used to order rows and infer the bar length */
  timeColumn?: string;
  /** position column (signed fraction of capital held over each period) for turnover/trades/exposure */
  positionColumn?: string;
  /** overrides the periods per year inferred from the time column */
  periodsPerYear?: number;
  riskFreeAnnual?: number;
  confidence?: number;
  /** when given, the result carries the deflated Sharpe ratio too */
  dsr?: DsrTrialsOptions;
}

export interface StatsPboOptions {
  kind: 'pbo';
  file: string;
  blocks?: number;
  timeColumn?: string;
}

export interface StatsDsrOptions extends DsrTrialsOptions {
  kind: 'dsr';
  /** annualised Sharpe ratio of the selected strategy */
  sharpe: number;
  periodsPerYear: number;
  /** number of returns T behind the Sharpe ratio */
  observations: number;
  /** moment skewness of the returns; default 0 */
  skewness?: number;
  /** RAW kurtosis of the returns (3 = normal); default 3 */
  kurtosis?: number;
  confidence?: number;
}

export type StatsOptions = StatsReturnsOptions | StatsPboOptions | StatsDsrOptions;

/** Deflated Sharpe section; Sharpe ratios annualised unless named per_period. */
export interface DsrSection {
  sharpe: number;
  sharpe_per_period: number;
  observations: number;
  periods_per_year: number;
  skewness: number;
  /** raw */
  kurtosis: number;
  trials: number;
  /** variance of the trials' annualised Sharpe ratios */
  trials_sharpe_variance: number;
  /** E[max Sharpe] of the trials, annualised: the hurdle SR* */
  expected_max_sharpe: number;
  /** probability that the true Sharpe exceeds SR*; null if undefined (see notes) */
  dsr: number | null;
  /** probability that the true Sharpe exceeds 0 */
  psr: number | null;
  /** returns needed for Sharpe > SR* at `confidence`; null when the Sharpe does not beat SR* */
  min_track_record_length: number | null;
  confidence: number;
  notes: Record<string, string>;
}

export interface StatsReturnsResult {
  kind: 'returns';
  file: string;
  column: string;
  time_column: string | null;
  position_column: string | null;
  /** rows left out because the return (or position) was missing or not finite */
  rows_dropped: number;
  /** where periods_per_year came from */
  periods_per_year_source: string;
  metrics: ReturnsMetrics;
  /** probability that the true Sharpe exceeds 0 (PSR, Bailey and Lopez de Prado 2012) */
  psr: number | null;
  /** returns needed for Sharpe > 0 at `confidence` */
  min_track_record_length: number | null;
  confidence: number;
  dsr: DsrSection | null;
}

export interface StatsPboResult {
  kind: 'pbo';
  file: string;
  time_column: string | null;
  strategy_columns: string[];
  /** non-numeric columns that were not taken as strategies */
  ignored_columns: string[];
  /** numeric columns skipped as times (by name, or integers only increasing with epoch-sized values) */
  time_like_columns: string[];
  pbo: number;
  combinations: number;
  blocks: number;
  block_size: number;
  rows_used: number;
  /** oldest rows left out so that the blocks divide the rows */
  rows_dropped_for_blocks: number;
  /** rows left out because a value was missing or not finite */
  rows_dropped_missing: number;
  strategies: number;
  /** mean of the logits lambda */
  logit_mean: number;
  /** share of combinations where the in-sample best loses out of sample */
  prob_oos_loss: number;
  /** OLS of out-of-sample on in-sample Sharpe (per period) of the selected strategy */
  degradation: { slope: number | null; intercept: number | null; r_squared: number | null };
  /** the strategies most often selected in sample, with their share of combinations */
  most_selected: Array<{ column: string; share: number }>;
}

export interface StatsDsrResult extends DsrSection {
  kind: 'dsr';
}

export type StatsResult = StatsReturnsResult | StatsPboResult | StatsDsrResult;

export async function statsService(options: StatsOptions, ctx: ServiceContext): Promise<StatsResult> {
  switch (options.kind) {
    case 'returns':
      return returnsStats(options, ctx);
    case 'pbo':
      return pboStats(options, ctx);
    case 'dsr':
      return dsrStats(options);
  }
}

// ---------------------------------------------------------------------------------------------
// Reading files

interface ColumnInfo {
  name: string;
  type: string;
}

const NUMERIC_TYPE = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|REAL|DECIMAL.*)$/;
const TIME_LIKE_NAME = /(^|_)(ts|time|timestamp|date|datetime|epoch|unix|open_time|close_time|event_time|available_time)(_?(s|ms|us|ns|sec|millis|micros|nanos))?$/i;

/** Integers, strictly increasing, all at least 1e9 (epoch seconds from 2001 on, or finer units). */
function looksLikeEpoch(values: Array<number | null>): boolean {
  if (values.length < 2) return false;
  let prev = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isInteger(v) || v < 1e9 || v <= prev) return false;
    prev = v;
  }
  return true;
}

const TIME_TYPE = /^(DATE|TIMESTAMP.*|VARCHAR)$/;

/** The query that loads the file into __stats_src: by its name, Parquet or CSV. */
function loadQueryFor(path: string): string {
  return /\.(parquet|pq)$/i.test(path) ? 'stats/load_parquet' : 'stats/load_csv';
}

async function describeFile(file: string, what: string, ctx: ServiceContext): Promise<{ path: string; columns: ColumnInfo[] }> {
  const path = resolve(file);
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw usageError(`${path} is a folder; perpkit stats reads one CSV or Parquet file`, { hint: 'give the path of the file', details: { path } });
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    throw missingError(`no ${what} file at ${path}`, {
      hint: `check the path; perpkit stats reads a CSV or Parquet file (${what === 'returns' ? 'a "returns" column of per-period returns, or name it with --column' : 'one numeric column per strategy, one row per period'})`,
      details: { path },
    });
  }
  const st = statSync(path);
  if (st.isDirectory()) {
    throw usageError(`${path} is a folder; perpkit stats reads one CSV or Parquet file`, { hint: 'give the path of the file', details: { path } });
  }
  const kind = /\.(parquet|pq)$/i.test(path) ? 'Parquet' : 'CSV';
  if (st.size === 0) {
    throw validationError(`${path} is empty (0 bytes): no ${kind} to read`, { hint: 'give a CSV (with a header row) or a Parquet file (.parquet) holding the returns', details: { path } });
  }
  try {
    await execQuery(ctx.db, loadQueryFor(path), { path });
    const rows = await runQuery(ctx.db, 'stats/describe');
    const [count] = await runQuery(ctx.db, 'stats/count');
    const n = Number(count?.['n']);
    if (n === 0) {
      throw validationError(`${path} has no rows (only ${rows.length ? `a header: ${rows.map((r) => String(r['column_name'])).join(', ')}` : 'nothing'})`, {
        hint: `give a ${kind} file with one row per period`,
        details: { path },
      });
    }
    return { path, columns: rows.map((r) => ({ name: String(r['column_name']), type: String(r['column_type']) })) };
  } catch (err) {
    if (err instanceof Error && err.name === 'PerpkitError') throw err;
    throw unreadable(path, kind, err);
  }
}

/** A file DuckDB cannot read (truncated, corrupt, not the format its name says): data refused, exit 3. */
function unreadable(path: string, kind: string, err: unknown): PerpkitError {
  // The engine's wording is kept out of the message: it names its internals, not the user's problem.
  const engine = (err as Error).message.split('\n')[0] ?? '';
  const why = /too small|magic bytes|truncat|end of file/i.test(engine) ? 'truncated or not Parquet' : /sniff|CSV/i.test(engine) ? 'not a CSV perpkit can parse' : 'corrupt or not in its format';
  return validationError(`cannot read ${path} as ${kind}: ${why}`, {
    hint: 'give a CSV (with a header row) or a Parquet file (.parquet); check the file is complete',
    details: { path },
    cause: err,
  });
}

function findColumn(columns: ColumnInfo[], name: string, flag: string, path: string): ColumnInfo {
  const col = columns.find((c) => c.name === name);
  if (!col) {
    throw usageError(`${path} has no column "${name}" (columns: ${columns.map((c) => c.name).join(', ')})`, {
      hint: `name the column with ${flag}`,
      details: { path, column: name, columns: columns.map((c) => c.name) },
    });
  }
  return col;
}

function requireNumeric(col: ColumnInfo, path: string): void {
  if (!NUMERIC_TYPE.test(col.type)) {
    throw usageError(`column "${col.name}" of ${path} is ${col.type}, not numeric`, {
      hint: 'returns and positions must be numbers (fractions: 0.01 = +1 %)',
      details: { path, column: col.name, type: col.type },
    });
  }
}

function pickTimeColumn(columns: ColumnInfo[], explicit: string | undefined, path: string): ColumnInfo | null {
  if (explicit !== undefined) {
    const col = findColumn(columns, explicit, '--time-column', path);
    if (!TIME_TYPE.test(col.type)) {
      throw usageError(`time column "${col.name}" of ${path} is ${col.type}, not a date or timestamp`, {
        hint: 'give a timestamp column, or pass --periods-per-year instead',
        details: { path, column: col.name, type: col.type },
      });
    }
    return col;
  }
  for (const name of STATS_DEFAULTS.timeColumns) {
    const col = columns.find((c) => c.name.toLowerCase() === name && TIME_TYPE.test(c.type));
    if (col) return col;
  }
  return null;
}

/** Reads the time column as epoch seconds and the given numeric columns as doubles, ordered by time. */
async function readColumns(
  path: string,
  time: ColumnInfo | null,
  numeric: string[],
  ctx: ServiceContext,
): Promise<{ time: Array<number | null>; values: Array<Array<number | null>> }> {
  let rows;
  try {
    rows = time
      ? await runQueryRows(ctx.db, 'stats/values_timed', {}, { lists: { numeric, time_col: [time.name] } })
      : await runQueryRows(ctx.db, 'stats/values', {}, { lists: { numeric } });
  } catch (err) {
    throw unreadable(path, /\.(parquet|pq)$/i.test(path) ? 'Parquet' : 'CSV', err);
  } finally {
    await execQuery(ctx.db, 'stats/drop');
  }
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    time: rows.map((r) => (time ? num(r[time.name]) : null)),
    values: numeric.map((c) => rows.map((r) => num(r[c]))),
  };
}

/** Bar length in seconds: the median gap between consecutive timestamps. */
function medianGapSeconds(times: number[]): number | null {
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const g = times[i]! - times[i - 1]!;
    if (g > 0) gaps.push(g);
  }
  if (gaps.length === 0) return null;
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  return gaps.length % 2 === 1 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
}

// ---------------------------------------------------------------------------------------------
// Modes

async function returnsStats(o: StatsReturnsOptions, ctx: ServiceContext): Promise<StatsReturnsResult> {
  const { path, columns } = await describeFile(o.file, 'returns', ctx);
  const columnName = o.column ?? STATS_DEFAULTS.column;
  const col = findColumn(columns, columnName, '--column', path);
  requireNumeric(col, path);
  const posCol = o.positionColumn !== undefined ? findColumn(columns, o.positionColumn, '--position-column', path) : null;
  if (posCol) requireNumeric(posCol, path);
  const timeCol = pickTimeColumn(columns, o.timeColumn, path);

  const data = await readColumns(path, timeCol, posCol ? [col.name, posCol.name] : [col.name], ctx);
  const rets: number[] = [];
  const pos: number[] = [];
  const times: number[] = [];
  let dropped = 0;
  const rv = data.values[0]!;
  const pv = data.values[1];
  for (let i = 0; i < rv.length; i++) {
    const r = rv[i];
    const p = pv ? pv[i] : 0;
    if (r === null || r === undefined || p === null || p === undefined) {
      dropped++;
      continue;
    }
    rets.push(r);
    pos.push(p);
    const t = data.time[i];
    if (t !== null && t !== undefined) times.push(t);
  }
  if (dropped > 0) ctx.log.warn(`${dropped} row(s) of ${path} with a missing or non-finite ${posCol ? 'return or position' : 'return'} were left out`);
  if (rets.length === 0) {
    throw validationError(`column "${col.name}" of ${path} has no finite values (empty, or only NaN/missing)`, {
      hint: 'give a file with at least two finite returns',
      details: { path, column: col.name },
    });
  }

  let ppy: number;
  let source: string;
  if (o.periodsPerYear !== undefined) {
    if (!(o.periodsPerYear > 0)) {
      throw usageError(`--periods-per-year must be > 0, got ${o.periodsPerYear}`, { details: { value: o.periodsPerYear } });
    }
    ppy = o.periodsPerYear;
    source = '--periods-per-year';
  } else {
    const gap = timeCol ? medianGapSeconds(times) : null;
    if (gap === null) {
      throw usageError(`cannot tell the bar length of ${path}: ${timeCol ? `time column "${timeCol.name}" has no increasing timestamps` : 'it has no time column'}`, {
        hint: `pass --periods-per-year (8760 for hourly bars, 525600 for 1-minute bars, 365 for daily), or --time-column`,
        details: { path, columns: columns.map((c) => c.name) },
      });
    }
    ppy = periodsPerYearFromBarSeconds(gap);
    source = `median gap of ${gap} s in "${timeCol!.name}" on a 365-day, 24/7 calendar`;
  }

  const r = Float64Array.from(rets);
  const metrics = returnsMetrics(
    r,
    { periodsPerYear: ppy, riskFreeAnnual: o.riskFreeAnnual ?? 0, varLevel: STATS_DEFAULTS.varLevel },
    posCol ? Float64Array.from(pos) : undefined,
  );
  const confidence = o.confidence ?? STATS_DEFAULTS.confidence;
  const srp = periodSharpe(r);
  const sk = metrics.skewness ?? 0;
  const ku = metrics.kurtosis ?? 3;
  const psr = srp === null ? null : probabilisticSharpeRatio({ sharpe: srp, observations: r.length, skewness: sk, kurtosis: ku });
  const mintrl = srp === null ? null : minTrackRecordLength({ sharpe: srp, skewness: sk, kurtosis: ku }, 0, confidence);
  if (psr === null) metrics.notes['psr'] = srp === null ? (metrics.notes['sharpe'] ?? 'Sharpe undefined') : 'variance factor of the Sharpe estimate is not positive';
  if (mintrl === null) metrics.notes['min_track_record_length'] = srp === null ? (metrics.notes['sharpe'] ?? 'Sharpe undefined') : 'the Sharpe ratio is not above 0: no track record length is enough';

  let dsr: DsrSection | null = null;
  if (o.dsr) {
    if (srp === null) {
      throw usageError(`the Sharpe ratio of "${col.name}" is undefined (${metrics.notes['sharpe'] ?? 'too few returns'}), so there is no deflated Sharpe ratio`, {
        details: { path, column: col.name },
      });
    }
    dsr = dsrSection({
      sharpe: srp * Math.sqrt(ppy),
      periodsPerYear: ppy,
      observations: r.length,
      skewness: sk,
      kurtosis: ku,
      trials: o.dsr.trials,
      trialsSharpeVariance: o.dsr.trialsSharpeVariance,
      confidence,
    });
  }
  return {
    kind: 'returns',
    file: path,
    column: col.name,
    time_column: timeCol?.name ?? null,
    position_column: posCol?.name ?? null,
    rows_dropped: dropped,
    periods_per_year_source: source,
    metrics,
    psr,
    min_track_record_length: mintrl,
    confidence,
    dsr,
  };
}

function dsrSection(o: Omit<StatsDsrOptions, 'kind'>): DsrSection {
  const bad = (flag: string, value: number, need: string): never => {
    throw usageError(`${flag} must be ${need}, got ${value}`, { details: { flag, value } });
  };
  if (!Number.isInteger(o.trials) || o.trials < 1) bad('--trials', o.trials, 'an integer >= 1');
  if (!(o.trialsSharpeVariance >= 0)) bad('--trials-sharpe-variance', o.trialsSharpeVariance, '>= 0');
  if (!(o.periodsPerYear > 0)) bad('--periods-per-year', o.periodsPerYear, '> 0');
  if (!Number.isInteger(o.observations) || o.observations < 2) bad('--observations', o.observations, 'an integer >= 2');
  if (o.confidence !== undefined && !(o.confidence > 0 && o.confidence < 1)) bad('--confidence', o.confidence, 'in (0, 1)');
  const ppy = o.periodsPerYear;
  const skew = o.skewness ?? 0;
  const kurt = o.kurtosis ?? 3;
  const confidence = o.confidence ?? STATS_DEFAULTS.confidence;
  const sr = deannualiseSharpe(o.sharpe, ppy);
  const d = deflatedSharpeRatio({
    sharpe: sr,
    observations: o.observations,
    skewness: skew,
    kurtosis: kurt,
    trials: o.trials,
    trialsSharpeVariance: deannualiseSharpeVariance(o.trialsSharpeVariance, ppy),
  });
  const moments = { sharpe: sr, observations: o.observations, skewness: skew, kurtosis: kurt };
  const psr = probabilisticSharpeRatio(moments, 0);
  const mintrl = minTrackRecordLength(moments, d.expected_max_sharpe, confidence);
  const notes: Record<string, string> = {};
  const undefinedReason =
    o.observations < 2 ? 'fewer than 2 observations' : '1 - skewness * SR + (kurtosis - 1) / 4 * SR^2 is not positive (inconsistent moments)';
  if (d.dsr === null) notes['dsr'] = undefinedReason;
  if (psr === null) notes['psr'] = undefinedReason;
  if (mintrl === null) notes['min_track_record_length'] = 'the Sharpe ratio does not exceed the expected maximum of the trials: no track record length is enough';
  return {
    sharpe: o.sharpe,
    sharpe_per_period: sr,
    observations: o.observations,
    periods_per_year: ppy,
    skewness: skew,
    kurtosis: kurt,
    trials: o.trials,
    trials_sharpe_variance: o.trialsSharpeVariance,
    expected_max_sharpe: d.expected_max_sharpe * Math.sqrt(ppy),
    dsr: d.dsr,
    psr,
    min_track_record_length: mintrl,
    confidence,
    notes,
  };
}

function dsrStats(o: StatsDsrOptions): StatsDsrResult {
  return { kind: 'dsr', ...dsrSection(o) };
}

async function pboStats(o: StatsPboOptions, ctx: ServiceContext): Promise<StatsPboResult> {
  const { path, columns } = await describeFile(o.file, 'strategy returns', ctx);
  const timeCol = pickTimeColumn(columns, o.timeColumn, path);
  const timeNames = new Set<string>(STATS_DEFAULTS.timeColumns);
  // A numeric column named like a time (ts, epoch_ms, open_time...) is a clock, not a strategy.
  const timeLike = columns.filter((c) => NUMERIC_TYPE.test(c.type) && c !== timeCol && (timeNames.has(c.name.toLowerCase()) || TIME_LIKE_NAME.test(c.name)));
  let strategy = columns.filter((c) => NUMERIC_TYPE.test(c.type) && c !== timeCol && !timeLike.includes(c));
  const ignored = columns.filter((c) => !strategy.includes(c) && c !== timeCol && !timeLike.includes(c)).map((c) => c.name);
  if (strategy.length < 2) {
    throw usageError(`${path} has ${strategy.length} numeric strategy column(s); PBO needs at least 2`, {
      hint: 'give a T x N table: one row per period, one numeric column of returns per strategy configuration',
      details: { path, columns: columns.map((c) => c.name) },
    });
  }
  const blocks = o.blocks ?? STATS_DEFAULTS.blocks;
  const data = await readColumns(
    path,
    timeCol,
    strategy.map((c) => c.name),
    ctx,
  );
  // ... and so is an integer column that only increases and holds epoch-sized values (seconds or finer).
  const byContent = strategy.filter((_, j) => looksLikeEpoch(data.values[j]!));
  if (byContent.length) {
    const keepIdx = strategy.map((c, j) => (byContent.includes(c) ? -1 : j)).filter((j) => j >= 0);
    data.values = keepIdx.map((j) => data.values[j]!);
    strategy = keepIdx.map((j) => strategy[j]!);
    timeLike.push(...byContent);
  }
  if (timeLike.length) {
    ctx.log.warn(`${path}: time-like column(s) ${timeLike.map((c) => c.name).join(', ')} skipped, not taken as strategies`);
  }
  if (strategy.length < 2) {
    throw usageError(`${path} has ${strategy.length} numeric strategy column(s); PBO needs at least 2${timeLike.length ? ` (time-like columns ${timeLike.map((c) => c.name).join(', ')} are not strategies)` : ''}`, {
      hint: 'give a T x N table: one row per period, one numeric column of returns per strategy configuration',
      details: { path, columns: columns.map((c) => c.name), time_like_columns: timeLike.map((c) => c.name) },
    });
  }
  const N = strategy.length;
  const T0 = data.values[0]!.length;
  const keep: number[] = [];
  for (let t = 0; t < T0; t++) if (data.values.every((col) => col[t] !== null && col[t] !== undefined)) keep.push(t);
  const droppedMissing = T0 - keep.length;
  if (droppedMissing > 0) ctx.log.warn(`${droppedMissing} row(s) of ${path} with a missing or non-finite value were left out`);
  const values = new Float64Array(keep.length * N);
  keep.forEach((t, i) => {
    for (let j = 0; j < N; j++) values[i * N + j] = data.values[j]![t]!;
  });
  if (!Number.isInteger(blocks) || blocks < 2 || blocks % 2 !== 0) {
    throw usageError(`--blocks must be an even integer >= 2, got ${blocks}`, { details: { blocks } });
  }
  let r;
  try {
    r = probabilityOfBacktestOverfitting({ values, rows: keep.length, cols: N }, { blocks });
  } catch (err) {
    if (err instanceof RangeError) {
      throw usageError(`cannot compute PBO of ${path}: ${err.message}`, {
        hint: 'use fewer --blocks or more rows',
        details: { path, rows: keep.length, blocks },
      });
    }
    throw err;
  }
  const counts = new Map<number, number>();
  for (const j of r.selected) counts.set(j, (counts.get(j) ?? 0) + 1);
  const most = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, 5)
    .map(([j, n]) => ({ column: strategy[j]!.name, share: n / r.combinations }));
  let logitSum = 0;
  for (const l of r.logits) logitSum += l;
  return {
    kind: 'pbo',
    file: path,
    time_column: timeCol?.name ?? null,
    strategy_columns: strategy.map((c) => c.name),
    ignored_columns: ignored,
    time_like_columns: timeLike.map((c) => c.name),
    pbo: r.pbo,
    combinations: r.combinations,
    blocks: r.blocks,
    block_size: r.block_size,
    rows_used: r.rows_used,
    rows_dropped_for_blocks: r.rows_dropped,
    rows_dropped_missing: droppedMissing,
    strategies: N,
    logit_mean: logitSum / r.combinations,
    prob_oos_loss: r.prob_oos_loss,
    degradation: r.degradation,
    most_selected: most,
  };
}
