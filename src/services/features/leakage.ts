import type { ServiceContext } from '../../domain/context.js';
import { AGE_COLUMNS, FEATURES } from '../../domain/features.js';
import { missingError } from '../../domain/errors.js';
import { execQuery, runQuery } from '../../store/queries.js';
import { listOf } from '../../store/dataset.js';
import { compute } from './build.js';
import { countRows, stageInputs } from './inputs.js';
import { plan, ts, type FeaturesOptions, type Plan } from './plan.js';

export interface LeakageOptions extends FeaturesOptions {
  cutoffs: number;
  seed?: number;
  /**
   * Runs after every computation, before the comparison (a seam for tests that plant a leak in
   * feat_out to show the harness catches it). Not used by the command.
   */
  afterCompute?: (ctx: ServiceContext) => Promise<void>;
}

export interface LeakageDifference {
  cutoff: string;
  mode: 'drop' | 'perturb';
  symbol: string;
  decision_time: string;
  column: string;
  full: number | null;
  modified: number | null;
}

export interface LeakageResult {
  cutoffs: string[];
  compared_rows: number;
  compared_values: number;
  /** compared values that were not NULL (a check of only NULLs proves nothing) */
  compared_non_null: number;
  /** rows of input data with available_time > cutoff that were dropped or perturbed, summed */
  modified_input_rows: number;
  differences: LeakageDifference[];
  ok: boolean;
}

const RAW_TABLES = ['raw_perp', 'raw_spot', 'raw_mark', 'raw_funding', 'raw_oi', 'raw_trades'] as const;

/**
 * For random cutoffs T: recompute every feature with each input row whose available_time > T
 * dropped, and again with those rows perturbed, and require every value at decision times <= T to
 * be bit-identical to the computation on the unmodified inputs (../shared/DESIGN.md, PIT rule 6).
 */
export async function checkLeakage(opts: LeakageOptions, ctx: ServiceContext): Promise<LeakageResult> {
  const p = await plan(opts, ctx);
  const notes: string[] = [];
  await stageInputs(ctx, p, notes, {});
  const db = ctx.db;
  for (const t of RAW_TABLES) await execQuery(db, 'common/copy_table', {}, { idents: { t: `keep_${t}`, src: t } });
  const range = await runQuery(db, 'features/leak_range', { syms: listOf(p.symbols) });
  const lo = Number(range[0]?.['lo']);
  const hi = Number(range[0]?.['hi']);
  const warmUs = p.cfg.warmup_bars * p.tfUs;
  const spanUs = 48 * p.tfUs; // decision times compared before each cutoff
  const aheadUs = 48 * p.tfUs; // rows after the cutoff that get dropped or perturbed
  if (!(hi - lo > warmUs + spanUs)) {
    throw missingError(`not enough ${p.timeframe} bars for the leakage check (need more than ${p.cfg.warmup_bars + 48} bars)`);
  }
  // Seeded cutoffs (xorshift), placed after a full warm-up; a cutoff lands between two bar closes.
  let state = (opts.seed ?? 42) >>> 0 || 1;
  const rand = (): number => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 4294967296;
  };
  const cutoffs: number[] = [];
  for (let i = 0; i < opts.cutoffs; i++) cutoffs.push(Math.round(lo + warmUs + spanUs + rand() * (hi - lo - warmUs - spanUs)));
  const cols = [...AGE_COLUMNS, ...FEATURES.map((x) => x.name)];
  const differences: LeakageDifference[] = [];
  let comparedRows = 0;
  let nonNull = 0;
  let modified = 0;
  const priceCols: Record<string, string[]> = {
    raw_perp: ['open', 'high', 'low', 'close', 'volume'],
    raw_spot: ['open', 'high', 'low', 'close', 'volume'],
    raw_mark: ['open', 'high', 'low', 'close'],
    raw_funding: ['funding_rate'],
    raw_oi: ['open_interest'],
    raw_trades: ['size'],
  };
  for (const [ci, T] of cutoffs.entries()) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.log.progress(`leakage: cutoff ${ci + 1}/${cutoffs.length}`);
    const params = { lower: ts(T - warmUs - spanUs), upper: ts(T + aheadUs), cut: ts(T) };
    // The grid runs past the cutoff (a feature reading later decision rows must be caught too);
    // only decisions <= T are compared.
    const cp: Plan = { ...p, from: T - spanUs, to: T + aheadUs };
    const restrict = async (mode: 'full' | 'drop' | 'perturb'): Promise<void> => {
      for (const t of RAW_TABLES) {
        const idents = { t, src: `keep_${t}` };
        if (mode === 'perturb') {
          // Perturb every later row: values scaled by a row-dependent factor, clocks kept.
          await execQuery(db, 'features/leak_perturb', params, { idents, lists: { vals: priceCols[t] ?? [] } });
        } else {
          await execQuery(db, 'features/leak_window', { ...params, drop: mode === 'drop' }, { idents });
        }
      }
    };
    await restrict('full');
    for (const t of RAW_TABLES) {
      modified += Number((await runQuery(db, 'features/leak_later', { cut: ts(T) }, { idents: { t } }))[0]?.['n']);
    }
    await compute(ctx, cp, {});
    await opts.afterCompute?.(ctx);
    await execQuery(db, 'features/leak_full', { cut: ts(T) });
    comparedRows += await countRows(ctx, 'leak_full');
    nonNull += Number((await runQuery(db, 'features/leak_non_null', {}, { lists: { cols } }))[0]?.['n']);
    for (const mode of ['drop', 'perturb'] as const) {
      await restrict(mode);
      await compute(ctx, cp, {});
      await opts.afterCompute?.(ctx);
      const diffs = await runQuery(db, 'features/leak_diffs', { cut: ts(T) }, { lists: { cols } });
      for (const d of diffs) {
        differences.push({
          cutoff: new Date(T / 1000).toISOString(),
          mode,
          symbol: String(d['symbol']),
          decision_time: String(d['t']),
          column: String(d['col']),
          full: d['full'] === null ? null : Number(d['full']),
          modified: d['modified'] === null ? null : Number(d['modified']),
        });
      }
    }
  }
  ctx.log.progressDone();
  return {
    cutoffs: cutoffs.map((T) => new Date(T / 1000).toISOString()),
    compared_rows: comparedRows,
    compared_values: comparedRows * cols.length,
    compared_non_null: nonNull,
    modified_input_rows: modified,
    differences,
    ok: differences.length === 0,
  };
}

