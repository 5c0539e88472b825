import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timestampValue } from '@duckdb/node-api';
import { parse as parseYaml } from 'yaml';
import { ZodError } from 'zod';
import { BacktestConfigSchema, marginTiersFor, type BacktestConfig, type FeeTier } from '../domain/backtest.js';
import type { ServiceContext } from '../domain/context.js';
import { DATASETS, isSlug, timeframeSeconds } from '../domain/datasets.js';
import { missingError, usageError, validationError } from '../domain/errors.js';
import { isoFromMicros } from '../domain/time.js';
import { feeSchedule, resolveFeeTier } from '../engine/costs.js';
import { DD_STATE_NAMES, FILL_SOURCES, runEngine, type EngineResult } from '../engine/engine.js';
import { FUNDING_KINDS } from '../engine/funding.js';
import { ORDER_STATUS, ORDER_TYPES, ORIGINS, REASONS } from '../engine/orders.js';
import type { BarSeries, DecisionSeries, FundingSeries, InstrumentInfo, MarketData, QuoteSeries, TradeSeries } from '../engine/types.js';
import { returnsMetrics, sharpeRatio, type ReturnsMetrics } from '../stats/index.js';
import { loadStrategy, zodMessage } from '../strategies/index.js';
import { datasetFiles, listOf } from '../store/dataset.js';
import type { SqlParams } from '../store/duckdb.js';
import { execQuery, readQuery, runQuery, type QueryShape } from '../store/queries.js';
import { appendLedger, sha256 } from '../store/ledger.js';
import { loadSplit, parseSelector, readSegment, selectorIntervals } from './split.js';
import { joinPredictions } from './train/predictions.js';

/**
 * perpkit backtest: loads a split segment's decision rows (features) and the market data around
 * it (execution bars, mark bars, funding, instruments), runs the engine, writes the outputs under
 * <root>/runs/<run-id>/ with a manifest, appends a ledger trial and returns the metrics.
 */

export interface BacktestOptions {
  root: string;
  /** built-in strategy name or module path */
  strategy: string;
  split: string;
  segment: string;
  /** parsed config document: { strategy?: {...params}, ...BacktestConfig } */
  config?: Record<string, unknown>;
  /** where the config came from (manifest) */
  config_path?: string;
  unseal_test?: boolean;
  /** regime-conditional metrics need at least this many periods per regime */
  min_regime_periods?: number;
  /** join the predictions of this model (the predictions dataset, perpkit train) onto the decision rows */
  predictions_model?: string;
}

export interface RerunOptions {
  root: string;
  run_id: string;
}

export interface Manifest {
  run_id: string;
  created_at: string;
  perpkit_version: string;
  code_version: string;
  strategy: { spec: string; name: string; params: Record<string, unknown>; hash: string };
  config: BacktestConfig;
  config_path: string | null;
  split: string;
  segment: string;
  window: { start: string; end: string };
  venue: string;
  symbols: string[];
  execution_timeframe: string;
  mark_timeframe: string | null;
  data_hashes: Record<string, string>;
  seed: number;
  funding_missing: string;
  warnings: string[];
  counters: EngineResult['counters'];
  /** content hash and row count of each output table */
  outputs: Record<string, { rows: number; sha256: string }>;
  rerun_of: string | null;
  /** the model whose predictions were joined onto the decision rows (absent: none) */
  predictions_model?: string;
}

export interface CostBreakdown {
  fees: number;
  liquidation_fees: number;
  slippage: number;
  /** net funding, quote currency: > 0 received */
  funding: number;
  /** share of the P&L that came from funding (null when P&L is 0) */
  funding_share_of_pnl: number | null;
}

export interface RegimeRow {
  dimension: string;
  regime: string;
  periods: number;
  mean_return: number;
  sharpe: number | null;
  /** below the minimum sample: shown, flagged */
  small_sample: boolean;
}

export interface BacktestResult {
  run_id: string;
  dir: string;
  manifest: Manifest;
  metrics: ReturnsMetrics & {
    initial_equity: number;
    final_equity: number;
    pnl: number;
    fills: number;
    avg_holding_hours: number | null;
    costs: CostBreakdown;
  };
  regimes: RegimeRow[];
  warnings: string[];
  /** --rerun: whether every output is bit-identical to the original run's */
  identical?: boolean;
  differences?: string[];
}

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;
export const OUTPUT_TABLES = ['orders', 'fills', 'positions', 'equity', 'funding_payments', 'events'] as const;

