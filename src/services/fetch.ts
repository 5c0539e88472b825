import { closeSync, createReadStream, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timestampValue } from '@duckdb/node-api';
import type { ServiceContext } from '../domain/context.js';
import { DEFAULT_SOURCE_DELAYS, type SourceDelays } from '../domain/config.js';
import { DATASETS, DATASET_NAMES, isSlug, timeframeSeconds, type DatasetName } from '../domain/datasets.js';
import { missingError, usageError, validationError, type PerpkitError } from '../domain/errors.js';
import { datasetFiles, listOf, writeRows, writeStaged, writeTable, type WriteResult } from '../store/dataset.js';
import { execQuery, runQuery } from '../store/queries.js';
import { runStep, StepError } from '../store/steps.js';
import { binanceInstrumentRows, scanCandleFiles } from '../sources/binance-candles.js';
import { classifyBinanceTickFile, fileHead } from '../sources/ticks/binance-raw.js';
import { importTickFiles, type TickFile, type TickImportResult } from '../sources/ticks/import.js';
import { classifyTardisHeader } from '../sources/ticks/tardis.js';
import { DEFAULT_EFFECTS, effectsFrom, NO_EFFECTS, type Effects, type FundingCadence } from '../sources/synthetic/effects.js';
import { ASSETS } from '../sources/synthetic/calibration.js';
import { effectsTag, generateSynthetic, type SyntheticResult } from './synthetic.js';

export type FetchSource = 'files' | 'sample' | 'synthetic';

/** Options of --source synthetic (src/sources/synthetic/README.md). */
export interface SyntheticFetchOptions {
  /** bar timeframe (default 1m) */
  timeframe?: string;
  /** PRNG seed (default 42) */
  seed?: number;
  /** default, none, or a JSON file of effect overrides (default: default) */
  effects?: string;
  /** coinbase (hourly accrual, settlement twice a day) or binance (8h); default coinbase */
  funding_cadence?: FundingCadence;
  /** also trades and quotes (spans of at most 31 days) */
  with_ticks?: boolean;
  /** venue name of the generated data (default synthetic; no CLI flag: --venue means a REST venue) */
  venue?: string;
}

export interface FetchOptions {
  /** resolved data dir */
  root: string;
  source: FetchSource;
  /** files: a folder or file of the supported formats */
  path?: string;
  /** keep only these symbols; a base asset (BTC) matches all its symbols (BTC-PERP, BTC-SPOT) */
  symbols?: string[];
  /** event_time bounds, epoch microseconds, [from, to) */
  from?: number;
  to?: number;
  delays?: SourceDelays;
  synthetic?: SyntheticFetchOptions;
}

export interface ImportedFile {
  path: string;
  dataset: DatasetName;
  venue: string;
  symbol: string;
  price?: string;
  timeframe?: string;
  rows: number;
}

export interface FetchResult {
  source: FetchSource;
  data_dir: string;
  /** files read (files source) or sample partitions read (sample source) */
  inputs: ImportedFile[];
  /** files found but not in a supported format, with the reason */
  skipped: Array<{ path: string; reason: string }>;
  writes: WriteResult[];
  /** files source: exact duplicate rows (same natural key and values) dropped, per dataset */
  duplicates_dropped?: Partial<Record<'bars' | 'funding', number>>;
  elapsed_ms: number;
  /** files source: what the tick files (Binance raw-stream recordings, Tardis CSVs) held */
  ticks?: Omit<TickImportResult, 'writes'>;
  /** synthetic source: rows written, ground-truth folder, seed and effects used, timings */
  synthetic?: Omit<SyntheticResult, 'writes'> & { seed: number; effects: string; venue: string };
}

/** The bundled sample: <package>/data/sample, found from this module's location. */
export function sampleDir(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'data', 'sample');
}

function symbolMatches(filter: string[] | undefined, symbol: string): boolean {
  if (!filter || filter.length === 0) return true;
  return filter.some((f) => f === symbol || symbol.startsWith(`${f}-`));
}

