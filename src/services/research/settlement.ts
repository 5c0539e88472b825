import { timestampValue } from '@duckdb/node-api';
import type { ServiceContext } from '../../domain/context.js';
import { BAR_TIMEFRAMES, DATASETS, timeframeSeconds } from '../../domain/datasets.js';
import type { Interval } from '../../domain/split.js';
import { mean, std } from '../../stats/descriptive.js';
import { twoSidedP } from '../../stats/multiple-testing.js';
import { datasetFiles, listOf } from '../../store/dataset.js';
import { execQuery, readQuery, runQuery } from '../../store/queries.js';
import { runStep } from '../../store/steps.js';
import type { SplitFile } from '../split.js';

/**
 * Settlement event study (H6): around each funding settlement inside the evaluated segment, perp
 * and spot returns, perp minus spot, basis change, volume and range ratios, on the finest bars
 * stored; against placebo times half a settlement interval away (the same clock offsets at
 * non-settlement hours); split by the sign of the settling rate. t-statistics are clustered by
 * event time: the assets' values at one settlement are averaged first (they share the moment),
 * then t = mean / (sd / sqrt(events)). Price returns carry no funding cash flow, so nothing needs
 * removing from them.
 */
export const SETTLEMENT_MEASURES = [
  'pre_perp', 'post_perp', 'pre_far_perp', 'post_far_perp', 'pre_spot', 'post_spot', 'pre_rel', 'post_rel', 'pre_basis_chg', 'post_basis_chg', 'log_volume_ratio', 'log_range_ratio',
] as const;

export interface SettlementRow {
  kind: 'settlement' | 'placebo';
  rate_sign: 'positive' | 'negative' | 'all';
  measure: (typeof SETTLEMENT_MEASURES)[number];
  /** distinct event times (clusters) */
  events: number;
  mean: number | null;
  t: number | null;
  p_value: number | null;
}

export interface SettlementStudy {
  bar_timeframe: string;
  near_minutes: number;
  far_minutes: number;
  settlements: number;
  rows: SettlementRow[];
  note: string;
}

/** Finest bar timeframe stored for these symbols (price last). */
async function finestTimeframe(root: string, venue: string, symbols: string[]): Promise<string | null> {
  const tfs = Object.keys(BAR_TIMEFRAMES).sort((a, b) => timeframeSeconds(a) - timeframeSeconds(b));
  for (const tf of tfs) {
    const files = await datasetFiles(root, DATASETS.bars, { venue: [venue], symbol: symbols, price: ['last'], timeframe: [tf] });
    if (files.length) return tf;
  }
  return null;
}