/** Reads a YAML/JSON config file; exit 2 when unreadable, exit 4 when absent. */
export function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw missingError(`config file ${path} does not exist`);
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'));
  } catch (err) {
    throw usageError(`config file ${path} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw usageError(`config file ${path} must be a mapping of settings`);
  return doc as Record<string, unknown>;
}

/** Splits a config document into the strategy params and the validated engine config (exit 2 naming the field). */
export function resolveConfig(doc: Record<string, unknown> = {}): { config: BacktestConfig; params: Record<string, unknown> } {
  const { strategy, ...rest } = doc;
  if (strategy !== undefined && (typeof strategy !== 'object' || strategy === null || Array.isArray(strategy))) {
    throw usageError('invalid config: strategy: must be a mapping of the strategy parameters');
  }
  try {
    return { config: BacktestConfigSchema.parse(rest), params: (strategy ?? {}) as Record<string, unknown> };
  } catch (err) {
    if (err instanceof ZodError) throw usageError(`invalid config: ${zodMessage(err, '')}`, { hint: 'see docs/backtest.md for every setting and its default' });
    throw err;
  }
}

function packageRoot(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

export function perpkitVersion(): string {
  try {
    return String((JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string }).version ?? 'unknown');
  } catch {
    return 'unknown';
  }
}

export function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: packageRoot(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return head || 'unknown';
  } catch {
    return 'unknown';
  }
}

// ---- loading -----------------------------------------------------------------------------------

/** Timeframes stored for (venue, symbol, price), finest first. */
function storedTimeframes(root: string, venue: string, symbol: string, price: string): string[] {
  const dir = join(root, 'bars', `venue=${venue}`, `symbol=${symbol}`, `price=${price}`);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => d.startsWith('timeframe='))
    .map((d) => d.slice('timeframe='.length))
    .filter((tf) => {
      try {
        timeframeSeconds(tf);
        return true;
      } catch {
        return false;
      }
    })
    .sort((a, b) => timeframeSeconds(a) - timeframeSeconds(b));
}

/** The bound files and event-time span of a series read. */
const span = (files: string[], from: number, to: number): SqlParams => ({
  files: listOf(files),
  from: timestampValue(BigInt(Math.round(from))),
  to: timestampValue(BigInt(Math.round(to))),
});

/** Runs a query of queries/ and returns its columns in order, as JS values (a row object per bar is slow). */
async function queryColumns(ctx: ServiceContext, name: string, params: SqlParams, shape: QueryShape = {}): Promise<number[][]> {
  return (await readQuery(ctx.db, name, params, shape)).getColumnsJS() as number[][];
}

/** As queryColumns, keyed by column name. */
async function queryColumnsByName(ctx: ServiceContext, name: string, params: SqlParams, shape: QueryShape = {}): Promise<Record<string, unknown[]>> {
  return (await readQuery(ctx.db, name, params, shape)).getColumnsObjectJS() as Record<string, unknown[]>;
}

async function readBars(ctx: ServiceContext, root: string, venue: string, symbol: string, price: string, tf: string, from: number, to: number): Promise<BarSeries | null> {
  const files = await datasetFiles(root, DATASETS.bars, { venue: [venue], symbol: [symbol], price: [price], timeframe: [tf], from, to: to + DAY_US });
  if (files.length === 0) return null;
  const cols = await queryColumns(ctx, 'backtest/bars', span(files, from, to));
  const f = (i: number): Float64Array => Float64Array.from(cols[i] ?? []);
  if ((cols[0] ?? []).length === 0) return null;
  return {
    timeframe_us: timeframeSeconds(tf) * 1e6,
    open_time: f(0),
    close_time: f(1),
    available_time: f(2),
    open: f(3),
    high: f(4),
    low: f(5),
    close: f(6),
    volume: f(7),
  };
}

async function readFunding(ctx: ServiceContext, root: string, venue: string, symbol: string, from: number, to: number): Promise<FundingSeries | null> {
  const files = await datasetFiles(root, DATASETS.funding, { venue: [venue], symbol: [symbol], from, to });
  if (files.length === 0) return null;
  const cols = await queryColumns(ctx, 'backtest/funding', span(files, from, to));
  if ((cols[0] ?? []).length === 0) return null;
  const f = (i: number): Float64Array => Float64Array.from(cols[i] ?? []);
  return { event_time: f(0), available_time: f(1), rate: f(2), interval_hours: f(3), mark: f(4) };
}

async function readQuotes(ctx: ServiceContext, root: string, venue: string, symbol: string, from: number, to: number): Promise<QuoteSeries | null> {
  const files = await datasetFiles(root, DATASETS.quotes, { venue: [venue], symbol: [symbol], from, to });
  if (files.length === 0) return null;
  const cols = await queryColumns(ctx, 'backtest/quotes', span(files, from, to));
  if ((cols[0] ?? []).length === 0) return null;
  const f = (i: number): Float64Array => Float64Array.from(cols[i] ?? []);
  return { event_time: f(0), available_time: f(1), bid: f(2), ask: f(3), bid_size: f(4), ask_size: f(5) };
}

async function readTrades(ctx: ServiceContext, root: string, venue: string, symbol: string, from: number, to: number): Promise<TradeSeries | null> {
  const files = await datasetFiles(root, DATASETS.trades, { venue: [venue], symbol: [symbol], from, to });
  if (files.length === 0) return null;
  const cols = await queryColumns(ctx, 'backtest/trades', span(files, from, to));
  if ((cols[0] ?? []).length === 0) return null;
  const f = (i: number): Float64Array => Float64Array.from(cols[i] ?? []);
  return { event_time: f(0), available_time: f(1), price: f(2), size: f(3) };
}

interface InstrumentRow {
  symbol: string;
  tick_size: number | null;
  lot_size: number | null;
  contract_size: number | null;
  maker_fee: number | null;
  taker_fee: number | null;
  fee_tiers: string | null;
  funding_interval_hours: number | null;
  funding_accrual_hours: number | null;
  expiry: number | null;
}

async function readInstruments(ctx: ServiceContext, root: string, venue: string, symbols: string[], asOf: number): Promise<Map<string, InstrumentRow>> {
  const files = await datasetFiles(root, DATASETS.instruments, { venue: [venue], symbol: symbols });
  const out = new Map<string, InstrumentRow>();
  if (files.length === 0) return out;
  // the latest version available at the end of the run (the universe is the instruments as known then)
  const rows = await runQuery(ctx.db, 'backtest/instruments', { files: listOf(files), asof: timestampValue(BigInt(Math.round(asOf))) });
  for (const r of rows) out.set(String(r['symbol']), r as unknown as InstrumentRow);
  return out;
}

export function instrumentInfo(symbol: string, venue: string, row: InstrumentRow | undefined, config: BacktestConfig, firstOpen: number): InstrumentInfo {
  let tiers: FeeTier[] | null = null;
  if (row?.fee_tiers) {
    try {
      const parsed = JSON.parse(row.fee_tiers) as Array<{ min_volume_30d: number; maker: number; taker: number }>;
      tiers = parsed.map((t, i) => ({ name: String(i), min_volume_30d: t.min_volume_30d, maker: t.maker, taker: t.taker }));
    } catch {
      tiers = null;
    }
  }
  // A one-tier schedule in the instruments says only the base tier: the built-in schedule of the
  // venue has all of them (and starts with the same rates).
  let schedule: FeeTier[];
  try {
    schedule = feeSchedule(venue, config, tiers && tiers.length > 1 ? tiers : null);
  } catch (err) {
    if (tiers && tiers.length > 0) schedule = tiers;
    else if (row && row.maker_fee !== null && row.taker_fee !== null) schedule = [{ name: '0', min_volume_30d: 0, maker: row.maker_fee, taker: row.taker_fee }];
    else throw err;
  }
  // auto: the tier follows the account's trailing 30-day traded notional (the engine picks it per fill)
  const auto = config.fees.tier === 'auto';
  const tier = auto ? schedule.reduce((a, b) => (b.min_volume_30d < a.min_volume_30d ? b : a)) : resolveFeeTier(schedule, config.fees.tier, venue);
  const interval = row?.funding_interval_hours ?? config.funding.default_interval_hours;
  const marginTiers = marginTiersFor(config.margin.tiers, venue, symbol);
  return {
    symbol,
    venue,
    tick_size: row?.tick_size ?? config.execution.default_tick_size,
    lot_base: (row?.lot_size ?? 0) * (row?.contract_size ?? 1),
    maker_fee: tier.maker,
    taker_fee: tier.taker,
    ...(marginTiers ? { margin_tiers: marginTiers } : {}),
    ...(auto ? { fee_tiers: schedule.map((t) => ({ name: t.name, min_volume_30d: t.min_volume_30d, maker: t.maker, taker: t.taker })) } : {}),
    funding_interval_hours: interval,
    funding_accrual_hours: row?.funding_accrual_hours ?? interval,
    valid_from: firstOpen,
    valid_to: row?.expiry ?? Infinity,
  };
}

async function tableColumns(ctx: ServiceContext, table: string): Promise<string[]> {
  return (await runQuery(ctx.db, 'common/columns', {}, { idents: { t: table } })).map((r) => String(r['column_name']));
}

/** Columns read into the decision rows besides the strategy's: the regime filter and regime metrics use them. */
const CONTEXT_COLUMNS = ['corr_btc_168', 'vol_regime', 'trend_regime', 'funding_rate'];

async function readDecisions(ctx: ServiceContext, table: string, symbols: string[], wanted: string[]): Promise<DecisionSeries> {
  const present = await tableColumns(ctx, table);
  const missing = wanted.filter((c) => !present.includes(c));
  if (missing.length) {
    throw missingError(`the decision rows have no column ${missing.join(', ')}`, { hint: `columns present: ${present.filter((c) => !['source', 'venue', 'symbol', 'timeframe'].includes(c)).slice(0, 12).join(', ')}, ...` });
  }
  const cols = [...new Set([...wanted, ...CONTEXT_COLUMNS.filter((c) => present.includes(c))])];
  const c = cols.length
    ? await queryColumnsByName(ctx, 'backtest/decisions', { syms: listOf(symbols) }, { idents: { t: table }, lists: { cols } })
    : await queryColumnsByName(ctx, 'backtest/decision_times', { syms: listOf(symbols) }, { idents: { t: table } });
  return {
    sym: Uint16Array.from((c['__sym'] ?? []) as number[]),
    time: Float64Array.from((c['__time'] ?? []) as number[]),
    columns: cols,
    values: cols.map((name) => Float64Array.from((c[name] ?? []) as number[])),
  };
}

export interface Loaded {
  data: MarketData;
  venue: string;
  execTf: string;
  markTf: string | null;
  hashes: Record<string, string>;
  warnings: string[];
  intervals: Array<[number, number]>;
  repeated_look: boolean;
}

/**
 * Loads the decision rows of one segment (o.segment) or of several (segments: e.g. train and
 * validation of a holdout split, read as one span for walk-forward optimisation) and the market
 * data around them. Exported for perpkit optimize, which loads once and slices per window.
 */
export async function loadMarketData(
  o: BacktestOptions & { segments?: string[]; command?: string },
  config: BacktestConfig,
  strategyColumns: readonly string[],
  ctx: ServiceContext,
): Promise<Loaded> {
  return load(o, config, strategyColumns, ctx);
}

function concatDecisions(parts: DecisionSeries[]): DecisionSeries {
  if (parts.length === 1) return parts[0]!;
  const columns = parts[0]!.columns;
  for (const p of parts) if (p.columns.join(',') !== columns.join(',')) throw validationError('the segments have different feature columns');
  const cat = <T extends Float64Array | Uint16Array>(xs: T[], make: (n: number) => T): T => {
    const out = make(xs.reduce((a, x) => a + x.length, 0));
    let k = 0;
    for (const x of xs) {
      out.set(x, k);
      k += x.length;
    }
    return out;
  };
  return {
    sym: cat(parts.map((p) => p.sym), (n) => new Uint16Array(n)),
    time: cat(parts.map((p) => p.time), (n) => new Float64Array(n)),
    columns,
    values: columns.map((_, i) => cat(parts.map((p) => p.values[i]!), (n) => new Float64Array(n))),
  };
}

async function load(o: BacktestOptions & { segments?: string[]; command?: string }, config: BacktestConfig, strategyColumns: readonly string[], ctx: ServiceContext): Promise<Loaded> {
  let t = performance.now();
  const lap = (what: string): void => {
    const now = performance.now();
    ctx.log.progress(`backtest: ${what} ${(now - t).toFixed(0)} ms`);
    if (process.env['PERPKIT_DEBUG']) ctx.log.info(`backtest: ${what} ${(now - t).toFixed(0)} ms`);
    t = now;
  };
  const split = loadSplit(o.root, o.split);
  const names = o.segments ?? [o.segment];
  const selectors = names
    .map((name) => ({ name, selector: parseSelector(name), iv: selectorIntervals(split, parseSelector(name)) }))
    .sort((a, b) => (a.iv[0]?.[0] ?? 0) - (b.iv[0]?.[0] ?? 0));
  const intervals = selectors.flatMap((s) => s.iv);
  if (intervals.length === 0) throw missingError(`segment ${o.segment} of split ${o.split} is empty`);
  const start = intervals[0]![0];
  const end = Math.min(intervals[intervals.length - 1]![1], 9e15);
  const venue = split.venue;
  const symbols = split.symbols;
  for (const s of symbols) if (!isSlug(s)) throw usageError(`bad symbol ${s} in split ${o.split}`);
  const parts: DecisionSeries[] = [];
  let repeatedLook = false;
  for (const { name, selector } of selectors) {
    const seg = await readSegment(
      { root: o.root, name: o.split, selector, dataset: 'features', unseal_test: o.unseal_test ?? false, command: o.command ?? 'backtest', args: { split: o.split, segment: name, strategy: o.strategy }, flags: { allow_changed: null } },
      ctx,
    );
    repeatedLook ||= seg.repeated_look;
    const decisionTable = o.predictions_model
      ? await joinPredictions(ctx, o.root, seg.table, { venue, timeframe: split.timeframe, symbols, model_id: o.predictions_model })
      : seg.table;
    parts.push(await readDecisions(ctx, decisionTable, symbols, [...strategyColumns]));
  }
  const decisions = concatDecisions(parts);
  lap('decision rows');
  if (decisions.time.length === 0) throw missingError(`no decision rows in segment ${o.segment} of split ${o.split}`, { hint: 'rebuild the features for the split range' });

  // the finest traded-price timeframe that covers the start for every symbol
  const warmBars = Math.max(config.slippage.sigma_ref_bars, config.sizing.vol_bars, config.slippage.sigma_bars) + 2;
  const candidates = new Map<string, number>();
  for (const s of symbols) for (const tf of storedTimeframes(o.root, venue, s, 'last')) candidates.set(tf, (candidates.get(tf) ?? 0) + 1);
  const ordered = [...candidates.entries()].filter(([, n]) => n === symbols.length).map(([tf]) => tf).sort((a, b) => timeframeSeconds(a) - timeframeSeconds(b));
  if (ordered.length === 0) {
    throw missingError(`no traded-price bars for ${symbols.join(', ')} on ${venue} under ${o.root}`, { hint: `run "perpkit fetch --venue ${venue} --symbols ${symbols.join(',')}" first` });
  }
  const warnings: string[] = [];
  let execTf: string | null = null;
  let bars: BarSeries[] = [];
  for (const tf of ordered) {
    const tfUs = timeframeSeconds(tf) * 1e6;
    const from = start - warmBars * tfUs;
    const got: BarSeries[] = [];
    let ok = true;
    for (const s of symbols) {
      const b = await readBars(ctx, o.root, venue, s, 'last', tf, from, end);
      if (!b || b.open_time[0]! > start) {
        ok = false;
        break;
      }
      got.push(b);
    }
    if (ok) {
      execTf = tf;
      bars = got;
      break;
    }
  }
  if (!execTf) throw missingError(`no traded-price bars cover the start of segment ${o.segment} (${isoFromMicros(start)}) for every symbol`, { hint: 'fetch bars for the split range' });
  lap('bars');
  if (execTf !== ordered[0]) warnings.push(`executing on ${execTf} bars: the finer ${ordered[0]} bars do not cover the segment start`);

  const markTfs = symbols.map((s) => storedTimeframes(o.root, venue, s, 'mark'));
  let markTf: string | null = null;
  const mark: Array<BarSeries | null> = [];
  for (let i = 0; i < symbols.length; i++) {
    const tf = markTfs[i]![0];
    const m = tf ? await readBars(ctx, o.root, venue, symbols[i]!, 'mark', tf, start - 2 * DAY_US, end) : null;
    if (m && tf) markTf = tf;
    else warnings.push(`no mark bars for ${symbols[i]}: liquidations are tested on traded prices`);
    mark.push(m);
  }
  const funding: Array<FundingSeries | null> = [];
  for (const s of symbols) {
    const f = await readFunding(ctx, o.root, venue, s, start - DAY_US, end);
    if (!f) warnings.push(`no funding prints for ${s}: a position held across a due print is a missing print`);
    funding.push(f);
  }
  const quotes: Array<QuoteSeries | null> = [];
  for (const s of symbols) quotes.push(await readQuotes(ctx, o.root, venue, s, start, end));
  const withQuotes = symbols.filter((_, i) => quotes[i] !== null);
  if (withQuotes.length > 0) warnings.push(`market orders of ${withQuotes.join(', ')} execute on quotes (buy at the ask, sell at the bid)`);
  // trade prints: loaded only when asked (execution.source trades or auto) and stored
  const trades: Array<TradeSeries | null> = [];
  const source = config.execution.source;
  for (const s of symbols) trades.push(source === 'bars' ? null : await readTrades(ctx, o.root, venue, s, start, end));
  const withTrades = symbols.filter((_, i) => trades[i] !== null);
  if (source === 'trades' && withTrades.length < symbols.length) {
    const none = symbols.filter((_, i) => trades[i] === null);
    throw missingError(`--execution trades: no trades stored for ${none.join(', ')} on ${venue} in segment ${o.segment}`, {
      hint: `fetch the trades dataset for ${none.join(', ')}, or run with --execution auto (bars where there are no trades) or bars`,
    });
  }
  if (withTrades.length > 0) warnings.push(`orders of ${withTrades.join(', ')} execute on trade prints inside the span of the stored trades (bars outside it)`);
  lap('mark, funding, quotes and trades');
  const insRows = await readInstruments(ctx, o.root, venue, symbols, end);
  const instruments = symbols.map((s, i) => {
    if (!insRows.has(s)) warnings.push(`no instruments row for ${s}: default tick size, funding interval and the venue's fee schedule`);
    return instrumentInfo(s, venue, insRows.get(s), config, bars[i]!.open_time[0]!);
  });

  // Hashes of exactly what the engine reads (the loaded columns), not of whole datasets: cheap,
  // and a change anywhere in the rows used changes them.
  const hashes: Record<string, string> = {
    bars: arraysHash(bars.flatMap((b) => barArrays(b))),
    mark: arraysHash(mark.flatMap((b) => (b ? barArrays(b) : [new Float64Array(0)]))),
    funding: arraysHash(funding.flatMap((f) => (f ? [f.event_time, f.available_time, f.rate, f.interval_hours, f.mark] : [new Float64Array(0)]))),
    instruments: sha256(JSON.stringify(instruments, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v === -Infinity ? '-Infinity' : v))),
    features: arraysHash([decisions.time, Float64Array.from(decisions.sym), ...decisions.values], decisions.columns.join(',')),
  };
  if (withTrades.length > 0) hashes['trades'] = arraysHash(trades.flatMap((t) => (t ? [t.event_time, t.available_time, t.price, t.size] : [new Float64Array(0)])));
  if (withQuotes.length > 0) hashes['quotes'] = arraysHash(quotes.flatMap((q) => (q ? [q.event_time, q.available_time, q.bid, q.ask, q.bid_size, q.ask_size] : [new Float64Array(0)])));
  return {
    data: { symbols, instruments, bars, mark, funding, quotes, trades, decisions, start, end },
    venue,
    execTf,
    markTf,
    hashes,
    warnings,
    intervals,
    repeated_look: repeatedLook,
  };
}

