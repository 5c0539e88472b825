import type { ServiceContext } from '../../domain/context.js';
import { DATASETS, timeframeSeconds, BAR_TIMEFRAMES } from '../../domain/datasets.js';
import { missingError } from '../../domain/errors.js';
import { execQuery, runQuery } from '../../store/queries.js';
import { release, scan } from '../../store/read.js';
import { runStep } from '../../store/steps.js';
import type { Plan } from './plan.js';
import { BLOCK } from './kernels.js';

/**
 * Staging of the engine's inputs through the store's read side: bars (rolled up from a finer
 * stored timeframe when needed), funding and open interest, into the temp tables raw_perp,
 * raw_spot, raw_mark, raw_funding and raw_oi. Quarantined rows are left out and counted.
 */

/** Loads one bar series into table `into` (appending), rolled up from a finer stored timeframe if needed. */
export async function stageBars(
  ctx: ServiceContext,
  p: Plan,
  into: string,
  src: { venue: string; symbol: string; price: string },
  asSymbol: string,
  lowerUs: number | undefined,
  excluded: Record<string, number>,
): Promise<string | null> {
  const target = timeframeSeconds(p.timeframe);
  const candidates = Object.entries(BAR_TIMEFRAMES)
    .filter(([, s]) => s <= target && target % s === 0)
    .sort((a, b) => b[1] - a[1]);
  for (const [tf, secs] of candidates) {
    const s = await scan(ctx, p.root, DATASETS.bars, {
      venue: [src.venue],
      symbol: [src.symbol],
      price: [src.price],
      timeframe: [tf],
      ...(lowerUs !== undefined ? { from: lowerUs, event_from: lowerUs } : {}),
      ...(p.to !== undefined ? { to: p.to + 86_400_000_000, available_before: p.to } : {}),
      columns: ['event_time', 'available_time', 'open_time', 'open', 'high', 'low', 'close', 'volume'],
      prefix: 'bars_src',
    });
    if (s.files === 0) continue;
    if (s.excluded > 0) excluded[`bars ${src.venue}/${src.symbol} ${src.price} ${tf}`] = s.excluded;
    // Roll-up of complete buckets only (at 1:1 every bar is its own complete bucket: rollup_one
    // gives the roll-up's rows without its grouping).
    if (secs === target) {
      await execQuery(ctx.db, 'features/rollup_one', { sym: asSymbol, secs: BigInt(target) }, { idents: { into, src: s.table } });
    } else {
      await runStep(ctx, 'features/rollup', { sym: asSymbol, secs: BigInt(target), parts: BigInt(target / secs) }, undefined, { idents: { src: s.table } });
      await execQuery(ctx.db, 'features/append', {}, { idents: { into, src: 'rollup_out' } });
      await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t: 'rollup_out' } });
    }
    await release(ctx, s.table);
    // compressed now, a series at a time, so that the uncompressed rows never add up
    await execQuery(ctx.db, 'features/stage_checkpoint', {});
    return tf;
  }
  return null;
}

/** Rows of a temp table of the pipeline. */
export async function countRows(ctx: Pick<ServiceContext, 'db'>, t: string): Promise<number> {
  const [r] = await runQuery(ctx.db, 'features/count', {}, { idents: { t } });
  return Number(r?.['n']);
}

/**
 * Creates (or empties) the bar series table `t` that stageBars appends to. It lives in the session's
 * compressed staging database (queries/features/stage_db.sql), found by its bare name; a temp table
 * of that name (the leakage harness's restricted copy) is dropped so that it cannot hide it.
 */
export async function barsTable(ctx: Pick<ServiceContext, 'db'>, t: string): Promise<void> {
  await execQuery(ctx.db, 'features/stage_db', {});
  await execQuery(ctx.db, 'features/stage_search_path', {});
  await execQuery(ctx.db, 'features/drop_temp', {}, { idents: { t } });
  await execQuery(ctx.db, 'features/bars_table', {}, { idents: { t } });
}

