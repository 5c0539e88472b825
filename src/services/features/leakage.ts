import type { ServiceContext } from '../../domain/context.js';
import { AGE_COLUMNS, FEATURES } from '../../domain/features.js';
import { missingError } from '../../domain/errors.js';
import { quoteIdent as q } from '../../store/duckdb.js';
import { listOf } from '../../store/dataset.js';
import { compute } from './build.js';
import { stageInputs } from './inputs.js';
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
  for (const t of RAW_TABLES) await db.exec(`CREATE OR REPLACE TEMP TABLE ${q(`keep_${t}`)} AS SELECT * FROM ${q(t)}`);
  const range = await db.all(
    `SELECT epoch_us(min(event_time))::BIGINT AS lo, epoch_us(max(event_time))::BIGINT AS hi FROM keep_raw_perp WHERE symbol IN (SELECT unnest($syms))`,
    { syms: listOf(p.symbols) },
  );
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
        const window = `event_time >= $lower AND event_time < $upper`;
        if (mode === 'full') {
          await db.exec(`CREATE OR REPLACE TEMP TABLE ${q(t)} AS SELECT * FROM ${q(`keep_${t}`)} WHERE ${window}`, { lower: params.lower, upper: params.upper });
        }
        else if (mode === 'drop') {
          await db.exec(`CREATE OR REPLACE TEMP TABLE ${q(t)} AS SELECT * FROM ${q(`keep_${t}`)} WHERE ${window} AND available_time <= $cut`, params);
        } else {
          // Perturb every later row: values scaled by a row-dependent factor, clocks kept.
          const repl = (priceCols[t] ?? []).map((c) => `${q(c)} * (1.5 + 0.25 * sin(epoch(event_time))) AS ${q(c)}`).join(', ');
          await db.exec(
            `CREATE OR REPLACE TEMP TABLE ${q(t)} AS
             SELECT * FROM ${q(`keep_${t}`)} WHERE ${window} AND available_time <= $cut
             UNION ALL SELECT * REPLACE (${repl}) FROM ${q(`keep_${t}`)} WHERE ${window} AND available_time > $cut`,
            params,
          );
        }
      }
    };
    await restrict('full');
    for (const t of RAW_TABLES) {
      modified += Number(await db.scalar(`SELECT count(*) FROM ${q(t)} WHERE available_time > $cut`, { cut: ts(T) }));
    }
    await compute(ctx, cp, {});
    await opts.afterCompute?.(ctx);
    await db.exec(`CREATE OR REPLACE TEMP TABLE leak_full AS SELECT * FROM feat_out WHERE decision_time <= $cut`, { cut: ts(T) });
    comparedRows += Number(await db.scalar('SELECT count(*) FROM leak_full'));
    nonNull += Number(await db.scalar(`SELECT ${cols.map((c) => `count(${q(c)})`).join(' + ')} FROM leak_full`));
    for (const mode of ['drop', 'perturb'] as const) {
      await restrict(mode);
      await compute(ctx, cp, {});
      await opts.afterCompute?.(ctx);
      const diffs = await db.all(
        `SELECT a.symbol, strftime(coalesce(a.decision_time, b.decision_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS t, c.col,
                c.va AS full, c.vb AS modified
         FROM leak_full a FULL JOIN (SELECT * FROM feat_out WHERE decision_time <= $cut) b USING (symbol, decision_time)
         CROSS JOIN LATERAL (SELECT unnest([${cols.map((c) => `'${c}'`).join(', ')}]) AS col,
                                    unnest([${cols.map((c) => `a.${q(c)}::DOUBLE`).join(', ')}]) AS va,
                                    unnest([${cols.map((c) => `b.${q(c)}::DOUBLE`).join(', ')}]) AS vb) c
         WHERE c.va IS DISTINCT FROM c.vb OR a.symbol IS NULL OR b.symbol IS NULL
         LIMIT 50`,
        { cut: ts(T) },
      );
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