function checkSymbols(symbols: string[] | undefined): void {
  for (const s of symbols ?? []) {
    if (!isSlug(s)) {
      throw usageError(`--symbols value ${JSON.stringify(s)} is not a valid symbol (letters, digits, - _ . only)`, {
        hint: 'give symbols such as BTC-PERP,ETH-SPOT or base assets such as BTC,ETH',
      });
    }
  }
}

/** Every requested symbol or base asset must match something the source has (exit 2 otherwise). */
function unknownSymbols(requested: string[], available: string[], where: string): void {
  const unknown = requested.filter((r) => !available.some((a) => symbolMatches([r], a)));
  if (unknown.length === 0) return;
  throw usageError(`--symbols: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not in ${where}`, {
    hint: `${where} has ${available.length ? available.join(', ') : 'no symbols'} (or give a base asset such as ${available[0]?.replace(/-.*$/, '') ?? 'BTC'})`,
    details: { flag: 'symbols', value: unknown, accepted: available },
  });
}

const tsParam = (us: number | undefined): ReturnType<typeof timestampValue> | null =>
  us === undefined ? null : timestampValue(BigInt(us));

export async function fetchData(opts: FetchOptions, ctx: ServiceContext): Promise<FetchResult> {
  const started = ctx.clock.now();
  checkSymbols(opts.symbols);
  if (opts.from !== undefined && opts.to !== undefined && opts.from >= opts.to) {
    throw usageError('--from must be before --to');
  }
  const result =
    opts.source === 'files'
      ? await importFiles(opts, ctx)
      : opts.source === 'synthetic'
        ? await fetchSynthetic(opts, ctx)
        : await importSample(opts, ctx);
  return { ...result, source: opts.source, data_dir: opts.root, elapsed_ms: ctx.clock.now() - started };
}

