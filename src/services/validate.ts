import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { listValue, timestampValue, type DuckDBValue } from '@duckdb/node-api';
import type { ServiceContext } from '../domain/context.js';
import { BAR_TIMEFRAMES, DATASETS, DATASET_NAMES, isSlug, type DatasetName } from '../domain/datasets.js';
import { missingError, usageError } from '../domain/errors.js';
import { parseUtc } from '../domain/time.js';
import {
  CHECK_NAMES,
  SEVERITY_RANK,
  resolveChecks,
  type CheckName,
  type Closure,
  type ResolvedCheck,
  type Severity,
  type ValidateConfig,
  DEFAULT_VALIDATE_CONFIG,
} from '../domain/validate-config.js';
import { datasetFiles, listOf, writeTable, type WriteResult } from '../store/dataset.js';
import type { SqlParams } from '../store/duckdb.js';
import { allParquetFiles, corruptFileFromEngineError, findCorruptFiles, probeParquetFiles, quarantineFiles, type QuarantinedFile } from '../store/integrity.js';
import { execQuery, runQuery } from '../store/queries.js';
import { runStep, StepError } from '../store/steps.js';

/** Datasets validate can check (market data; instruments are read as metadata, quarantine is its output). */
export const VALIDATED_DATASETS = DATASET_NAMES.filter((n) => n !== 'instruments' && n !== 'quarantine');

/** Checks whose rows are ranges, not stored rows: they can be reported but never quarantined. */
const RANGE_CHECKS: readonly CheckName[] = ['spot_reference_missing', 'mark_index_missing'];

export interface ValidateOptions {
  /** data dir */
  root: string;
  datasets?: string[];
  venue?: string[];
  /** symbols (BTC-PERP) or base assets (BTC = every BTC symbol) */
  symbols?: string[];
  /** the run fails when a check at or above this severity finds rows (default error) */
  failOn?: Severity;
  config?: ValidateConfig;
}

export interface Example {
  row_key: string;
  event_time: string;
  reason: string;
}

/** Findings of one check on one series (dataset, venue, symbol). */
export interface Finding {
  dataset: string;
  venue: string;
  symbol: string;
  check: CheckName;
  query: string;
  severity: Severity;
  quarantined: boolean;
  count: number;
  first_event_time: string;
  last_event_time: string;
  examples: Example[];
}

export interface CheckRun {
  check: CheckName;
  query: string;
  severity: Severity;
  quarantine: boolean;
  enabled: boolean;
  /** rows found over the whole scope (0 = pass) */
  count: number;
}

export interface ValidateResult {
  data_dir: string;
  /** when the run started, ISO-8601 UTC */
  run_time: string;
  report_path: string;
  fail_on: Severity;
  /** a check at or above fail_on found rows, or damaged files were set aside: the command exits 3 */
  failed: boolean;
  /** damaged Parquet files (0 bytes, truncated) found anywhere in the data dir and moved aside this run */
  corrupt_files: QuarantinedFile[];
  failing_checks: CheckName[];
  scope: { datasets: string[]; venue: string[] | null; symbols: string[] | null; series: Array<{ dataset: string; venue: string; symbol: string; files: number }> };
  summary: Record<Severity, number>;
  checks: CheckRun[];
  findings: Finding[];
  quarantine: { rows: number; by_check: Record<string, number>; writes: WriteResult[] };
  skipped: Array<{ query: string; dataset: string; reason: string }>;
  config: ValidateConfig;
  elapsed_ms: number;
}

interface QuerySpec {
  query: string;
  datasets: readonly DatasetName[];
  checks: readonly CheckName[];
}

