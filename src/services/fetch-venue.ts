import type { ServiceContext } from '../domain/context.js';
import { DATASETS, isSlug, timeframeSeconds, type DatasetName } from '../domain/datasets.js';
import { isPerpkitError, upstreamError, usageError } from '../domain/errors.js';
import {
  baseUrlEnvVar,
  DEFAULT_VENUE_DATASETS,
  RATE_LIMITS_PER_S,
  TARGET_BASES,
  VENUE_DATASETS,
  VENUES,
  VenueFetchConfigSchema,
  type VenueDataset,
  type VenueFetchConfigInput,
  type VenueId,
} from '../domain/venue-config.js';
import { createVenueClient, type VenueClient } from '../sources/venues/client.js';
import { priceOf, type AdapterContext, type ResolvedSymbol, type Row, type Task } from '../sources/venues/common.js';
import { adapterFor } from '../sources/venues/index.js';
import { runQuery } from '../store/queries.js';
import { Transport, type TransportStats } from '../sources/venues/transport.js';
import { datasetFiles, listOf, writeRows, type WriteResult } from '../store/dataset.js';

/**
 * `perpkit fetch --venue ...`: exchange REST through ccxt into the datasets. Each (symbol,
 * dataset) is a task that pages forward in time and writes complete pages in order, so what is
 * stored is always a gap-free prefix of the range; with no --from a task resumes after the last
 * stored event_time, so a cron re-run fetches only what is new and an interrupted run resumes
 * without gaps or duplicates (writes merge on the natural key).
 */

export interface FetchVenueOptions {
  /** resolved data dir */
  root: string;
  venue: VenueId;
  /** canonical symbols (BTC-PERP; BTC-SPOT on binance-spot; BTC-USD for Coinbase spot) or base assets (BTC); default: the target set */
  symbols?: string[];
  /** default: instruments, bars, funding, open_interest */
  datasets?: VenueDataset[];
  /** bar timeframe, default 1m */
  timeframe?: string;
  /** event_time bounds, epoch microseconds, [from, to); no from = resume after the last stored row */
  from?: number;
  /** default: now */
  to?: number;
  /** delays, rate limit, retry budget, page sizes (defaults in src/domain/venue-config.ts) */
  config?: VenueFetchConfigInput;
  /** base URL replacing the venue's API origin (tests); default $PERPKIT_VENUE_BASE_URL_<VENUE> */
  baseUrl?: string;
  /** environment for credentials and the base URL variable; default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface VenueTaskResult {
  symbol: string;
  dataset: VenueDataset;
  timeframe: string | null;
  /** event_time range asked for, epoch µs (null when nothing was left to fetch) */
  from: number | null;
  to: number | null;
  /** last event_time stored before this run (resume point), epoch µs */
  resumed_after: number | null;
  /** venue requests made for this task (retries not counted) */
  requests: number;
  rows: number;
  /** last event_time stored by this task, epoch µs */
  last_event_time: number | null;
  status: 'done' | 'up_to_date' | 'failed' | 'stopped';
}

export interface FetchVenueResult {
  source: 'venue';
  venue: VenueId;
  data_dir: string;
  symbols: string[];
  /** requested symbols the venue does not list */
  unlisted: Array<{ symbol: string; reason: string }>;
  /** requested datasets the venue does not publish */
  unsupported: Array<{ symbol: string; dataset: VenueDataset; reason: string }>;
  tasks: VenueTaskResult[];
  writes: WriteResult[];
  /** HTTP attempts (retries included), retries, and attempts by outcome */
  http: TransportStats;
  /** HTTP attempts per second between the first and the last one */
  request_rate_per_s: number | null;
  elapsed_ms: number;
}

const SPEC_OF: Record<VenueDataset, DatasetName> = {
  bars: 'bars',
  mark: 'bars',
  index: 'bars',
  trades: 'trades',
  funding: 'funding',
  open_interest: 'open_interest',
  instruments: 'instruments',
};