async function importFiles(
  opts: FetchOptions,
  ctx: ServiceContext,
): Promise<Omit<FetchResult, 'source' | 'data_dir' | 'elapsed_ms'>> {
  const { db, log } = ctx;
  if (!opts.path) throw usageError('--source files needs --path DIR (a folder of Binance candle/funding CSVs)');
  if (!existsSync(opts.path)) {
    throw missingError(`no such file or folder: ${opts.path}`, {
      hint: 'give --path the folder holding spot/ and usdm/ candle CSVs, e.g. ../shared/data/binance-candles',
    });
  }
  const delays = opts.delays ?? DEFAULT_SOURCE_DELAYS;
  const scanned = scanCandleFiles(opts.path);
  // A .gz that is not gzip, or a candle file cut short, is refused before anything is read:
  // DuckDB reads a truncated gzip stream as far as it goes and says nothing.
  for (const s of scanned) {
    if (!s.path.endsWith('.gz')) continue;
    if (s.file) await checkGzip(s.path);
    else checkGzipMagic(s.path);
  }
  // Not a candle CSV: maybe a tick file (Binance raw-stream recording or Tardis CSV), by content.
  const tickFiles: TickFile[] = [];
  const skipped: Array<{ path: string; reason: string }> = [];
  const tickSymbols: string[] = [];
  let hasTardis = false;
  for (const s of scanned.filter((x) => x.file === null)) {
    const t = await classifyTickFile(s.path);
    if (t === null) skipped.push({ path: s.path, reason: 'not a recognised Binance candle/funding CSV, Binance tick recording or Tardis CSV' });
    else if (t.format === 'tardis') hasTardis = true;
    else tickSymbols.push(t.symbol);
    if (t === null) continue;
    else if (t.format === 'tardis' || symbolMatches(opts.symbols, t.symbol)) tickFiles.push(t);
  }
  const files = scanned.flatMap((s) => (s.file && symbolMatches(opts.symbols, s.file.symbol) ? [s.file] : []));
  // Tardis files hold many symbols (known only once read); a symbol filter on them is not checked here.
  if (opts.symbols && !hasTardis && (scanned.some((s) => s.file) || tickSymbols.length)) {
    const found = [...new Set([...scanned.flatMap((s) => (s.file ? [s.file.symbol] : [])), ...tickSymbols])].sort();
    unknownSymbols(opts.symbols, found, opts.path);
  }
  for (const s of skipped) log.warn(`skipped ${s.path}: ${s.reason}`);
  if (files.length === 0 && tickFiles.length === 0) {
    throw missingError(`no importable files under ${opts.path}${opts.symbols ? ` for symbols ${opts.symbols.join(',')}` : ''}`, {
      hint: 'expected names like usdm/BTC_USDT_USDT-1h-futures.csv.gz, usdm/BTC_USDT_USDT-8h-funding_rate.csv.gz, spot/BTC_USDT-5m.csv.gz, Binance tick recordings (usdm/btcusdt_20240808.gz) or Tardis CSVs',
    });
  }
  // Lineage names the file relative to --path (just its name when --path is the file): no local paths.
  const base = statSync(opts.path).isDirectory() ? opts.path : dirname(opts.path);
  let ticks: TickImportResult | undefined;
  if (tickFiles.length) {
    const read = await importTickFiles(
      {
        root: opts.root,
        files: tickFiles,
        base,
        ...(opts.from !== undefined ? { from: opts.from } : {}),
        ...(opts.to !== undefined ? { to: opts.to } : {}),
        ...(opts.symbols ? { symbols: (sym: string) => symbolMatches(opts.symbols, sym) } : {}),
      },
      ctx,
    );
    // the source staged the rows; the service writes them, each dataset once (validated, merged, atomic)
    const writes: WriteResult[] = [];
    try {
      for (const stage of read.staged) {
        log.info(`writing ${stage.spec.name}...`);
        const w = await writeStaged(ctx, { root: opts.root }, stage);
        if (w) writes.push(w);
      }
    } finally {
      for (const stage of read.staged) await stage.discard().catch(() => undefined);
    }
    const lines = read.files.reduce((n, f) => n + f.lines, 0);
    const total = (performance.now() - read.started_ms) / 1000;
    ticks = { files: read.files, writes, messages_per_s: read.messages_per_s, messages_per_s_total: total > 0 ? lines / total : 0 };
  }
  const tickInputs: ImportedFile[] = (ticks?.files ?? []).flatMap((f) =>
    Object.entries(f.rows).map(([dataset, rows]) => ({
      path: f.path,
      dataset: dataset as DatasetName,
      venue: f.instruments.map((i) => i.venue).join(','),
      symbol: f.instruments.map((i) => i.symbol).join(','),
      rows: rows ?? 0,
    })),
  );
  const tickPart = ticks ? (({ writes: _w, ...rest }) => rest)(ticks) : undefined;
  if (files.length === 0) return { inputs: tickInputs, skipped, writes: ticks?.writes ?? [], ...(tickPart ? { ticks: tickPart } : {}) };
  const ingest = tsParam(ctx.clock.now() * 1000);
  const bounds = { from: tsParam(opts.from), to: tsParam(opts.to) };
  // the per-file "reading i/n" progress line stays; the steps do not replace it with their own
  const stepCtx = { db, log: { ...log, progress: (): void => undefined } };
  const inputs: ImportedFile[] = [];
  const staged: Partial<Record<'bars' | 'funding', boolean>> = {};
  let n = 0;
  for (const f of files) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    log.progress(`reading ${++n}/${files.length} ${f.path}`);
    const table = f.kind === 'bars' ? '__stage_bars' : '__stage_funding';
    const source = `binance-candles:${relative(base, f.path)}`;
    const params =
      f.kind === 'bars'
        ? {
            path: f.path,
            venue: f.venue,
            symbol: f.symbol,
            price: f.price,
            timeframe: f.timeframe,
            tf_seconds: timeframeSeconds(f.timeframe),
            delay_ms: delays.binance_bar_delay_ms,
            source,
            ingest_time: ingest,
            ...bounds,
          }
        : {
            path: f.path,
            venue: f.venue,
            symbol: f.symbol,
            delay_ms: delays.binance_funding_delay_ms,
            source,
            ingest_time: ingest,
            interval_hours: f.interval_hours,
            ...bounds,
          };
    await runStep(stepCtx, f.kind === 'bars' ? 'import/binance_candles' : 'import/binance_funding', params).catch(engineError);
    const [imported] = await runQuery(db, 'fetch/import_rows');
    await execQuery(db, staged[f.kind] ? 'fetch/stage_append' : 'fetch/stage_import', {}, { idents: { stage: table } });
    staged[f.kind] = true;
    inputs.push({
      path: f.path,
      dataset: f.kind,
      venue: f.venue,
      symbol: f.symbol,
      ...(f.kind === 'bars' ? { price: f.price, timeframe: f.timeframe } : {}),
      rows: Number(imported?.['n']),
    });
  }
  log.progressDone();
  const empty = inputs.filter((i) => i.rows === 0);
  for (const e of empty) log.warn(`${e.path}: no rows${opts.from !== undefined || opts.to !== undefined ? ' in --from/--to' : ''}; nothing imported from it`);
  if (empty.length === inputs.length && !ticks) {
    await execQuery(db, 'fetch/stage_drop');
    throw missingError(`no rows to import: ${empty.length === 1 ? `${empty[0]!.path} has` : `the ${empty.length} files under ${opts.path} have`} no data rows${opts.from !== undefined || opts.to !== undefined ? ' within --from/--to' : ''}`, {
      hint: 'check the files hold date,open,high,low,close[,volume] lines below the header (or widen --from/--to); nothing was written',
      details: { files: empty.map((e) => e.path) },
    });
  }
  const duplicates: Partial<Record<'bars' | 'funding', number>> = {};
  for (const kind of ['bars', 'funding'] as const) {
    if (!staged[kind]) continue;
    const d = await dedupeStaged(ctx, `__stage_${kind}`, DATASETS[kind]);
    if (d > 0) {
      duplicates[kind] = d;
      log.warn(`${kind}: ${d} duplicate row(s) (same ${DATASETS[kind].naturalKey.join(', ')} and same values) dropped`);
    }
  }
  const writes: WriteResult[] = [...(ticks?.writes ?? [])];
  try {
    for (const kind of ['bars', 'funding'] as const) {
      if (!staged[kind]) continue;
      log.info(`writing ${kind}...`);
      writes.push(await writeTable(ctx, { root: opts.root, spec: DATASETS[kind] }, `__stage_${kind}`));
    }
    writes.push(
      await writeRows(ctx, { root: opts.root, spec: DATASETS.instruments }, binanceInstrumentRows(files, ctx.clock.now() * 1000)),
    );
  } finally {
    await execQuery(db, 'fetch/stage_drop');
  }
  return {
    inputs: [...tickInputs, ...inputs],
    skipped,
    writes,
    ...(Object.keys(duplicates).length ? { duplicates_dropped: duplicates } : {}),
    ...(tickPart ? { ticks: tickPart } : {}),
  };
}