function barArrays(b: BarSeries): Float64Array[] {
  return [b.open_time, b.close_time, b.available_time, b.open, b.high, b.low, b.close, b.volume];
}

function arraysHash(arrays: Float64Array[], prefix = ''): string {
  const h = createHash('sha256');
  h.update(prefix);
  for (const a of arrays) {
    h.update(String(a.length));
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  return h.digest('hex');
}

// ---- outputs -------------------------------------------------------------------------------------

export type Col = { name: string; type: 'DOUBLE' | 'INTEGER' | 'VARCHAR' | 'TIMESTAMP'; values: ArrayLike<number> | string[] };

/** Hash of a table's content: every column's bytes in order (stable across runs and machines). */
export function tableHash(cols: Col[]): string {
  const h = createHash('sha256');
  for (const c of cols) {
    h.update(`${c.name}:${c.type}\n`);
    if (Array.isArray(c.values)) h.update(JSON.stringify(c.values));
    else if (c.values instanceof Float64Array || c.values instanceof Int32Array) h.update(new Uint8Array(c.values.buffer, c.values.byteOffset, c.values.byteLength));
    else h.update(JSON.stringify(Array.from(c.values as ArrayLike<number>)));
  }
  return h.digest('hex');
}

export async function writeParquet(ctx: ServiceContext, path: string, cols: Col[]): Promise<void> {
  const n = cols[0]?.values.length ?? 0;
  const tmp = `bt_out_${Math.random().toString(36).slice(2, 10)}`;
  await execQuery(ctx.db, 'backtest/out_table', {}, { idents: { t: tmp } });
  try {
    // TIMESTAMP columns are filled as DOUBLE epoch microseconds and converted once filled
    const addQuery = { DOUBLE: 'backtest/out_add_double', TIMESTAMP: 'backtest/out_add_double', INTEGER: 'backtest/out_add_integer', VARCHAR: 'backtest/out_add_varchar' } as const;
    for (const c of cols) await execQuery(ctx.db, addQuery[c.type], {}, { idents: { t: tmp, col: c.name } });
    const app = await ctx.db.conn.createAppender(tmp, 'main', 'temp');
    for (let i = 0; i < n; i++) {
      app.appendNull(); // __row
      for (const c of cols) {
        const v = c.values[i];
        if (c.type === 'VARCHAR') {
          if (v === null || v === undefined) app.appendNull();
          else app.appendVarchar(String(v));
        } else if (c.type === 'INTEGER') app.appendInteger(v as number);
        else if (typeof v === 'number' && Number.isFinite(v)) app.appendDouble(v);
        else app.appendNull();
      }
      app.endRow();
    }
    app.closeSync();
    for (const c of cols) if (c.type === 'TIMESTAMP') await execQuery(ctx.db, 'backtest/out_timestamp', {}, { idents: { t: tmp, col: c.name } });
    await execQuery(ctx.db, 'backtest/out_copy', { path }, { idents: { t: tmp, cols: cols.map((c) => c.name) } });
  } finally {
    await execQuery(ctx.db, 'backtest/out_drop', {}, { idents: { t: tmp } });
  }
}

export function outputTables(r: EngineResult): Record<(typeof OUTPUT_TABLES)[number], Col[]> {
  const sym = (a: Int32Array): string[] => Array.from(a, (s) => r.symbols[s] ?? '');
  const o = r.orders;
  const f = r.fills;
  const e = r.equity;
  const fu = r.funding;
  const p = r.positions;
  return {
    orders: [
      { name: 'order_id', type: 'INTEGER', values: Int32Array.from(o.sym, (_, i) => i) },
      { name: 'symbol', type: 'VARCHAR', values: sym(o.sym) },
      { name: 'created_time', type: 'TIMESTAMP', values: o.created },
      { name: 'arrival_time', type: 'TIMESTAMP', values: o.arrival },
      { name: 'type', type: 'VARCHAR', values: Array.from(o.type, (t) => ORDER_TYPES[t] ?? '?') },
      { name: 'qty', type: 'DOUBLE', values: o.qty },
      { name: 'remaining', type: 'DOUBLE', values: o.remaining },
      { name: 'price', type: 'DOUBLE', values: o.price },
      { name: 'reduce_only', type: 'INTEGER', values: o.reduce_only },
      { name: 'status', type: 'VARCHAR', values: Array.from(o.status, (s) => ORDER_STATUS[s] ?? '?') },
      { name: 'reason', type: 'VARCHAR', values: Array.from(o.reason, (s) => REASONS[s] ?? '?') },
      { name: 'origin', type: 'VARCHAR', values: Array.from(o.origin, (s) => ORIGINS[s] ?? '?') },
    ],
    fills: [
      { name: 'order_id', type: 'INTEGER', values: f.order },
      { name: 'symbol', type: 'VARCHAR', values: sym(f.sym) },
      { name: 'fill_time', type: 'TIMESTAMP', values: f.time },
      { name: 'booked_time', type: 'TIMESTAMP', values: f.booked },
      { name: 'qty', type: 'DOUBLE', values: f.qty },
      { name: 'price', type: 'DOUBLE', values: f.price },
      { name: 'ref_price', type: 'DOUBLE', values: f.ref_price },
      { name: 'fee', type: 'DOUBLE', values: f.fee },
      { name: 'fee_rate', type: 'DOUBLE', values: f.fee_rate },
      { name: 'liquidity', type: 'VARCHAR', values: Array.from(f.maker, (m) => (m ? 'maker' : 'taker')) },
      { name: 'slippage_bps', type: 'DOUBLE', values: f.slippage_bps },
      { name: 'slippage_cost', type: 'DOUBLE', values: f.slippage_cost },
      { name: 'liquidation', type: 'INTEGER', values: f.liquidation },
      { name: 'realised_pnl', type: 'DOUBLE', values: f.realised },
      { name: 'bar_low', type: 'DOUBLE', values: f.bar_low },
      { name: 'bar_high', type: 'DOUBLE', values: f.bar_high },
      { name: 'source', type: 'VARCHAR', values: Array.from(f.source, (x) => FILL_SOURCES[x] ?? '?') },
      { name: 'fee_tier', type: 'VARCHAR', values: Array.from(f.fee_tier, (k, i) => (k >= 0 ? (r.fee_tier_names?.[f.sym[i]!]?.[k] ?? String(k)) : '')) },
    ],
    positions: [
      { name: 'time', type: 'TIMESTAMP', values: p.time },
      { name: 'symbol', type: 'VARCHAR', values: sym(p.sym) },
      { name: 'qty', type: 'DOUBLE', values: p.qty },
      { name: 'entry_price', type: 'DOUBLE', values: p.entry },
      { name: 'margin', type: 'DOUBLE', values: p.margin },
    ],
    equity: [
      { name: 'time', type: 'TIMESTAMP', values: e.time },
      { name: 'equity', type: 'DOUBLE', values: e.equity },
      { name: 'cash', type: 'DOUBLE', values: e.cash },
      { name: 'unrealised', type: 'DOUBLE', values: e.unrealised },
      { name: 'accrued_funding', type: 'DOUBLE', values: e.accrued_funding },
      { name: 'margin_used', type: 'DOUBLE', values: e.margin_used },
      { name: 'gross_exposure', type: 'DOUBLE', values: e.gross },
      { name: 'net_exposure', type: 'DOUBLE', values: e.net },
      { name: 'drawdown', type: 'DOUBLE', values: e.drawdown },
      { name: 'controller_state', type: 'VARCHAR', values: Array.from(e.state, (s) => DD_STATE_NAMES[s] ?? '?') },
    ],
    funding_payments: [
      { name: 'time', type: 'TIMESTAMP', values: fu.time },
      { name: 'symbol', type: 'VARCHAR', values: sym(fu.sym) },
      { name: 'kind', type: 'VARCHAR', values: Array.from(fu.kind, (k) => FUNDING_KINDS[k] ?? '?') },
      { name: 'rate', type: 'DOUBLE', values: fu.rate },
      { name: 'position_qty', type: 'DOUBLE', values: fu.qty },
      { name: 'mark_price', type: 'DOUBLE', values: fu.mark },
      { name: 'amount', type: 'DOUBLE', values: fu.amount },
    ],
    events: [
      { name: 'time', type: 'TIMESTAMP', values: Float64Array.from(r.events, (x) => x.time) },
      { name: 'kind', type: 'VARCHAR', values: r.events.map((x) => x.kind) },
      { name: 'symbol', type: 'VARCHAR', values: r.events.map((x) => x.symbol ?? '') },
      { name: 'detail', type: 'VARCHAR', values: r.events.map((x) => x.detail) },
    ],
  };
}

// ---- metrics -------------------------------------------------------------------------------------

function metricsOf(r: EngineResult, loaded: Loaded, config: BacktestConfig, minRegime: number): { metrics: BacktestResult['metrics']; regimes: RegimeRow[] } {
  // Resample equity to the decision bar (the split's timeframe grid): the last row of each bar.
  const tfUs = (loaded.data.decisions.time.length > 1 ? inferStep(loaded.data.decisions.time) : 0) || HOUR_US;
  const e = r.equity;
  const eqs: number[] = [config.initial_cash];
  const pos: number[] = [];
  const times: number[] = [];
  let lastBucket = Number.NaN;
  for (let i = 0; i < e.time.length; i++) {
    const b = Math.floor(e.time[i]! / tfUs);
    if (b === lastBucket) {
      eqs[eqs.length - 1] = e.equity[i]!;
      pos[pos.length - 1] = e.equity[i]! > 0 ? e.gross[i]! / e.equity[i]! : 0;
      times[times.length - 1] = e.time[i]!;
    } else {
      eqs.push(e.equity[i]!);
      pos.push(e.equity[i]! > 0 ? e.gross[i]! / e.equity[i]! : 0);
      times.push(e.time[i]!);
      lastBucket = b;
    }
  }
  const rets = new Float64Array(eqs.length - 1);
  for (let i = 1; i < eqs.length; i++) rets[i - 1] = eqs[i - 1]! > 0 ? eqs[i]! / eqs[i - 1]! - 1 : 0;
  const ppy = (365 * DAY_US) / tfUs;
  const m = returnsMetrics(rets, { periodsPerYear: ppy }, Float64Array.from(pos));
  let fees = 0;
  let liqFees = 0;
  let slip = 0;
  for (let i = 0; i < r.fills.fee.length; i++) {
    if (r.fills.liquidation[i]) liqFees += r.fills.fee[i]!;
    else fees += r.fills.fee[i]!;
    slip += r.fills.slippage_cost[i]!;
  }
  let funding = 0;
  for (let i = 0; i < r.funding.amount.length; i++) if (r.funding.kind[i] !== 0 || !isSettlementOfAccrual(r, i)) funding += r.funding.amount[i]!;
  const pnl = r.counters.final_equity - config.initial_cash;
  // average holding time: flat -> open -> flat spells in the positions table
  const openAt = new Map<number, number>();
  let held = 0;
  let spells = 0;
  for (let i = 0; i < r.positions.time.length; i++) {
    const s = r.positions.sym[i]!;
    const q = r.positions.qty[i]!;
    if (q !== 0 && !openAt.has(s)) openAt.set(s, r.positions.time[i]!);
    else if (q === 0 && openAt.has(s)) {
      held += r.positions.time[i]! - openAt.get(s)!;
      spells++;
      openAt.delete(s);
    }
  }
  const metrics = {
    ...m,
    initial_equity: config.initial_cash,
    final_equity: r.counters.final_equity,
    pnl,
    fills: r.fills.qty.length,
    avg_holding_hours: spells > 0 ? held / spells / HOUR_US : null,
    costs: { fees, liquidation_fees: liqFees, slippage: slip, funding, funding_share_of_pnl: pnl !== 0 ? funding / pnl : null },
  };
  return { metrics, regimes: regimeTable(rets, times, loaded.data.decisions, minRegime, ppy) };
}

/** Accrual venues book each accrual and then its settlement: count the accruals only. */
export function isSettlementOfAccrual(r: EngineResult, i: number): boolean {
  return r.funding.kind[i] === 0 && Number.isNaN(r.funding.rate[i]!);
}

function inferStep(t: Float64Array): number {
  let best = Infinity;
  for (let i = 1; i < t.length && i < 10_000; i++) {
    const d = t[i]! - t[i - 1]!;
    if (d > 0 && d < best) best = d;
  }
  return Number.isFinite(best) ? best : 0;
}

/**
 * Regime-conditional performance (seed §10.2): each period is labelled by the regimes of the
 * split's first symbol at the last decision before it (vol_regime, trend_regime, sign of the
 * funding rate); mean return and Sharpe per label, flagged below the minimum sample.
 */
function regimeTable(rets: Float64Array, times: number[], d: DecisionSeries, minN: number, ppy: number): RegimeRow[] {
  const dims: Array<[string, string, (v: number) => string]> = [
    ['volatility', 'vol_regime', (v) => (v < 0 ? 'low' : v > 0 ? 'high' : 'normal')],
    ['trend', 'trend_regime', (v) => (v > 0 ? 'up' : 'down')],
    ['funding', 'funding_rate', (v) => (v > 0 ? 'positive' : v < 0 ? 'negative' : 'zero')],
  ];
  const out: RegimeRow[] = [];
  for (const [dim, col, label] of dims) {
    const c = d.columns.indexOf(col);
    if (c < 0) continue;
    const vals = d.values[c]!;
    const groups = new Map<string, number[]>();
    let j = 0;
    let cur = Number.NaN;
    for (let i = 0; i < rets.length; i++) {
      // the return of period i ends at times[i + 1]; its label is the state at its start (times[i])
      const t0 = times[i] ?? -Infinity;
      while (j < d.time.length && d.time[j]! <= t0) {
        if (d.sym[j] === 0) cur = vals[j]!;
        j++;
      }
      if (Number.isNaN(cur)) continue;
      const k = label(cur);
      let g = groups.get(k);
      if (!g) groups.set(k, (g = []));
      g.push(rets[i]!);
    }
    for (const [k, g] of [...groups.entries()].sort()) {
      const a = Float64Array.from(g);
      out.push({ dimension: dim, regime: k, periods: a.length, mean_return: a.reduce((x, y) => x + y, 0) / a.length, sharpe: sharpeRatio(a, ppy), small_sample: a.length < minN });
    }
  }
  return out;
}

// ---- run -------------------------------------------------------------------------------------------

function strategyHash(spec: string, path: string | null, params: Record<string, unknown>, code: string): string {
  if (path) return sha256(`${readFileSync(path, 'utf8')}\n${JSON.stringify(params)}`);
  return sha256(`builtin:${spec}\n${code}\n${JSON.stringify(params)}`);
}

function newRunId(now: number, seedText: string): string {
  const iso = new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${iso}-${sha256(`${seedText}${now}${Math.random()}`).slice(0, 8)}`;
}

async function execute(
  o: BacktestOptions,
  config: BacktestConfig,
  params: Record<string, unknown>,
  ctx: ServiceContext,
  rerunOf: string | null,
): Promise<BacktestResult> {
  const { strategy, path } = await loadStrategy(o.strategy, params);
  const loaded = await load(o, config, strategy.columns ?? [], ctx);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const warnings = [...loaded.warnings];
  if (config.funding.missing !== 'error') warnings.push(`--funding-missing ${config.funding.missing}: missing funding prints are charged ${config.funding.missing === 'zero' ? 'zero' : 'the last rate'}`);
  if (loaded.repeated_look) warnings.push('REPEATED LOOK: this test segment was unsealed before');
  const t0 = performance.now();
  const r = runEngine(loaded.data, config, strategy);
  const engineMs = performance.now() - t0;
  if (r.counters.funding_missing > 0) warnings.push(`${r.counters.funding_missing} funding print(s) were missing while a position was open`);
  if (r.counters.kill_switch) warnings.push(`kill switch: ${r.counters.kill_switch}; trading stopped`);
  if (r.counters.liquidations > 0) warnings.push(`${r.counters.liquidations} liquidation(s)`);
  const code = codeVersion();
  const runId = newRunId(ctx.clock.now(), JSON.stringify([o, config]));
  const dir = join(o.root, 'runs', runId);
  const stage = `${dir}.tmp`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const tables = outputTables(r);
  const outputs: Manifest['outputs'] = {};
  for (const name of OUTPUT_TABLES) {
    const cols = tables[name];
    outputs[name] = { rows: cols[0]?.values.length ?? 0, sha256: tableHash(cols) };
    await writeParquet(ctx, join(stage, `${name}.parquet`), cols);
  }
  const { metrics, regimes } = metricsOf(r, loaded, config, o.min_regime_periods ?? 100);
  const manifest: Manifest = {
    run_id: runId,
    created_at: new Date(ctx.clock.now()).toISOString(),
    perpkit_version: perpkitVersion(),
    code_version: code,
    strategy: { spec: o.strategy, name: strategy.name, params, hash: strategyHash(o.strategy, path, params, code) },
    config,
    config_path: o.config_path ?? null,
    split: o.split,
    segment: o.segment,
    window: { start: isoFromMicros(loaded.data.start), end: isoFromMicros(loaded.data.end) },
    venue: loaded.venue,
    symbols: loaded.data.symbols,
    execution_timeframe: loaded.execTf,
    mark_timeframe: loaded.markTf,
    data_hashes: loaded.hashes,
    ...(o.predictions_model ? { predictions_model: o.predictions_model } : {}),
    seed: config.seed,
    funding_missing: config.funding.missing,
    warnings,
    counters: r.counters,
    outputs,
    rerun_of: rerunOf,
  };
  writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(stage, 'metrics.json'), `${JSON.stringify({ metrics, regimes, engine_ms: engineMs }, null, 2)}\n`);
  renameSync(stage, dir);
  await appendLedger(ctx, o.root, {
    kind: 'evaluation',
    command: 'backtest',
    args: { strategy: o.strategy, split: o.split, segment: o.segment, run_id: runId, rerun_of: rerunOf },
    config: { config, params },
    data_hashes: loaded.hashes,
    split_name: o.split,
    segment: o.segment,
    detail: { run_id: runId, sharpe: metrics.sharpe, total_return: metrics.total_return, observations: metrics.observations, strategy_hash: manifest.strategy.hash },
  });
  ctx.log.info(`backtest ${runId}: ${r.counters.events} events in ${engineMs.toFixed(0)} ms (${((r.counters.events / engineMs) * 1000).toFixed(0)} events/s); outputs in ${dir}`);
  for (const w of warnings) ctx.log.warn(w);
  return { run_id: runId, dir, manifest, metrics, regimes, warnings };
}

export async function runBacktest(o: BacktestOptions, ctx: ServiceContext): Promise<BacktestResult> {
  const { config, params } = resolveConfig(o.config ?? {});
  return execute(o, config, params, ctx, null);
}

export function readManifest(root: string, runId: string): Manifest {
  if (!isSlug(runId)) throw usageError(`${JSON.stringify(runId)} is not a run id`);
  const path = join(root, 'runs', runId, 'manifest.json');
  if (!existsSync(path)) throw missingError(`no run ${runId} (${path})`, { hint: `list them with "ls ${join(root, 'runs')}"` });
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

/**
 * Re-runs a manifest: same config, strategy, split segment and seed. The data must hash as it did
 * (else exit 3 naming the dataset); a changed strategy module is exit 3 too. Reports whether every
 * output is bit-identical to the original's.
 */
export async function rerunBacktest(o: RerunOptions, ctx: ServiceContext): Promise<BacktestResult> {
  const m = readManifest(o.root, o.run_id);
  const opts: BacktestOptions = { root: o.root, strategy: m.strategy.spec, split: m.split, segment: m.segment, ...(m.config_path ? { config_path: m.config_path } : {}), ...(m.predictions_model ? { predictions_model: m.predictions_model } : {}) };
  const recorded = m.config as { execution?: Record<string, unknown> };
  // runs recorded before execution.source existed executed on bars (and quotes), not on trade prints
  const config = BacktestConfigSchema.parse(recorded.execution && recorded.execution['source'] === undefined ? { ...recorded, execution: { ...recorded.execution, source: 'bars' } } : recorded);
  const { strategy, path } = await loadStrategy(m.strategy.spec, m.strategy.params);
  void strategy;
  if (path && strategyHash(m.strategy.spec, path, m.strategy.params, '') !== m.strategy.hash) {
    throw validationError(`strategy module ${path} changed since run ${o.run_id}`, { hint: 'restore the module as it was, or start a new run' });
  }
  const res = await execute(opts, config, m.strategy.params, ctx, o.run_id);
  const differences: string[] = [];
  for (const [k, v] of Object.entries(m.data_hashes)) {
    if (res.manifest.data_hashes[k] !== v) differences.push(`input ${k} changed (hash ${v.slice(0, 12)} -> ${res.manifest.data_hashes[k]?.slice(0, 12)})`);
  }
  for (const [k, v] of Object.entries(m.outputs)) {
    const now = res.manifest.outputs[k];
    if (!now || now.sha256 !== v.sha256) differences.push(`output ${k} differs (${v.rows} -> ${now?.rows ?? 0} rows)`);
  }
  if (res.manifest.code_version !== m.code_version) ctx.log.warn(`code version differs: ${m.code_version.slice(0, 12)} -> ${res.manifest.code_version.slice(0, 12)}`);
  if (differences.some((d) => d.startsWith('input'))) {
    throw validationError(`run ${o.run_id} cannot be reproduced: ${differences.join('; ')}`, { details: { differences, new_run: res.run_id } });
  }
  return { ...res, identical: differences.length === 0, differences };
}