/** Loads every input the families need into raw_* tables. */
export async function stageInputs(ctx: ServiceContext, p: Plan, notes: string[], excluded: Record<string, number>): Promise<void> {
  // Warm-up: from the last running-sum restart anchor before --from, minus the longest lookback,
  // so that every value from --from on is bit-identical to a full build's (kernels.ts, BLOCK).
  const lower = p.from !== undefined ? (Math.floor(Math.floor(p.from / p.tfUs) / BLOCK) * BLOCK - p.cfg.warmup_bars) * p.tfUs : undefined;
  for (const t of ['raw_perp', 'raw_spot', 'raw_mark']) await barsTable(ctx, t);
  const perpSyms = [...new Set([...p.symbols, ...(p.refs.has(p.cfg.btc_symbol) ? [p.cfg.btc_symbol] : [])])];
  for (const s of perpSyms) {
    const tf = await stageBars(ctx, p, 'raw_perp', { venue: p.venue, symbol: s, price: p.cfg.price }, s, lower, excluded);
    if (tf === null) {
      if (!p.symbols.includes(s)) {
        notes.push(`no ${p.cfg.price} bars of ${s} at ${p.timeframe}: cross-asset features are NULL`);
        continue;
      }
      throw missingError(`no ${p.cfg.price} bars of ${p.venue}/${s} at ${p.timeframe} or a finer timeframe that divides it`, {
        hint: `run "perpkit datasets --symbols ${s}" to see what is stored`,
      });
    }
    if (tf !== p.timeframe) notes.push(`${s}: ${p.timeframe} bars rolled up from ${tf}`);
    const mtf = await stageBars(ctx, p, 'raw_mark', { venue: p.venue, symbol: s, price: 'mark' }, s, lower, excluded);
    if (mtf === null && p.symbols.includes(s)) notes.push(`${s}: no mark bars at ${p.timeframe}: mark_basis is NULL`);
    const ref = p.refs.get(s);
    if (p.symbols.includes(s)) {
      if (ref?.spot_venue && ref.spot_symbol) {
        const stf = await stageBars(ctx, p, 'raw_spot', { venue: ref.spot_venue, symbol: ref.spot_symbol, price: 'last' }, s, lower, excluded);
        if (stf === null) notes.push(`${s}: no bars of its spot reference ${ref.spot_venue}/${ref.spot_symbol}: perp-spot features are NULL`);
        else if (stf !== p.timeframe) notes.push(`${s}: spot ${ref.spot_symbol} ${p.timeframe} bars rolled up from ${stf}`);
      } else notes.push(`${s}: no spot reference in instruments: perp-spot features are NULL`);
    }
  }
  await stageTrades(ctx, p, lower, excluded, notes);
  // Funding and open interest: every perp (BTC too, for funding_diff_btc).
  const fundingLower = p.from !== undefined ? p.from - p.cfg.warmup_funding_prints * 8 * 3_600_000_000 : undefined;
  if (!(await stageSeries(ctx, p, 'funding', 'funding_rate', 'raw_funding', perpSyms, fundingLower, excluded))) {
    notes.push('no funding stored for these perps: funding features are NULL');
  }
  // open interest: enough prints for its longest window (168) at the widest gap that still counts as consecutive
  const oiLower = lower !== undefined ? Math.min(lower, (p.from as number) - 200 * p.cfg.open_interest_max_gap_ms * 1000) : undefined;
  if (!(await stageSeries(ctx, p, 'open_interest', 'open_interest', 'raw_oi', perpSyms, oiLower, excluded))) {
    notes.push('no open interest stored for these perps: OI features are NULL');
  }
}

/**
 * Loads one value column of a per-print dataset (funding, open interest) into `into`
 * (symbol, event_time, available_time, <column>[, funding_interval_hours]).
 * Returns false when nothing is stored.
 */
async function stageSeries(
  ctx: ServiceContext,
  p: Plan,
  dataset: 'funding' | 'open_interest',
  column: 'funding_rate' | 'open_interest',
  into: string,
  symbols: string[],
  lowerUs: number | undefined,
  excluded: Record<string, number>,
): Promise<boolean> {
  // funding keeps each print's settlement interval (windows of prints are consecutive on it)
  const cols = ['symbol', 'event_time', 'available_time', column, ...(dataset === 'funding' ? ['funding_interval_hours'] : [])];
  const s = await scan(ctx, p.root, DATASETS[dataset], {
    venue: [p.venue],
    symbol: symbols,
    ...(lowerUs !== undefined ? { event_from: lowerUs } : {}),
    ...(p.to !== undefined ? { available_before: p.to } : {}),
    columns: cols,
    prefix: `${dataset}_src`,
  });
  if (s.files === 0) {
    await execQuery(ctx.db, dataset === 'funding' ? 'features/funding_empty' : 'features/series_empty', {}, { idents: { t: into, value: column } });
    return false;
  }
  if (s.excluded > 0) excluded[`${dataset} ${p.venue}`] = s.excluded;
  await execQuery(ctx.db, 'features/series_copy', {}, { idents: { t: into, cols, src: s.table } });
  await release(ctx, s.table);
  return true;
}

/**
 * Trades of each perp and of its spot reference (leg 'perp' / 'spot', staged under the perp's
 * symbol) into raw_trades, for the taker-flow features; empty when no trades are stored.
 */
async function stageTrades(ctx: ServiceContext, p: Plan, lowerUs: number | undefined, excluded: Record<string, number>, notes: string[]): Promise<void> {
  await execQuery(ctx.db, 'features/trades_table');
  for (const sym of p.symbols) {
    const ref = p.refs.get(sym);
    const legs: Array<['perp' | 'spot', string, string]> = [['perp', p.venue, sym]];
    if (ref?.spot_venue && ref.spot_symbol) legs.push(['spot', ref.spot_venue, ref.spot_symbol]);
    for (const [leg, venue, symbol] of legs) {
      const s = await scan(ctx, p.root, DATASETS.trades, {
        venue: [venue],
        symbol: [symbol],
        ...(lowerUs !== undefined ? { from: lowerUs, event_from: lowerUs } : {}),
        ...(p.to !== undefined ? { to: p.to + 86_400_000_000, available_before: p.to } : {}),
        columns: ['event_time', 'available_time', 'size', 'side'],
        prefix: 'trades_src',
      });
      if (s.files === 0) continue;
      if (s.excluded > 0) excluded[`trades ${venue}/${symbol}`] = s.excluded;
      if (s.rows > 0) notes.push(`${sym}: ${leg} taker flow from ${s.rows} trades of ${venue}/${symbol}`);
      await execQuery(ctx.db, 'features/trades_append', { sym, leg }, { idents: { src: s.table } });
      await release(ctx, s.table);
    }
  }
}