/** A small async mutex: the DuckDB session and the writer are used by one task at a time. */
function mutex(): <T>(fn: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

const iso = (us: number | null): string => (us === null ? '-' : new Date(Math.floor(us / 1000)).toISOString().replace('.000Z', 'Z'));

function validate(opts: FetchVenueOptions): { datasets: VenueDataset[]; timeframe: string } {
  if (!(VENUES as readonly string[]).includes(opts.venue)) {
    throw usageError(`unknown venue ${JSON.stringify(opts.venue)}`, { hint: `use one of: ${VENUES.join(', ')}` });
  }
  const datasets = [...new Set(opts.datasets ?? DEFAULT_VENUE_DATASETS)];
  for (const d of datasets) {
    if (!(VENUE_DATASETS as readonly string[]).includes(d)) {
      throw usageError(`unknown dataset ${JSON.stringify(d)} for --venue`, { hint: `use any of: ${VENUE_DATASETS.join(', ')}` });
    }
  }
  const timeframe = opts.timeframe ?? '1m';
  try {
    timeframeSeconds(timeframe);
  } catch (err) {
    throw usageError((err as Error).message);
  }
  for (const s of opts.symbols ?? []) {
    if (!isSlug(s)) throw usageError(`--symbols value ${JSON.stringify(s)} is not a valid symbol (letters, digits, - _ . only)`);
  }
  if (opts.from !== undefined && opts.to !== undefined && opts.from >= opts.to) throw usageError('--from must be before --to');
  return { datasets, timeframe };
}

export async function fetchVenue(opts: FetchVenueOptions, ctx: ServiceContext): Promise<FetchVenueResult> {
  const started = ctx.clock.now();
  const { datasets, timeframe } = validate(opts);
  const config = VenueFetchConfigSchema.parse(opts.config ?? {});
  const env = opts.env ?? process.env;
  const venue = opts.venue;
  const adapter = adapterFor(venue);
  if (datasets.some((d) => priceOf(d) !== null) && !adapter.timeframes.includes(timeframe)) {
    throw usageError(`${venue} has no ${timeframe} candles`, { hint: `use --timeframe ${adapter.timeframes.join('|')}` });
  }
  const envUrl = env[baseUrlEnvVar(venue)];
  const baseUrl = opts.baseUrl ?? (envUrl && envUrl.length > 0 ? envUrl : undefined);
  const transport = new Transport({
    venue,
    perSecond: config.requests_per_second ?? RATE_LIMITS_PER_S[venue],
    retry: config.retry,
    log: ctx.log,
    signal: ctx.signal,
  });
  const client = await createVenueClient(venue, transport, { ...(baseUrl ? { baseUrl } : {}), env });
  const nowUs = ctx.clock.now() * 1000;
  const actx = (c: VenueClient): AdapterContext => ({ client: c, config, now: nowUs, ingest: nowUs, signal: ctx.signal });
  const serial = mutex();

  const requested = [...new Set((opts.symbols ?? TARGET_BASES.map((b) => b)).map((s) => adapter.canonical(s)))];
  const { resolved, unlisted } = await adapter.resolve(requested, actx(client));
  for (const u of unlisted) ctx.log.warn(`${venue}: ${u.symbol} is not listed: ${u.reason}`);
  if (resolved.length === 0) {
    throw usageError(`--symbols: ${venue} lists none of the requested symbols (${requested.join(', ')})`, {
      hint: `${unlisted.map((u) => `${u.symbol}: ${u.reason}`).join('\n')}\ngive symbols ${venue} lists, e.g. BTC-PERP or a base asset such as BTC`,
      details: { flag: 'symbols', value: requested, venue, unlisted },
    });
  }
  if (unlisted.length) {
    ctx.log.info(`${venue}: fetching ${resolved.map((r) => r.symbol).join(', ')}; not listed: ${unlisted.map((u) => u.symbol).join(', ')}`);
  }

  const writes: WriteResult[] = [];
  const unsupported: FetchVenueResult['unsupported'] = [];
  const results: VenueTaskResult[] = [];

  if (datasets.includes('instruments')) {
    writes.push(...(await serial(() => writeInstruments(ctx, opts.root, venue, resolved, nowUs))));
  }

  // Tasks: one per symbol and dataset the venue publishes.
  const tasks: Array<{ sym: ResolvedSymbol; dataset: Exclude<VenueDataset, 'instruments'> }> = [];
  for (const sym of resolved) {
    for (const d of datasets) {
      if (d === 'instruments') continue;
      const why = adapter.unsupported(d, sym.kind);
      if (why) {
        unsupported.push({ symbol: sym.symbol, dataset: d, reason: why });
        continue;
      }
      tasks.push({ sym, dataset: d });
    }
  }
  for (const u of unsupported) ctx.log.warn(`${venue}: ${u.dataset} for ${u.symbol} skipped: ${u.reason}`);

  let failure: unknown = null;
  const queue = [...tasks];
  const worker = async (): Promise<void> => {
    for (let t = queue.shift(); t; t = queue.shift()) {
      if (failure !== null || ctx.signal.aborted) {
        results.push(emptyResult(t.sym.symbol, t.dataset, timeframe, 'stopped'));
        continue;
      }
      const r = await runTask(t.sym, t.dataset).catch((err: unknown) => {
        failure ??= err;
        return null;
      });
      if (r) results.push(r);
    }
  };

  const runTask = async (sym: ResolvedSymbol, dataset: Exclude<VenueDataset, 'instruments'>): Promise<VenueTaskResult> => {
    const spec = DATASETS[SPEC_OF[dataset]];
    const price = priceOf(dataset);
    const filter = { venue: [venue], symbol: [sym.symbol], ...(price ? { price: [price], timeframe: [timeframe] } : {}) };
    const last = await serial(() => lastEventTime(ctx, opts.root, SPEC_OF[dataset], filter));
    const to = opts.to ?? nowUs + 1;
    const from = opts.from ?? (last !== null ? last + 1 : to - config.initial_lookback_ms * 1000);
    const label = `${venue} ${sym.symbol} ${dataset}${price ? ` ${timeframe}` : ''}`;
    const result: VenueTaskResult = {
      symbol: sym.symbol,
      dataset,
      timeframe: price ? timeframe : null,
      from,
      to,
      resumed_after: opts.from === undefined ? last : null,
      requests: 0,
      rows: 0,
      last_event_time: null,
      status: 'done',
    };
    if (from >= to) {
      ctx.log.info(`${label}: up to date (last stored ${iso(last)})`);
      return { ...result, status: 'up_to_date' };
    }
    const counted: VenueClient = {
      venue,
      call: (m, p) => {
        result.requests++;
        return client.call(m, p);
      },
    };
    const task: Task = { symbol: sym, dataset, timeframe, from, to };
    const t0 = performance.now();
    let buffer: Row[] = [];
    const flush = async (): Promise<void> => {
      if (buffer.length === 0) return;
      const rows = buffer;
      buffer = [];
      const w = await serial(() => writeRows(ctx, { root: opts.root, spec }, rows));
      writes.push(w);
      result.rows += rows.length;
      result.last_event_time = rows.reduce((mx, r) => Math.max(mx, r['event_time'] as number), result.last_event_time ?? -Infinity);
    };
    try {
      for await (const page of adapter.pages(task, actx(counted))) {
        buffer.push(...page.rows);
        const done = Math.min(1, Math.max(0, (page.cursor - from) / (to - from)));
        const elapsed = (performance.now() - t0) / 1000;
        const eta = done > 0 ? (elapsed * (1 - done)) / done : NaN;
        ctx.log.progress(
          `${label}: ${result.requests} requests, ${result.rows + buffer.length} rows, ${(done * 100).toFixed(0)}%${Number.isFinite(eta) ? `, ETA ${eta.toFixed(0)} s` : ''}`,
        );
        if (buffer.length >= config.write_batch_rows) await flush();
        // another task failed: stop at a page boundary, keep what is complete
        if (failure !== null) {
          result.status = 'stopped';
          break;
        }
      }
      await flush();
    } catch (err) {
      // Complete pages fetched before the failure are kept, so a re-run resumes after them.
      await flush().catch(() => undefined);
      result.status = 'failed';
      results.push(result);
      throw err;
    } finally {
      ctx.log.progressDone();
    }
    if (result.status === 'done' && result.requests === 0 && result.rows === 0) result.status = 'up_to_date';
    ctx.log.info(
      `${label}: ${result.requests} requests, ${result.rows} rows${result.last_event_time !== null ? ` up to ${iso(result.last_event_time)}` : ''}`,
    );
    return result;
  };

  await Promise.all(Array.from({ length: Math.min(config.max_concurrency, Math.max(1, tasks.length)) }, () => worker()));
  const http = { ...transport.stats, outcomes: { ...transport.stats.outcomes } };
  const span = http.first_ms !== null && http.last_ms !== null ? (http.last_ms - http.first_ms) / 1000 : 0;
  const rate = http.requests > 1 && span > 0 ? (http.requests - 1) / span : null;

  if (failure !== null) {
    if (isPerpkitError(failure) && failure.kind === 'interrupted') throw failure;
    const stored = results
      .filter((r) => r.rows > 0)
      .map((r) => `${r.symbol} ${r.dataset}${r.timeframe ? ` ${r.timeframe}` : ''}: ${r.rows} rows up to ${iso(r.last_event_time)}`);
    const msg = isPerpkitError(failure) || failure instanceof Error ? failure.message : String(failure);
    throw upstreamError(
      `${msg}\nstored before stopping: ${stored.length ? stored.join('; ') : 'nothing'} (${http.requests} HTTP requests, ${http.retries} retries)`,
      {
        hint: `run the same command again without --from to resume after the last stored rows (perpkit fetch --venue ${venue} ...)`,
        details: { venue, tasks: results, http, ...(isPerpkitError(failure) ? failure.details : {}) },
        cause: failure,
      },
    );
  }
  if (ctx.signal.aborted) throw ctx.signal.reason;
  return {
    source: 'venue',
    venue,
    data_dir: opts.root,
    symbols: resolved.map((r) => r.symbol),
    unlisted,
    unsupported,
    tasks: results.sort((a, b) => `${a.symbol} ${a.dataset}`.localeCompare(`${b.symbol} ${b.dataset}`)),
    writes,
    http,
    request_rate_per_s: rate,
    elapsed_ms: ctx.clock.now() - started,
  };
}

function emptyResult(symbol: string, dataset: VenueDataset, timeframe: string, status: VenueTaskResult['status']): VenueTaskResult {
  return {
    symbol,
    dataset,
    timeframe: priceOf(dataset) ? timeframe : null,
    from: null,
    to: null,
    resumed_after: null,
    requests: 0,
    rows: 0,
    last_event_time: null,
    status,
  };
}

/** Last stored event_time (epoch µs) of a venue/symbol[/price/timeframe], or null. */
export async function lastEventTime(
  ctx: ServiceContext,
  root: string,
  dataset: DatasetName,
  filter: { venue: string[]; symbol: string[]; price?: string[]; timeframe?: string[] },
): Promise<number | null> {
  const files = await datasetFiles(root, DATASETS[dataset], filter);
  if (files.length === 0) return null;
  const series = { files: listOf(files), venue: filter.venue[0] as string, symbol: filter.symbol[0] as string };
  const [r] = filter.price
    ? await runQuery(ctx.db, 'fetch/last_event_time_bars', { ...series, price: filter.price[0] as string, timeframe: filter.timeframe?.[0] as string })
    : await runQuery(ctx.db, 'fetch/last_event_time', series);
  const v = r?.['t'];
  return v === null || v === undefined ? null : Number(v);
}

const INSTRUMENT_FIELDS = DATASETS.instruments.columns
  .map((c) => c.name)
  .filter((n) => !['event_time', 'available_time', 'source', 'ingest_time'].includes(n));

/**
 * Instruments are kept as a history of changes: a row is written (event_time = now) only when
 * the metadata differs from the latest stored row of that symbol, so re-runs add nothing.
 */
async function writeInstruments(
  ctx: ServiceContext,
  root: string,
  venue: VenueId,
  resolved: ResolvedSymbol[],
  nowUs: number,
): Promise<WriteResult[]> {
  const spec = DATASETS.instruments;
  const files = await datasetFiles(root, spec, { venue: [venue], symbol: resolved.map((r) => r.symbol) });
  const latest = new Map<string, Record<string, unknown>>();
  if (files.length) {
    const isTime = (n: string): boolean => spec.columns.find((c) => c.name === n)?.type === 'TIMESTAMP';
    const lists = { plain: INSTRUMENT_FIELDS.filter((n) => !isTime(n)), times: INSTRUMENT_FIELDS.filter(isTime) };
    const rows = await runQuery(ctx.db, 'fetch/instruments_latest', { files: listOf(files) }, { lists });
    for (const r of rows) latest.set(String(r['symbol']), r);
  }
  const same = (a: unknown, b: unknown): boolean => (a ?? null) === (b ?? null) || (a != null && b != null && Number(a) === Number(b) && typeof a !== 'string');
  const rows: Row[] = [];
  for (const sym of resolved) {
    const prev = latest.get(sym.symbol);
    if (prev && INSTRUMENT_FIELDS.every((f) => same(prev[f], sym.instrument[f]))) continue;
    rows.push({ ...sym.instrument, event_time: nowUs, available_time: nowUs, source: `${venue}:instruments`, ingest_time: nowUs });
  }
  if (rows.length === 0) return [];
  return [await writeRows(ctx, { root, spec }, rows)];
}