/**
 * Rethrows a failed step's engine error as it came (a CSV DuckDB cannot sniff, a damaged file): the CLI
 * classifies DuckDB messages by their class at the start of a line, which the step's name would hide.
 */
function engineError(err: unknown): never {
  throw err instanceof StepError && err.cause instanceof Error ? err.cause : err;
}

/**
 * Duplicate rows in the staged import (the same bar twice in a file, or in two files): exact
 * copies (same natural key, same values) are dropped and counted; rows that share a natural key
 * but disagree refuse the import (exit 3), since there is no telling which one is right.
 */
async function dedupeStaged(ctx: ServiceContext, table: string, spec: (typeof DATASETS)[DatasetName]): Promise<number> {
  const key = [...spec.naturalKey];
  const vals = [...spec.partitionKeys, ...spec.columns.map((c) => c.name)].filter((c) => c !== 'source' && c !== 'ingest_time');
  const conflicts = await runQuery(ctx.db, 'fetch/dedupe_conflicts', {}, { idents: { stage: table, key, vals } });
  if (conflicts.length) {
    const c = conflicts[0]!;
    const total = Number(c['total']);
    const example = spec.naturalKey.map((k) => `${k}=${String(c[k])}`).join(' ');
    throw validationError(`${spec.name}: ${total} key(s) appear more than once with different values, e.g. ${example} (${String(c['sources'])}); nothing was written`, {
      hint: 'remove the conflicting rows (or the second copy of the file) and re-run',
      details: { dataset: spec.name, conflicting_keys: total },
    });
  }
  const [counts] = await runQuery(ctx.db, 'fetch/dedupe_counts', {}, { idents: { stage: table, key } });
  const before = Number(counts?.['n']);
  const after = Number(counts?.['keys']);
  if (after === before) return 0;
  await execQuery(ctx.db, 'fetch/dedupe', {}, { idents: { stage: table, tmp: `${table}_dedup`, key } });
  return before - after;
}

