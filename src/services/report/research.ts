/**
 * The research tear sheet: the `research` dataset's rows of one run (keyed by run_id) and its
 * ledger trial. The verdict table is recomputed from the stored cells with the hypothesis specs the
 * run used (shipped, or an earlier version in hypotheses/versions/ with the hash it recorded) and the
 * config the run recorded (the defaults for older runs; the dataset does not store verdicts), and
 * shown next to
 * the verdicts the run recorded in the ledger; a difference is said on the page. The settlement
 * event study is recomputed from the split's bars and funding when the split still exists; the
 * venue-robustness check (H3) reads the other venues' cells the run recorded in its ledger row.
 */
import { join } from 'node:path';
import type { ServiceContext } from '../../domain/context.js';
import { missingError, PerpkitError, usageError } from '../../domain/errors.js';
import { FEATURES } from '../../domain/features.js';
import { DEFAULT_RESEARCH_CONFIG, ResearchConfigSchema, researchSpec, type ResearchConfig } from '../../domain/research.js';
import { normCdf } from '../../stats/normal.js';
import { datasetFiles, listOf } from '../../store/dataset.js';
import { runQuery } from '../../store/queries.js';
import { ledgerSpec } from '../../store/ledger.js';
import type { CellResult } from '../research/cells.js';
import { evalIntervals, icBySymbol, type EvalSegment } from '../research/panel.js';
import { settlementStudy, type SettlementStudy } from '../research/settlement.js';
import type { RecordedVenues } from '../research/venues.js';
import { archivedSpec, loadHypotheses } from '../research/specs.js';
import { judge, type Verdict } from '../research/verdicts.js';
import { loadSplit } from '../split.js';
import { chart, r6, table, text } from './common.js';
import type { LedgerSummary } from './ledger.js';
import type { Block, Chart, Report, Section } from './schema.js';
import { REPORT_SCHEMA } from './schema.js';

export interface ResearchData {
  run_id: string;
  split: string;
  segment: string;
  venue: string;
  timeframe: string;
  created_at: string | null;
  config_hash: string;
  spec_hashes: Record<string, string>;
  data_hashes: Record<string, string>;
  cells: CellResult[];
  round_trip_cost: number | null;
  /** the verdicts the run recorded (ledger detail), by hypothesis id */
  recorded: Record<string, string>;
  command_args: unknown;
  unseal_reason: string | null;
  settlement: SettlementStudy | null;
  settlement_note: string;
  verdicts: Verdict[];
  /** the hypotheses whose spec file's hash differs from the one the run recorded */
  specs_changed?: string[];
  /** the config the verdicts were recomputed with (the run's recorded one, else the defaults); absent: the defaults */
  config?: ResearchConfig;
  /** the verdicts were recomputed with the config the run recorded (else with the defaults) */
  config_recorded?: boolean;
  /** the run recorded a config that does not validate now (why): the defaults were used */
  config_invalid?: string;
}

const j = <T>(s: unknown, d: T): T => {
  if (typeof s !== 'string') return d;
  try {
    return JSON.parse(s) as T;
  } catch {
    return d;
  }
};
const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number.isFinite(Number(v)) ? Number(v) : null);

/** The research run's ledger row (event_time, args, detail) if present. */
async function ledgerRow(ctx: ServiceContext, root: string, runId: string | null): Promise<Array<{ at: string; args: string; detail: string | null }>> {
  const files = await datasetFiles(root, ledgerSpec());
  if (!files.length) return [];
  return (await runQuery(
    ctx.db,
    'report/research_ledger',
    { files: listOf(files), id: runId },
  )) as unknown as Array<{ at: string; args: string; detail: string | null }>;
}

export async function latestResearchRun(ctx: ServiceContext, root: string): Promise<{ id: string; at: string } | null> {
  const rows = await ledgerRow(ctx, root, null);
  const last = rows[rows.length - 1];
  const id = last ? j<{ run_id?: string }>(last.detail, {}).run_id : undefined;
  return last && id ? { id, at: last.at } : null;
}