/** Every validation query, the datasets it runs on and the checks it may emit. */
export const VALIDATION_QUERIES: readonly QuerySpec[] = [
  { query: 'validate/duplicates', datasets: VALIDATED_DATASETS, checks: ['duplicate_key'] },
  {
    query: 'validate/clocks',
    datasets: VALIDATED_DATASETS,
    checks: ['available_before_event', 'event_in_future', 'implausible_time', 'time_precision_loss'],
  },
  { query: 'validate/timestamps', datasets: VALIDATED_DATASETS, checks: ['non_monotonic_time', 'wrong_partition'] },
  { query: 'validate/bars_alignment', datasets: ['bars'], checks: ['misaligned_time'] },
  { query: 'validate/bars_ohlc', datasets: ['bars'], checks: ['nonfinite_value', 'nonpositive_price', 'ohlc_inconsistent', 'negative_volume'] },
  { query: 'validate/bars_gaps', datasets: ['bars'], checks: ['bar_gap', 'bar_missing', 'known_closure'] },
  { query: 'validate/bars_outliers', datasets: ['bars'], checks: ['price_outlier', 'price_outlier_unconfirmed', 'outlier_confirmed'] },
  {
    query: 'validate/funding_schedule',
    datasets: ['funding'],
    checks: ['funding_nonfinite', 'funding_off_schedule', 'funding_out_of_bounds', 'funding_missing'],
  },
  { query: 'validate/funding_cross_source', datasets: ['funding'], checks: ['funding_cross_source'] },
  { query: 'validate/predicted_funding', datasets: ['derivative_ticker'], checks: ['predicted_funding_stale', 'predicted_funding_mixup'] },
  { query: 'validate/coverage', datasets: ['bars'], checks: ['spot_reference_missing', 'mark_index_missing'] },
];

/** Columns every validation query returns, in order. */
interface Series {
  venue: string;
  symbol: string;
}

interface InstrumentInfo {
  venue: string;
  symbol: string;
  kind: string;
  spot_venue: string | null;
  spot_symbol: string | null;
  funding_interval_hours: number | null;
}

const seriesOf = (file: string): Series => ({
  venue: /\/venue=([^/]+)\//.exec(file)?.[1] ?? '',
  symbol: /\/symbol=([^/]+)\//.exec(file)?.[1] ?? '',
});

function symbolMatches(filter: string[] | undefined, symbol: string): boolean {
  if (!filter || filter.length === 0) return true;
  return filter.some((f) => f === symbol || symbol.startsWith(`${f}-`));
}

const ts = (us: number): DuckDBValue => timestampValue(BigInt(us));

/** UTC offset of a time zone at an instant, milliseconds (local = utc + offset). */
function tzOffsetMs(tz: string, utcMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(utcMs));
  const get = (t: string): number => Number(parts.find((p) => p.type === t)?.value ?? 0);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return local - Math.floor(utcMs / 1000) * 1000;
}

/**
 * Every occurrence of the venues' weekly closures that starts within [fromMs - 8 days, toMs + 8 days],
 * as UTC instants (daylight saving of the closure's time zone applied).
 */
export function closureOccurrences(closures: readonly Closure[], fromMs: number, toMs: number): Array<{ venue: string; start: string; end: string }> {
  const out: Array<{ venue: string; start: string; end: string }> = [];
  const DAY = 86_400_000;
  for (const c of closures) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: c.tz });
    } catch {
      throw usageError(`closure of ${c.venue}: unknown time zone ${JSON.stringify(c.tz)}`, { hint: 'use an IANA name such as America/New_York or UTC' });
    }
    const [hh, mm] = c.start.split(':').map(Number) as [number, number];
    const first = Math.floor((fromMs - 8 * DAY) / DAY) * DAY;
    for (let day = first; day <= toMs + 8 * DAY; day += DAY) {
      const d = new Date(day);
      if (d.getUTCDay() !== c.weekday) continue;
      // Local wall time of that calendar day -> UTC, corrected once for the offset at the result.
      const wall = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hh, mm);
      let utc = wall - tzOffsetMs(c.tz, wall);
      utc = wall - tzOffsetMs(c.tz, utc);
      out.push({ venue: c.venue, start: new Date(utc).toISOString(), end: new Date(utc + c.duration_minutes * 60_000).toISOString() });
    }
  }
  return out;
}

/** Report file name for a run time: reports/validate-20261122T120000Z.json. */
function reportName(runMs: number): string {
  return `validate-${new Date(runMs).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}.json`;
}

export async function validateData(opts: ValidateOptions, ctx: ServiceContext): Promise<ValidateResult> {
  // Files set aside by a first attempt are reported by the second.
  const moved: QuarantinedFile[] = [];
  try {
    return await runValidation(opts, ctx, false, moved);
  } catch (err) {
    const corrupt = corruptFileFromEngineError(err, opts.root);
    if (!corrupt || !existsSync(opts.root)) throw corrupt ?? err;
    // A data page damaged between intact ends surfaced while checking: decode every file to find
    // it, set it aside with the others, and check again.
    ctx.log.warn('validate: a Parquet file failed to decode; reading every file to find it');
    try {
      return await runValidation(opts, ctx, true, moved);
    } catch (again) {
      throw corruptFileFromEngineError(again, opts.root) ?? again;
    }
  }
}