function corruptGzip(path: string, why: string): PerpkitError {
  return validationError(`the file ${path} is not a readable gzip file (${why}); nothing was imported`, {
    hint: 'replace it with a good copy (gzip -t FILE tests it), or move it out of the folder',
    details: { path },
  });
}

/** The two gzip magic bytes; an empty or foreign file named .gz is refused. */
function checkGzipMagic(path: string): void {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const n = readSync(fd, b, 0, 2, 0);
    if (n < 2 || b[0] !== 0x1f || b[1] !== 0x8b) throw corruptGzip(path, n === 0 ? 'empty file' : 'not gzip data');
  } finally {
    closeSync(fd);
  }
}

/** Decompresses the whole file, discarding the output: a truncated or damaged stream is refused. */
async function checkGzip(path: string): Promise<void> {
  checkGzipMagic(path);
  try {
    await pipeline(createReadStream(path), createGunzip(), new Writable({ write: (_c, _e, cb) => cb() }));
  } catch (err) {
    throw corruptGzip(path, (err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'truncated' : 'damaged');
  }
}

/** A Binance raw-stream recording or a Tardis CSV, recognised by name and first lines; else null. */
async function classifyTickFile(path: string): Promise<TickFile | null> {
  if (!/\.(gz|csv|txt)$/.test(path)) return null;
  const head = await fileHead(path, 200);
  const b = classifyBinanceTickFile(path, head);
  if (b) return { format: 'binance-raw', ...b };
  const kind = classifyTardisHeader(head.split('\n', 1)[0] ?? '');
  return kind ? { format: 'tardis', path, kind } : null;
}

/** Loads the bundled sample (a perpkit data dir itself) into the data dir, rows as they are. */
async function importSample(
  opts: FetchOptions,
  ctx: ServiceContext,
): Promise<Omit<FetchResult, 'source' | 'data_dir' | 'elapsed_ms'>> {
  const dir = sampleDir();
  if (!existsSync(dir)) throw missingError(`the bundled sample is missing at ${dir}; the installation is incomplete`);
  const inputs: ImportedFile[] = [];
  const writes: WriteResult[] = [];
  if (opts.symbols) {
    const all = new Set<string>();
    for (const name of DATASET_NAMES) {
      for (const f of await datasetFiles(dir, DATASETS[name])) {
        const sym = /symbol=([^/]+)/.exec(f)?.[1];
        if (sym) all.add(sym);
      }
    }
    unknownSymbols(opts.symbols, [...all].sort(), 'the bundled sample');
  }
  for (const name of DATASET_NAMES) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const spec = DATASETS[name];
    const files = (await datasetFiles(dir, spec)).filter((f) => {
      const sym = /symbol=([^/]+)/.exec(f)?.[1] ?? '';
      return symbolMatches(opts.symbols, sym);
    });
    if (files.length === 0) continue;
    const cols = [...spec.partitionKeys, ...spec.columns.map((c) => c.name)];
    // instrument versions are valid from their event_time on: a window keeps every version that began before its end
    const window = { from: name === 'instruments' ? null : tsParam(opts.from), to: tsParam(opts.to) };
    await execQuery(ctx.db, 'fetch/sample_stage', { files: listOf(files), ...window }, { idents: { cols } });
    const series = ['venue', 'symbol', ...(spec.partitionKeys.includes('price') ? ['price', 'timeframe'] : [])];
    const summary = await runQuery(ctx.db, 'fetch/sample_summary', {}, { idents: { series } });
    for (const s of summary) {
      inputs.push({
        path: relative(dirname(dir), join(dir, name)),
        dataset: name,
        venue: String(s['venue']),
        symbol: String(s['symbol']),
        ...(s['price'] !== undefined ? { price: String(s['price']), timeframe: String(s['timeframe']) } : {}),
        rows: Number(s['n']),
      });
    }
    ctx.log.info(`writing ${name}...`);
    writes.push(await writeTable(ctx, { root: opts.root, spec }, '__stage_sample'));
  }
  await execQuery(ctx.db, 'fetch/sample_drop');
  return { inputs, skipped: [], writes };
}