export async function loadResearch(ctx: ServiceContext, root: string, runId: string): Promise<ResearchData> {
  if (!/^[0-9a-f]{6,64}$/.test(runId)) throw usageError(`${JSON.stringify(runId)} is not a research run id`, { hint: 'research run ids are hex (perpkit research prints them; the research dataset has a run_id column)' });
  const files = await datasetFiles(root, researchSpec());
  const rows = files.length
    ? await runQuery(ctx.db, 'report/research_rows', { files: listOf(files), id: runId })
    : [];
  if (!rows.length) throw missingError(`no research run ${runId} in ${join(root, 'research')}`, { hint: 'run "perpkit research --split NAME" (not --no-write), or use --latest' });
  const first = rows[0]!;
  const cells: CellResult[] = rows.map((r) => {
    const ic = n(r['ic']);
    const t = n(r['t_nw']);
    const pt = n(r['partial_t_nw']);
    return {
      feature: String(r['feature']),
      horizon: String(r['horizon']),
      // runs written before targets existed have no target column: their cells are perp
      target: r['target'] === 'relative' ? 'relative' : 'perp',
      horizon_ms: Number(r['horizon_ms']),
      regime_dim: String(r['regime_dim']),
      regime_cell: String(r['regime_cell']),
      status: r['status'] === 'ok' ? 'ok' : 'insufficient',
      n: Number(r['n'] ?? 0),
      assets: Number(r['assets'] ?? 0),
      effective_n: n(r['effective_n']),
      ic,
      ic_panel: n(r['ic_panel']),
      ic_by_asset: j(r['ic_by_asset'], {}),
      t_naive: n(r['t_naive']),
      t_nw: t,
      se_nw: ic !== null && t !== null && t !== 0 ? Math.abs(ic / t) : null,
      nw_lags: Number(r['nw_lags'] ?? 0),
      p_value: n(r['p_value']),
      p_holm: n(r['p_holm']),
      p_bh: n(r['p_bh']),
      hit_rate: n(r['hit_rate']),
      ic_periods: Number(r['ic_periods'] ?? 0),
      ic_ir: n(r['ic_ir']),
      ic_rolling_std: n(r['ic_rolling_std']),
      ic_trend: n(r['ic_trend']),
      sign_stability: n(r['sign_stability']),
      sign_pairs: Math.max(0, Number(r['ic_periods'] ?? 0) - 1),
      turnover: n(r['turnover']),
      buckets: j(r['buckets'], null),
      monotonicity: n(r['monotonicity']),
      monotonicity_p: n(r['monotonicity_p']),
      spread: n(r['spread']),
      spread_ci_low: n(r['spread_ci_low']),
      spread_ci_high: n(r['spread_ci_high']),
      partial_ic: n(r['partial_ic']),
      partial_t_nw: pt,
      partial_p: pt === null ? null : 2 * (1 - normCdf(Math.abs(pt))),
      r2_lift: n(r['r2_lift']),
      ic_ex_stress: n(r['ic_ex_stress']),
      p_ex_stress: n(r['p_ex_stress']),
      cs_ic: n(r['cs_ic']),
      cs_t_nw: n(r['cs_t_nw']),
      cs_times: Number(r['cs_times'] ?? 0),
      viable: r['viable'] === null || r['viable'] === undefined ? null : Boolean(r['viable']),
    };
  });
  // perp before relative within a (feature, horizon, regime cell) (the SQL order cannot name target: runs written before it have no such column)
  const cmp = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  cells.sort((a, b) => cmp(a.feature, b.feature) || a.horizon_ms - b.horizon_ms || cmp(a.target, b.target) || cmp(a.regime_dim, b.regime_dim) || cmp(a.regime_cell, b.regime_cell));
  const led = (await ledgerRow(ctx, root, runId))[0];
  const detail = j<{ verdicts?: Record<string, string>; unseal_reason?: string | null; venues?: RecordedVenues; config?: unknown }>(led?.detail, {});
  const specHashes = j<Record<string, string>>(first['spec_hashes'], {});
  const split = String(first['split_name']);
  const segment = String(first['segment']) as EvalSegment;
  // the config the run recorded in its ledger row; for runs recorded before that, the defaults
  // research used (a folds-test run's IC periods are its folds)
  const recordedCfg = detail.config === undefined ? null : ResearchConfigSchema.safeParse(detail.config);
  const cfg: ResearchConfig = recordedCfg?.success ? recordedCfg.data : ResearchConfigSchema.parse(segment === 'folds-test' ? { ic_period: 'fold' } : {});
  let settlement: SettlementStudy | null = null;
  let note = '';
  const ids = Object.keys(specHashes);
  if (ids.includes('H6')) {
    let sp: ReturnType<typeof loadSplit> | null = null;
    let unreadable = '';
    try {
      sp = loadSplit(root, split);
    } catch (err) {
      // the split is gone, or its file torn or hand-edited: the rest of the report does not need it
      if (!(err instanceof PerpkitError)) throw err;
      unreadable = err.kind === 'missing' ? `split ${split} no longer exists` : err.message;
    }
    if (sp) {
      settlement = await settlementStudy(
        ctx,
        root,
        sp,
        evalIntervals(sp, segment),
        { near_minutes: cfg.settlement_near_minutes, far_minutes: cfg.settlement_far_minutes },
      );
      note = settlement ? `recomputed from split ${split}'s bars and funding` : 'no funding or bars in the segment';
    } else note = `${unreadable}: the event study cannot be recomputed`;
  } else note = 'H6 was not judged in this run';
  const roundTrip = n(first['round_trip_cost']);
  // each hypothesis is judged with the spec the run used: the shipped one, or the earlier version
  // kept byte for byte in hypotheses/versions/ whose hash the run recorded
  const specs = (ids.length ? loadHypotheses(ids.filter((i) => /^H[1-6]$/.test(i))) : []).map((x) => (specHashes[x.spec.id] === x.hash ? x : archivedSpec(x.spec.id, specHashes[x.spec.id]) ?? x));
  // a recomputed verdict that differs: the spec the run used is not shipped any more (its hash), or perpkit's verdict rules changed
  const specsChanged = specs.filter((x) => specHashes[x.spec.id] !== x.hash).map((x) => x.spec.id);
  // the other venues' cells the run's venue-robustness check judged (recorded in its ledger row;
  // runs recorded before they were have none: the check then says no second venue)
  const venues = detail.venues ? { venue: String(first['venue']), timeframe: String(first['timeframe']), others: detail.venues.others, tested: detail.venues.tested } : null;
  const verdicts = specs.map((s) => judge(s.spec, cells, cfg, roundTrip, settlement, venues));
  return {
    run_id: runId,
    split,
    segment,
    venue: String(first['venue']),
    timeframe: String(first['timeframe']),
    created_at: led?.at ?? String(first['at']),
    config_hash: String(first['config_hash']),
    spec_hashes: specHashes,
    data_hashes: j(first['data_hashes'], {}),
    cells,
    round_trip_cost: roundTrip,
    recorded: detail.verdicts ?? {},
    command_args: j(led?.args, null),
    unseal_reason: detail.unseal_reason ?? null,
    settlement,
    settlement_note: note,
    verdicts,
    config: cfg,
    specs_changed: specsChanged,
    config_recorded: recordedCfg?.success === true,
    ...(recordedCfg && !recordedCfg.success ? { config_invalid: recordedCfg.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') } : {}),
  };
}

const families0 = new Map(FEATURES.map((f) => [f.name, f.family as string]));
/** a feature's family; a relative-target cell's shown name ends in " (relative)" */
const familyOf = { get: (name: string): string | undefined => families0.get(name.replace(/ \(relative\)$/, '')) };
const bp = (v: number | null): number | null => (v === null ? null : r6(v * 1e4));

/**
 * Why a recomputed verdict differs from the one the run recorded, when the run recorded its config:
 * its spec changed; or (H6) its event study, recomputed from the split, bars and funding as they are
 * now, differs or could not be made; otherwise perpkit's verdict rules changed since the run.
 */
function whyDiffers(d: ResearchData, id: string): string {
  if (d.specs_changed?.includes(id)) return 'the spec the run used is no longer shipped (no file in hypotheses/ or hypotheses/versions/ has its hash)';
  if (id === 'H6') return d.settlement ? "its settlement study is recomputed from the split's bars and funding as they are now" : `its settlement study could not be recomputed (${d.settlement_note})`;
  return "perpkit's verdict rules changed since the run (same spec, the run's config)";
}

/** The most significant unconditional cell of each feature (its best horizon). */
function bestByFeature(cells: CellResult[]): CellResult[] {
  const best = new Map<string, CellResult>();
  for (const c of cells) {
    if (c.regime_dim !== 'all' || c.status !== 'ok' || c.t_nw === null) continue;
    const b = best.get(c.feature);
    if (!b || Math.abs(c.t_nw) > Math.abs(b.t_nw ?? 0)) best.set(c.feature, c);
  }
  return [...best.values()].sort((a, b) => Math.abs(b.t_nw ?? 0) - Math.abs(a.t_nw ?? 0));
}

export function researchSections(data: ResearchData): Section[] {
  // a relative-target cell (perp minus spot return) is shown under its feature's name with "(relative)"
  const d: ResearchData = { ...data, cells: data.cells.map((c) => (c.target === 'relative' ? { ...c, feature: `${c.feature} (relative)` } : c)) };
  const all = d.cells.filter((c) => c.regime_dim === 'all');
  const horizons = [...new Map(d.cells.map((c) => [c.horizon, c.horizon_ms])).entries()].sort((a, b) => a[1] - b[1]).map((x) => x[0]);
  const families = [...new Set(all.map((c) => familyOf.get(c.feature) ?? 'other'))].sort();
  // IC by horizon per family, Newey-West 95% intervals
  const icBlocks: Block[] = families.map((fam) => {
    const cs = all.filter((c) => (familyOf.get(c.feature) ?? 'other') === fam).sort((a, b) => a.feature.localeCompare(b.feature) || a.horizon_ms - b.horizon_ms);
    return chart<Chart>({
      id: `ic-${fam}`,
      title: `IC by horizon: ${fam} (bars: pooled IC; whiskers: 95% Newey-West interval)`,
      kind: 'bar',
      data: {
        categories: cs.map((c) => `${c.feature} ${c.horizon}`),
        series: [{ name: 'IC', values: cs.map((c) => r6(c.ic)) }],
        errors: cs.map((c) => (c.ic === null || c.se_nw === null ? { lo: null, hi: null } : { lo: r6(c.ic - 1.96 * c.se_nw), hi: r6(c.ic + 1.96 * c.se_nw) })),
        y_unit: '',
      },
    });
  });
  const best = bestByFeature(d.cells);
  const top = best.slice(0, 12);
  // IC by regime heatmap: features at their best horizon x regime cells
  const regimeCols = [...new Set(d.cells.filter((c) => c.regime_dim !== 'all').map((c) => `${c.regime_dim}:${c.regime_cell}`))].sort();
  const heat: Array<[number, number, number | null]> = [];
  top.forEach((b, yi) => {
    regimeCols.forEach((col, xi) => {
      const c = d.cells.find((x) => x.feature === b.feature && x.horizon === b.horizon && `${x.regime_dim}:${x.regime_cell}` === col);
      if (c) heat.push([xi, yi, c.status === 'ok' && c.ic !== null ? Number(c.ic.toPrecision(3)) : null]);
    });
  });
  const regimeBlocks: Block[] = regimeCols.length
    ? [chart<Chart>({ id: 'ic-regime', title: 'IC by regime (features at their most significant horizon; blank: too few observations; 3 significant digits)', kind: 'heatmap', data: { x: regimeCols, y: top.map((b) => `${b.feature} ${b.horizon}`), cells: heat, unit: '' } })]
    : [text('No regime cells in this run.')];
  // IC by asset: the features at their best horizon x symbols; a folds-test run's (symbol, fold)
  // ICs rolled up per symbol (mean over the folds with an IC, and how many share the pooled sign)
  const folds = d.segment === 'folds-test';
  const bySymbol = top.map((b) => icBySymbol(b.ic_by_asset));
  const symbols = [...new Set(bySymbol.flatMap((x) => Object.keys(x)))].sort();
  const assetHeat: Array<[number, number, number | null]> = [];
  bySymbol.forEach((x, yi) =>
    symbols.forEach((sym, xi) => {
      const v = x[sym]?.ic ?? null;
      assetHeat.push([xi, yi, v === null ? null : Number(v.toPrecision(3))]);
    }),
  );
  const assetCell = (b: CellResult, x: ReturnType<typeof icBySymbol>[string] | undefined): string | number | null => {
    if (!x || x.ic === null) return null;
    if (!folds) return r6(x.ic);
    const same = b.ic === null ? 0 : b.ic < 0 ? x.negative : x.positive;
    return `${r6(x.ic)} (${same}/${x.listed} folds same sign)`;
  };
  const assetBlocks: Block[] = symbols.length
    ? [
        text(
          folds
            ? "Each symbol's IC is the mean of its within-fold ICs over the folds where it has one (this run pooled every fold's test side); the count is the folds whose IC has the pooled IC's sign, of the folds listed. The pooled IC is the mean over (symbol, fold)."
            : "Each symbol's time-series Spearman IC; the pooled IC is their mean. With 3-5 assets, an effect carried by one asset is visible here and not in the pooled number.",
        ),
        chart<Chart>({ id: 'ic-asset', title: `IC by asset (features at their most significant horizon${folds ? '; mean over folds' : ''}; 3 significant digits)`, kind: 'heatmap', data: { x: symbols, y: top.map((b) => `${b.feature} ${b.horizon}`), cells: assetHeat, unit: '' } }),
        table(
          'ic-asset',
          folds ? 'IC by symbol, rolled up over the folds' : 'IC by asset',
          ['feature', 'horizon', 'pooled IC', ...symbols],
          top.map((b, k) => [b.feature, b.horizon, r6(b.ic), ...symbols.map((sym) => assetCell(b, bySymbol[k]![sym]))]),
        ),
      ]
    : [text('No per-asset ICs stored for the unconditional cells of this run.')];
  // decay: IC against horizon for the top features
  const decayFeatures = best.slice(0, 6).map((b) => b.feature);
  const decayBlocks: Block[] =
    horizons.length > 1
      ? [
          chart<Chart>({
            id: 'decay',
            title: 'Decay: IC by horizon (the 6 most significant features)',
            kind: 'line',
            data: { x_type: 'category', x: horizons, series: decayFeatures.map((f) => ({ name: f, values: horizons.map((h) => r6(all.find((c) => c.feature === f && c.horizon === h)?.ic ?? null)) })), y_unit: '', downsampled_from: null },
          }),
        ]
      : [text(`One horizon (${horizons[0] ?? 'none'}) in this run: no decay curve.`)];
  // magnitude buckets of the top 4
  const bucketBlocks: Block[] = best
    .slice(0, 4)
    .filter((b) => b.buckets && b.buckets.length)
    .map((b) =>
      chart<Chart>({
        id: `buckets-${b.feature}-${b.horizon}`,
        title: `Magnitude buckets: ${b.feature} ${b.horizon}, mean forward ${b.target === 'relative' ? 'perp-minus-spot ' : ''}return (bps) by quintile of the feature (monotonicity ${r6(b.monotonicity) ?? 'n/a'}, p ${r6(b.monotonicity_p) ?? 'n/a'})`,
        kind: 'bar',
        data: { categories: (b.buckets ?? []).map((k) => `Q${k.bucket}`), series: [{ name: 'mean return (bps)', values: (b.buckets ?? []).map((k) => bp(k.mean_return)) }], errors: null, y_unit: 'bps' },
      }),
    );
  const signBlocks: Block[] = [
    text("perpkit research stores the share of adjacent periods whose IC keeps its sign, not the per-period ICs: this chart shows that share per feature (its most significant horizon), not a time series."),
    chart<Chart>({ id: 'sign-stability', title: 'Sign stability: share of adjacent periods with the same IC sign', kind: 'bar', data: { categories: top.map((b) => `${b.feature} ${b.horizon}`), series: [{ name: 'sign stability', values: top.map((b) => (b.sign_stability === null ? null : r6(b.sign_stability * 100))) }], errors: null, y_unit: '%' } }),
  ];
  const incr = table(
    'incrementality',
    'Incrementality over the baseline stack (partial IC, walk-forward)',
    ['feature', 'horizon', 'IC', 't NW', 'BH p', 'partial IC', 'partial t NW', 'R2 lift', 'IC ex stress', 'viable'],
    best.map((c) => [c.feature, c.horizon, r6(c.ic), r6(c.t_nw), r6(c.p_bh), r6(c.partial_ic), r6(c.partial_t_nw), r6(c.r2_lift), r6(c.ic_ex_stress), c.viable]),
  );
  // the seed's viability rule with its numbers (each in the IC's direction), not only the boolean
  const vcfg = (d.config ?? DEFAULT_RESEARCH_CONFIG).viability;
  const viability = table(
    'viability',
    `Edge metrics and viability (seed rule: |IC| > ${vcfg.ic}, IC IR > ${vcfg.ic_ir}, IC trend > ${vcfg.ic_trend} per period, each in the IC's direction)`,
    ['feature', 'horizon', 'IC', 'IC IR', 'IC trend', 'IC rolling std', 'periods', 'turnover', 'IC vol low', 'IC vol high', 'viable'],
    best.map((c) => {
      const vol = (cell: string): number | null => r6(d.cells.find((x) => x.feature === c.feature && x.horizon === c.horizon && x.regime_dim === 'vol' && x.regime_cell === cell && x.status === 'ok')?.ic ?? null);
      return [c.feature, c.horizon, r6(c.ic), r6(c.ic_ir), r6(c.ic_trend), r6(c.ic_rolling_std), c.ic_periods, r6(c.turnover), vol('low'), vol('high'), c.viable === null ? 'n/a' : c.viable ? 'yes' : 'no'];
    }),
  );
  const cellsTable = table(
    'cells',
    'Unconditional cells',
    ['feature', 'horizon', 'n', 'effective N', 'IC', 't naive', 't NW', 'p', 'BH p', 'Holm p', 'hit rate', 'spread (bps)'],
    all.map((c) => [c.feature, c.horizon, c.n, r6(c.effective_n), r6(c.ic), r6(c.t_naive), r6(c.t_nw), r6(c.p_value), r6(c.p_bh), r6(c.p_holm), r6(c.hit_rate), bp(c.spread)]),
  );
  const verdictRows: Array<Array<string | number | null>> = [];
  for (const v of d.verdicts) {
    const rec = d.recorded[v.id] ?? 'n/a';
    verdictRows.push([v.id, v.title, v.verdict, rec, 'best cell', v.best ? `${v.best.feature}${v.target === 'relative' ? ' (relative)' : ''} ${v.best.horizon}: IC ${r6(v.best.ic)}, t ${r6(v.best.t_nw)}, BH p ${r6(v.best.p_bh)}` : 'none']);
    for (const c of v.checks) verdictRows.push([v.id, '', '', '', `${c.name}: ${c.status}`, c.reason]);
  }
  const differs = d.verdicts.filter((v) => d.recorded[v.id] !== undefined && d.recorded[v.id] !== v.verdict).map((v) => v.id);
  const verdictBlocks: Block[] = [
    table('verdicts', 'Hypotheses H1-H6: verdict and each criterion', ['id', 'hypothesis', 'verdict (recomputed)', 'verdict (recorded)', 'criterion', 'numbers'], verdictRows),
    text(
      differs.length
        ? `The recomputed verdict of ${differs.join(', ')} differs from the one the run recorded: ${d.config_recorded ? differs.map((id) => `${id}: ${whyDiffers(d, id)}`).join('; ') : `the run used a config other than the defaults (config hash ${d.config_hash.slice(0, 12)}; ${d.config_invalid ? `its recorded config does not validate now: ${d.config_invalid}` : 'this run did not record its config'}) or the specs changed`}; the recorded verdict is the run's.`
        : `Verdicts recomputed from the stored cells with the specs the run used (shipped, or kept in hypotheses/versions/) and ${d.config_recorded ? "the run's config (recorded in the ledger)" : 'the default config'}; they agree with what the run recorded in the ledger.`,
    ),
  ];
  const st = d.settlement;
  const measures = ['pre_perp', 'post_perp', 'pre_spot', 'post_spot', 'pre_rel', 'post_rel', 'pre_far_perp', 'post_far_perp'];
  const row = (kind: string, m: string) => st?.rows.find((r) => r.kind === kind && r.rate_sign === 'all' && r.measure === m);
  const settlementBlocks: Block[] = st
    ? [
        text(`${st.settlements} settlements on ${st.bar_timeframe} bars; near window ${st.near_minutes} min, far ${st.far_minutes} min; ${d.settlement_note}. perpkit's study stores window means, not the minute-by-minute path: bars are the mean move per window, whiskers its 95% interval (clustered by event time).`),
        chart<Chart>({
          id: 'settlement',
          title: 'Settlement event study: mean move around settlements vs placebo times (bps)',
          kind: 'bar',
          data: {
            categories: measures,
            series: [
              { name: 'settlements', values: measures.map((m) => bp(row('settlement', m)?.mean ?? null)) },
              { name: 'placebo', values: measures.map((m) => bp(row('placebo', m)?.mean ?? null)) },
            ],
            errors: measures.map((m) => {
              const r = row('settlement', m);
              if (!r || r.mean === null || r.t === null || r.t === 0) return { lo: null, hi: null };
              const se = Math.abs(r.mean / r.t);
              return { lo: bp(r.mean - 1.96 * se), hi: bp(r.mean + 1.96 * se) };
            }),
            y_unit: 'bps',
          },
        }),
        table('settlement', 'Event study rows', ['kind', 'rate sign', 'measure', 'events', 'mean (bps)', 't', 'p'], st.rows.map((r) => [r.kind, r.rate_sign, r.measure, r.events, bp(r.mean), r6(r.t), r6(r.p_value)])),
      ]
    : [text(`No settlement event study: ${d.settlement_note}.`)];
  return [
    { id: 'ic-horizon', title: 'IC by horizon per family', blocks: [...icBlocks, cellsTable] },
    { id: 'ic-regime', title: 'IC by regime', blocks: regimeBlocks },
    { id: 'ic-asset', title: 'IC by asset', blocks: assetBlocks },
    { id: 'decay', title: 'Decay', blocks: decayBlocks },
    { id: 'buckets', title: 'Magnitude buckets', blocks: bucketBlocks.length ? bucketBlocks : [text('No bucket statistics stored.')] },
    { id: 'sign-stability', title: 'Sign stability', blocks: signBlocks },
    { id: 'incrementality', title: 'Incrementality and viability', blocks: [incr, viability] },
    { id: 'verdicts', title: 'Verdicts', blocks: verdictBlocks },
    { id: 'settlement', title: 'Settlement event study', blocks: settlementBlocks },
  ];
}

export function researchReport(d: ResearchData, ledger: LedgerSummary, generatedAt: string, version: string): Report {
  const tested = d.cells.filter((c) => c.p_value !== null).length;
  // significance at the levels the run used (its recorded config; the defaults for older runs)
  const cfg = d.config ?? DEFAULT_RESEARCH_CONFIG;
  const bh = d.cells.filter((c) => c.p_bh !== null && c.p_bh <= cfg.fdr).length;
  const holm = d.cells.filter((c) => c.p_holm !== null && c.p_holm <= cfg.fwer).length;
  const pct = (x: number): string => `${r6(x * 100)}%`;
  const args = d.command_args && typeof d.command_args === 'object' ? Object.entries(d.command_args as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null && v !== false) : [];
  return {
    schema: REPORT_SCHEMA,
    kind: 'research',
    title: `Research ${d.run_id}: ${d.split}/${d.segment} (${d.venue}, ${d.timeframe})`,
    generated_at: generatedAt,
    perpkit_version: version,
    run_card: {
      run_id: d.run_id,
      kind: 'research',
      command: `perpkit research --split ${d.split} --segment ${d.segment}${args.length ? ` (${args.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ')})` : ''}`,
      created_at: d.created_at,
      duration_ms: null,
      strategy: null,
      strategy_hash: null,
      spec_hashes: d.spec_hashes,
      config_hash: d.config_hash,
      config: { cells: d.cells.length, tested, round_trip_cost: d.round_trip_cost },
      split: d.split,
      segment: d.segment,
      window: null,
      data_hashes: d.data_hashes,
      code_version: null,
      seed: null,
      ledger: { trials: ledger.trials, evaluations: ledger.evaluations, research_cells: ledger.research_cells, unseals: ledger.unseals },
    },
    honesty: {
      sharpe: { sharpe: null, observations: 0, periods_per_year: null, psr: null, dsr: null, trials: Math.max(1, ledger.research_cells), trials_sharpe_variance: null, variance_source: 'n/a: a research run tests ICs, not a strategy', expected_max_sharpe: null },
      pbo: null,
      warnings: [],
      expectations: [],
      cost_stress: null,
      funding_share: null,
      test_segment: { used: d.segment === 'test', times_opened: ledger.unseals },
      notes: [
        `This run tested ${tested} cells; ${bh} are significant after Benjamini-Hochberg (FDR ${pct(cfg.fdr)}), ${holm} after Holm (family-wise ${pct(cfg.fwer)}). The ledger holds ${ledger.research_cells} research cells tested in all.`,
        'Deflated Sharpe, PSR, the §10.3 signs and the §12.2 table judge a strategy: they appear on backtest and optimisation reports. Here multiple testing is controlled by BH/Holm across every cell of the run.',
        ...(d.segment === 'test' ? [`The sealed test segment was read (reason: ${d.unseal_reason ?? 'n/a'}); it has been opened ${ledger.unseals} time(s).`] : []),
      ],
    },
    metrics: {
      cells_total: d.cells.length,
      cells_tested: tested,
      cells_insufficient: d.cells.filter((c) => c.status === 'insufficient').length,
      bh_significant: bh,
      holm_significant: holm,
      verdicts: Object.fromEntries(d.verdicts.map((v) => [v.id, v.verdict])),
    },
    sections: researchSections(d),
  };
}