async function runValidation(opts: ValidateOptions, ctx: ServiceContext, deep: boolean, moved: QuarantinedFile[]): Promise<ValidateResult> {
  const started = ctx.clock.now();
  const config = opts.config ?? DEFAULT_VALIDATE_CONFIG;
  const failOn = opts.failOn ?? 'error';
  let checks: Record<CheckName, ResolvedCheck>;
  try {
    checks = resolveChecks(config);
  } catch (err) {
    throw usageError(`validate config: ${(err as Error).message}`);
  }
  for (const c of RANGE_CHECKS) {
    if (checks[c].quarantine) throw usageError(`validate config: ${c} reports ranges of missing data and cannot quarantine rows`);
  }
  const datasets = (opts.datasets ?? [...VALIDATED_DATASETS]) as DatasetName[];
  for (const d of datasets) {
    if (!(VALIDATED_DATASETS as readonly string[]).includes(d)) {
      throw usageError(`unknown dataset ${JSON.stringify(d)} for validate`, { hint: `datasets validate checks: ${VALIDATED_DATASETS.join(', ')}` });
    }
  }
  for (const [flag, values] of [['venue', opts.venue], ['symbols', opts.symbols]] as const) {
    for (const v of values ?? []) {
      if (!isSlug(v)) throw usageError(`--${flag} value ${JSON.stringify(v)} is not a valid name (letters, digits, - _ . only)`);
    }
  }
  if (!existsSync(opts.root)) {
    throw missingError(`data dir ${opts.root} does not exist`, {
      hint: 'run "perpkit fetch --source sample" to load the bundled sample, or pass --data-dir',
    });
  }

  // Damaged files anywhere in the data dir block every read: set them aside first, then check the rest.
  const everyFile = allParquetFiles(opts.root);
  const byteProblems = findCorruptFiles(everyFile);
  const damaged = new Set(byteProblems.map((p) => p.file));
  const decodeProblems = await probeParquetFiles(ctx.db, everyFile.filter((f) => !damaged.has(f)), deep, ctx.signal);
  const fresh = await quarantineFiles(opts.root, [...byteProblems, ...decodeProblems], started);
  moved.push(...fresh);
  const corrupt = [...moved];
  for (const c of fresh) ctx.log.warn(`validate: ${c.file} ${c.reason}; moved to ${c.moved_to}`);

  // Files in scope, per dataset.
  const scoped: Partial<Record<DatasetName, string[]>> = {};
  const seriesList: ValidateResult['scope']['series'] = [];
  for (const d of datasets) {
    const files = (await datasetFiles(opts.root, DATASETS[d], opts.venue ? { venue: opts.venue } : {})).filter((f) =>
      symbolMatches(opts.symbols, seriesOf(f).symbol),
    );
    if (files.length === 0) continue;
    scoped[d] = files;
    const counts = new Map<string, number>();
    for (const f of files) {
      const s = seriesOf(f);
      const k = `${s.venue}\u0000${s.symbol}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const [k, n] of [...counts.entries()].sort()) {
      const [venue, symbol] = k.split('\u0000') as [string, string];
      seriesList.push({ dataset: d, venue, symbol, files: n });
    }
  }
  if (seriesList.length === 0 && corrupt.length === 0 && (opts.venue || opts.symbols)) {
    // data is stored, only not for the venue or symbols asked: a usage error naming what there is
    const stored = new Set<string>();
    for (const d of datasets) for (const f of await datasetFiles(opts.root, DATASETS[d])) stored.add(`${seriesOf(f).venue}/${seriesOf(f).symbol}`);
    if (stored.size > 0) {
      const flag = opts.symbols ? 'symbols' : 'venue';
      throw usageError(`--${flag} must name ${flag === 'symbols' ? 'symbols' : 'a venue'} stored under ${opts.root}, got ${(opts.symbols ?? opts.venue ?? []).join(',')}`, {
        hint: `stored: ${[...stored].sort().join(', ')}`,
        details: { flag, value: opts.symbols ?? opts.venue, accepted: [...stored].sort() },
      });
    }
  }
  if (seriesList.length === 0 && corrupt.length === 0) {
    throw missingError(
      `no ${datasets.join('/')} data under ${opts.root}${opts.venue ? ` for venue ${opts.venue.join(',')}` : ''}${
        opts.symbols ? ` for symbols ${opts.symbols.join(',')}` : ''
      }`,
      { hint: 'run "perpkit fetch --source sample" first, or check --venue/--symbols' },
    );
  }

  const instruments = await loadInstruments(ctx, opts.root);
  const perps = instruments.filter((i) => i.kind === 'perp' || i.kind === 'future');
  const spotRefs = perps.filter((i) => i.spot_venue && i.spot_symbol);
  const allBars = await datasetFiles(opts.root, DATASETS.bars);
  const barsOf = (pairs: Series[]): string[] =>
    allBars.filter((f) => {
      const s = seriesOf(f);
      return pairs.some((p) => p.venue === s.venue && p.symbol === s.symbol);
    });

  await execQuery(ctx.db, 'validate/findings_create');
  const skipped: ValidateResult['skipped'] = [];
  const tfNames = Object.keys(BAR_TIMEFRAMES);
  const tfParams = { tf_names: listOf(tfNames), tf_secs: listValueBig(tfNames.map((t) => BAR_TIMEFRAMES[t] as number)) };

  for (const spec of VALIDATION_QUERIES) {
    if (!spec.checks.some((c) => checks[c].enabled)) continue;
    for (const d of spec.datasets) {
      const files = scoped[d];
      if (!files || !datasets.includes(d)) continue;
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const keyCols = listOf([...DATASETS[d].naturalKey]);
      let params: SqlParams;
      switch (spec.query) {
        case 'validate/duplicates':
          params = { files: listOf(files), dataset: d, key_cols: keyCols };
          break;
        case 'validate/clocks':
          params = {
            files: listOf(files),
            dataset: d,
            key_cols: keyCols,
            future_tolerance_ms: config.clocks.future_tolerance_ms,
            earliest: ts(parseUtc(config.clocks.earliest_event_time)),
          };
          break;
        case 'validate/timestamps': {
          const tk = DATASETS[d].timeKey;
          if (!tk) continue;
          params = { files: listOf(files), dataset: d, key_cols: keyCols, time_key: tk };
          break;
        }
        case 'validate/bars_alignment':
        case 'validate/bars_ohlc':
          params = spec.query === 'validate/bars_ohlc' ? { files: listOf(files) } : { files: listOf(files), ...tfParams };
          break;
        case 'validate/bars_gaps': {
          const venues = new Set(files.map((f) => seriesOf(f).venue));
          const closures = config.closures.filter((c) => venues.has(c.venue));
          let occ: Array<{ venue: string; start: string; end: string }> = [];
          if (closures.length) {
            const [r] = await runQuery(ctx.db, 'validate/closure_span', { files: listOf(files), venues: listOf([...venues]) });
            occ = closureOccurrences(closures, Number(r?.['lo']), Number(r?.['hi']));
          }
          params = { files: listOf(files), ...tfParams, max_gap_bars: config.gaps.max_gap_bars, closures: JSON.stringify(occ) };
          break;
        }
        case 'validate/bars_outliers': {
          const pairs = uniqueSeries(files);
          const refPairs = [...pairs];
          for (const p of pairs) {
            for (const i of spotRefs) {
              if (i.venue === p.venue && i.symbol === p.symbol) refPairs.push({ venue: i.spot_venue as string, symbol: i.spot_symbol as string });
              if (i.spot_venue === p.venue && i.spot_symbol === p.symbol) refPairs.push({ venue: i.venue, symbol: i.symbol });
            }
          }
          params = {
            files: listOf(files),
            ref_files: listOf([...new Set([...files, ...barsOf(refPairs)])].sort()),
            ...tfParams,
            spot_refs: JSON.stringify(spotRefs.map(({ venue, symbol, spot_venue, spot_symbol }) => ({ venue, symbol, spot_venue, spot_symbol }))),
            max_move_1m: config.outliers.max_move_1m,
            min_move: config.outliers.min_move,
            vol_multiple: config.outliers.vol_multiple,
            vol_window: config.outliers.vol_window_bars,
            confirm_ratio: config.outliers.confirm_ratio,
          };
          break;
        }
        case 'validate/funding_schedule':
          params = {
            files: listOf(files),
            cadence: JSON.stringify(
              instruments.filter((i) => i.funding_interval_hours !== null).map((i) => ({ venue: i.venue, symbol: i.symbol, interval_hours: i.funding_interval_hours })),
            ),
            default_interval_hours: config.funding.default_interval_hours,
            tolerance_ms: config.funding.schedule_tolerance_ms,
            max_abs_rate_per_hour: config.funding.max_abs_rate_per_hour,
          };
          break;
        case 'validate/funding_cross_source': {
          const venues = new Set(files.map((f) => seriesOf(f).venue));
          const pairs = config.funding.cross_sources.filter((p) => venues.has(p.venue));
          if (pairs.length === 0) {
            skipped.push({ query: spec.query, dataset: d, reason: 'no second source declared for these venues (funding.cross_sources)' });
            continue;
          }
          const symbols = new Set(files.map((f) => seriesOf(f).symbol));
          const other = (await datasetFiles(opts.root, DATASETS.funding, { venue: pairs.map((p) => p.other_venue) })).filter((f) =>
            symbols.has(seriesOf(f).symbol),
          );
          if (other.length === 0) {
            skipped.push({ query: spec.query, dataset: d, reason: `no funding stored for ${pairs.map((p) => p.other_venue).join(', ')}` });
            continue;
          }
          params = {
            files: listOf([...new Set([...files, ...other])].sort()),
            pairs: JSON.stringify(pairs),
            tolerance: config.funding.cross_source_tolerance,
            tolerance_ms: config.funding.schedule_tolerance_ms,
          };
          break;
        }
        case 'validate/predicted_funding':
          params = { files: listOf(files), max_age_ms: config.funding.predicted_max_age_ms };
          break;
        case 'validate/coverage': {
          const inScope = uniqueSeries(files);
          const these = perps.filter((p) => inScope.some((s) => s.venue === p.venue && s.symbol === p.symbol));
          if (these.length === 0) {
            skipped.push({
              query: spec.query,
              dataset: d,
              reason: instruments.length ? 'no perp in scope' : 'no instruments stored: cannot tell perps and their spot references',
            });
            continue;
          }
          const perpFiles = barsOf(these);
          const refFiles = barsOf([
            ...these,
            ...these.filter((p) => p.spot_venue && p.spot_symbol).map((p) => ({ venue: p.spot_venue as string, symbol: p.spot_symbol as string })),
          ]);
          params = {
            files: listOf(perpFiles.filter((f) => files.includes(f))),
            ref_files: listOf(refFiles),
            perps: JSON.stringify(these.map(({ venue, symbol, spot_venue, spot_symbol }) => ({ venue, symbol, spot_venue, spot_symbol }))),
            bucket_minutes: config.coverage.bucket_minutes,
            required_prices: listOf(config.coverage.required_prices),
            spot_reference: config.coverage.spot_reference,
          };
          break;
        }
        default:
          throw new Error(`no parameters defined for ${spec.query}`);
      }
      ctx.log.info(`validate: ${spec.query.slice('validate/'.length)} on ${d} (${files.length} file(s))`);
      await runStep(ctx, spec.query, params).catch((err: unknown) => {
        // the engine's own error as it came (the CLI classifies it by the class at the start of a line)
        throw err instanceof StepError && err.cause instanceof Error ? err.cause : err;
      });
      await execQuery(ctx.db, 'validate/findings_append', { query: spec.query });
    }
  }

  // Checks a query emitted that it does not declare would be a bug in the query.
  const stray = await runQuery(ctx.db, 'validate/stray_checks', { names: listOf(CHECK_NAMES) });
  if (stray.length) throw new Error(`validation query emitted unknown check(s): ${JSON.stringify(stray)}`);

  const cfg = CHECK_NAMES.map((n) => checks[n]);
  await execQuery(ctx.db, 'validate/check_cfg', { cfg: JSON.stringify(cfg) });
  await execQuery(ctx.db, 'validate/flagged');

  const examplesN = config.report.examples;
  const groups = await runQuery(ctx.db, 'validate/finding_groups', { n: examplesN });
  const findings: Finding[] = groups.map((g) => ({
    dataset: String(g['dataset']),
    venue: String(g['venue']),
    symbol: String(g['symbol']),
    check: g['check'] as CheckName,
    query: String(g['query']),
    severity: g['severity'] as Severity,
    quarantined: Boolean(g['quarantined']),
    count: Number(g['n']),
    first_event_time: String(g['first_event_time']),
    last_event_time: String(g['last_event_time']),
    examples: JSON.parse(String(g['examples'])) as Example[],
  }));

  const checkRuns: CheckRun[] = [];
  for (const spec of VALIDATION_QUERIES) {
    for (const name of spec.checks) {
      const c = checks[name];
      checkRuns.push({
        check: name,
        query: spec.query,
        severity: c.severity,
        quarantine: c.quarantine,
        enabled: c.enabled,
        count: findings.filter((f) => f.check === name).reduce((a, f) => a + f.count, 0),
      });
    }
  }
  const summary: Record<Severity, number> = { error: 0, warn: 0, info: 0 };
  for (const f of findings) summary[f.severity] += f.count;
  const failing = [...new Set(findings.filter((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[failOn]).map((f) => f.check))];

  const quarantine = await writeQuarantine(ctx, opts.root, datasets, seriesList, started);

  const runTime = new Date(started).toISOString();
  const reportDir = join(opts.root, 'reports');
  const reportPath = join(reportDir, reportName(started));
  const result: ValidateResult = {
    data_dir: opts.root,
    run_time: runTime,
    report_path: reportPath,
    fail_on: failOn,
    failed: failing.length > 0 || corrupt.length > 0,
    failing_checks: failing,
    corrupt_files: corrupt,
    scope: { datasets, venue: opts.venue ?? null, symbols: opts.symbols ?? null, series: seriesList },
    summary,
    checks: checkRuns,
    findings,
    quarantine,
    skipped,
    config,
    elapsed_ms: 0,
  };
  await execQuery(ctx.db, 'validate/cleanup');
  result.elapsed_ms = ctx.clock.now() - started;
  mkdirSync(reportDir, { recursive: true });
  writeFileSync(`${reportPath}.tmp`, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(`${reportPath}.tmp`, reportPath);
  ctx.log.info(`validate: report written to ${reportPath}`);
  return result;
}

function uniqueSeries(files: string[]): Series[] {
  const seen = new Map<string, Series>();
  for (const f of files) {
    const s = seriesOf(f);
    seen.set(`${s.venue}/${s.symbol}`, s);
  }
  return [...seen.values()];
}

function listValueBig(values: number[]): DuckDBValue {
  return listValue(values);
}

/** Latest instruments row per venue and symbol (metadata for references and cadences). */
async function loadInstruments(ctx: ServiceContext, root: string): Promise<InstrumentInfo[]> {
  const files = await datasetFiles(root, DATASETS.instruments);
  if (files.length === 0) return [];
  const rows = await runQuery(ctx.db, 'validate/instruments_latest', { files: listOf(files) });
  return rows.map((r) => ({
    venue: String(r['venue']),
    symbol: String(r['symbol']),
    kind: String(r['kind']),
    spot_venue: (r['spot_venue'] as string | null) ?? null,
    spot_symbol: (r['spot_symbol'] as string | null) ?? null,
    funding_interval_hours: r['funding_interval_hours'] === null || r['funding_interval_hours'] === undefined ? null : Number(r['funding_interval_hours']),
  }));
}

/**
 * Replaces the quarantine of every validated (dataset, venue, symbol) with this run's verdicts. The
 * quarantine is partitioned by venue and symbol, so verdicts on datasets not validated this time are
 * carried over as stored (keeping their ingest_time); fixed rows drop out, re-runs change nothing.
 */
async function writeQuarantine(
  ctx: ServiceContext,
  root: string,
  datasets: DatasetName[],
  series: ValidateResult['scope']['series'],
  runMs: number,
): Promise<ValidateResult['quarantine']> {
  const spec = DATASETS.quarantine;
  const byCheck = await runQuery(ctx.db, 'validate/quarantine_by_check');
  const pairs = uniqueSeries(series.map((s) => `/venue=${s.venue}/symbol=${s.symbol}/`));
  const writes: WriteResult[] = [];
  let rows = 0;
  for (const p of pairs) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    // Every dataset of this run is replaced for the pair, also one with no data left for it.
    const validatedAll: string[] = datasets;
    await execQuery(ctx.db, 'validate/quarantine_stage', { ingest: ts(runMs * 1000), venue: p.venue, symbol: p.symbol });
    const existing = await datasetFiles(root, spec, { venue: [p.venue], symbol: [p.symbol] });
    if (existing.length) {
      // Verdicts on datasets this run did not validate stay as they are.
      const cols = ['venue', 'symbol', ...spec.columns.map((c) => c.name)];
      await execQuery(ctx.db, 'validate/quarantine_keep', { files: listOf(existing), validated: listOf(validatedAll) }, { idents: { cols } });
    }
    const [staged] = await runQuery(ctx.db, 'validate/quarantine_count', { validated: listOf(validatedAll) });
    rows += Number(staged?.['n']);
    writes.push(await writeTable(ctx, { root, spec, replace: { venue: [p.venue], symbol: [p.symbol] } }, '__q_stage'));
  }
  await execQuery(ctx.db, 'validate/quarantine_drop');
  return { rows, by_check: Object.fromEntries(byCheck.map((r) => [String(r['check']), Number(r['n'])])), writes };
}