export async function settlementStudy(
  ctx: ServiceContext,
  root: string,
  split: SplitFile,
  intervals: Interval[],
  o: { near_minutes: number; far_minutes: number },
): Promise<SettlementStudy | null> {
  const symbols = split.symbols;
  const tf = await finestTimeframe(root, split.venue, symbols);
  const fundingFiles = await datasetFiles(root, DATASETS.funding, { venue: [split.venue], symbol: symbols });
  const instFiles = await datasetFiles(root, DATASETS.instruments, { venue: [split.venue], symbol: symbols });
  if (!tf || fundingFiles.length === 0) return null;
  const marginUs = o.far_minutes * 60_000_000;
  if (intervals.length === 0) return null; // nothing inside the segment: no settlement to study
  const bounds = {
    lo: timestampValue(BigInt(Math.min(...intervals.map(([a]) => a)))),
    hi: timestampValue(BigInt(Math.max(...intervals.map(([, b]) => Math.min(b, 9e15))))),
  };
  const pad = { ...bounds, pad_min: BigInt(Math.ceil(o.far_minutes) + 1) };
  await execQuery(ctx.db, 'research/settle_intervals', {
    a: listOf(intervals.map(([a]) => String(a))),
    b: listOf(intervals.map(([, b]) => String(Math.min(b, 9e15)))),
  });
  // Events: settlements whose whole window lies in the segment; placebos half an interval later.
  await runStep(ctx, 'research/settle_raw', { files: listOf(fundingFiles), symbols: listOf(symbols), ...bounds });
  const gap = Number((await runQuery(ctx.db, 'research/settle_gap'))[0]?.['gap']);
  if (!Number.isFinite(gap) || gap <= 0) return null;
  await runStep(ctx, 'research/settle_event_times', { half: BigInt(Math.round(gap / 2)) });
  const barFiles = await datasetFiles(root, DATASETS.bars, { venue: [split.venue], symbol: symbols, price: ['last'], timeframe: [tf] });
  await runStep(ctx, 'research/settle_perp', { files: listOf(barFiles), ...pad });
  // Spot reference of each perp from its latest instrument row; the spot's finest stored bars.
  const refs = instFiles.length ? await runQuery(ctx.db, 'research/settle_spot_refs', { files: listOf(instFiles) }) : [];
  await execQuery(ctx.db, 'research/settle_spot_table');
  for (const r of refs) {
    const v = r['v'];
    const sp = r['sp'];
    if (typeof v !== 'string' || typeof sp !== 'string') continue;
    const stf = await finestTimeframe(root, v, [sp]);
    if (!stf) continue;
    const files = await datasetFiles(root, DATASETS.bars, { venue: [v], symbol: [sp], price: ['last'], timeframe: [stf] });
    await execQuery(ctx.db, 'research/settle_spot_append', { files: listOf(files), perp: String(r['symbol']), ...pad });
  }
  await runStep(ctx, 'research/settle_spot_sorted');
  const reader = await readQuery(ctx.db, 'research/settlement_events', { near_min: o.near_minutes, far_min: o.far_minutes });
  const rows = reader.getRowObjectsJS() as Array<Record<string, unknown>>;
  for (const t of ['research_settle_iv', 'research_settle_raw', 'research_settle_events', 'research_settle_perp', 'research_settle_spot']) {
    await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t } });
  }
  // Only events whose far window fits inside the segment (no bar outside it is used).
  const inside = (sUs: number): boolean => intervals.some(([a, b]) => sUs - marginUs >= a && sUs + marginUs < b);
  const out: SettlementRow[] = [];
  for (const kind of ['settlement', 'placebo'] as const) {
    for (const sign of ['all', 'positive', 'negative'] as const) {
      const sel = rows.filter((r) => {
        const rate = Number(r['rate']);
        const sUs = (r['s'] as Date).getTime() * 1000;
        return r['kind'] === kind && inside(sUs) && (sign === 'all' || (sign === 'positive' ? rate >= 0 : rate < 0));
      });
      for (const measure of SETTLEMENT_MEASURES) {
        const byTime = new Map<number, number[]>();
        for (const r of sel) {
          const v = r[measure];
          if (typeof v !== 'number' || !Number.isFinite(v)) continue;
          const k = (r['s'] as Date).getTime();
          byTime.set(k, [...(byTime.get(k) ?? []), v]);
        }
        const cl = Float64Array.from([...byTime.values()].map((vs) => vs.reduce((a, b) => a + b, 0) / vs.length));
        const m = cl.length ? mean(cl) : null;
        const s = cl.length > 1 ? std(cl, 1) : Number.NaN;
        const t = m !== null && s > 0 ? m / (s / Math.sqrt(cl.length)) : null;
        out.push({ kind, rate_sign: sign, measure, events: cl.length, mean: m, t, p_value: twoSidedP(t) });
      }
    }
  }
  return {
    bar_timeframe: tf,
    near_minutes: o.near_minutes,
    far_minutes: o.far_minutes,
    settlements: new Set(rows.filter((r) => r['kind'] === 'settlement').map((r) => (r['s'] as Date).getTime())).size,
    rows: out,
    note: 'returns are log price returns (no funding cash flow in them); t clustered by event time; placebo = half a settlement interval later',
  };
}