/** Resolves --effects: default, none, or a JSON file of overrides deep-merged into the defaults. */
export function resolveEffects(value: string | undefined): { effects: Effects; name: string } {
  if (value === undefined || value === 'default') return { effects: DEFAULT_EFFECTS, name: 'default' };
  if (value === 'none') return { effects: NO_EFFECTS, name: 'none' };
  if (!existsSync(value)) {
    throw missingError(`--effects: no such file ${value}`, { hint: 'give default, none, or a JSON file of effect overrides (see src/sources/synthetic/README.md)' });
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(value, 'utf8'));
  } catch (err) {
    throw usageError(`--effects ${value}: not valid JSON (${(err as Error).message})`);
  }
  try {
    const effects = effectsFrom(json);
    return { effects, name: effectsTag(effects) };
  } catch (err) {
    const issues = (err as { issues?: Array<{ path: PropertyKey[]; message: string }> }).issues;
    const text = issues ? issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`).join('; ') : (err as Error).message;
    throw usageError(`--effects ${value}: ${text}`, { hint: 'see the effect parameters and their ranges in src/sources/synthetic/effects.ts' });
  }
}

/** Base assets from --symbols (BTC, BTC-PERP and BTC-SPOT all mean BTC); default all calibrated. */
function syntheticBases(symbols: string[] | undefined): string[] {
  if (!symbols || symbols.length === 0) return Object.keys(ASSETS);
  const out: string[] = [];
  for (const s of symbols) {
    const b = s.replace(/-(PERP|SPOT)$/, '');
    if (!out.includes(b)) out.push(b);
  }
  return out;
}

async function fetchSynthetic(
  opts: FetchOptions,
  ctx: ServiceContext,
): Promise<Omit<FetchResult, 'source' | 'data_dir' | 'elapsed_ms'>> {
  const syn = opts.synthetic ?? {};
  if (opts.from === undefined || opts.to === undefined) {
    throw usageError('--source synthetic needs --from and --to (the span to generate)', {
      hint: 'e.g. perpkit fetch --source synthetic --symbols BTC,ETH --from 2025-01-01 --to 2025-02-01 --seed 42',
    });
  }
  const { effects, name } = resolveEffects(syn.effects);
  const seed = syn.seed ?? 42;
  const venue = syn.venue ?? 'synthetic';
  const r = await generateSynthetic(
    {
      root: opts.root,
      venue,
      bases: syntheticBases(opts.symbols),
      from: opts.from,
      to: opts.to,
      timeframe: syn.timeframe ?? '1m',
      seed,
      effects,
      effects_name: name,
      cadence: syn.funding_cadence ?? 'coinbase',
      with_ticks: syn.with_ticks ?? false,
    },
    ctx,
  );
  const { writes, ...rest } = r;
  return { inputs: [], skipped: [], writes, synthetic: { ...rest, seed, effects: name, venue } };
}
