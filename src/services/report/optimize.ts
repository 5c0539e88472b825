/**
 * The optimisation tear sheet, read against docs/optimize-output.md: <data-dir>/optimize/<run-id>/
 * summary.json (schema perpkit.optimize/1) and cells, windows, equity, cost_stress and capacity
 * Parquet beside it. The honesty panel takes the optimisation's own §10.3 signs, §12.2 table, DSR
 * and PBO when the summary has them, and computes them from the out-of-sample numbers when not.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceContext } from '../../domain/context.js';
import { isSlug } from '../../domain/datasets.js';
import { missingError, usageError, validationError } from '../../domain/errors.js';
import { histogramBins } from './charts.js';
import { chart, columns, fpct, r6, readJson, table, text } from './common.js';
import { minMaxIndices, pick, roundSig } from './downsample.js';
import { classifyExpectation, expectationTable, sampleVariance, sharpePanel, warningSigns, type ExpectationMetric } from './honesty.js';
import type { LedgerSummary } from './ledger.js';
import type { Block, Chart, Honesty, Report, Section } from './schema.js';

/** perpkit optimize's names of the seed §10.3 signs -> the honesty panel's (src/services/report/honesty.ts) */
const OPTIMIZE_SIGN_NAMES: Record<string, string> = {
  max_drawdown_below_5pct: 'max_drawdown_below_5pct_multiyear',
  hit_rate_above_60pct_trend: 'hit_rate_above_60_trend',
  boundary_optima: 'params_at_boundary',
  unstable_parameters: 'params_unstable',
  concentrated_periods: 'period_dependence',
  single_event_dependence: 'event_curve_fit',
};
const EXTRA_SIGN_LABELS: Record<string, string> = {
  pbo_above_0_5: 'Probability of backtest overfitting above 0.5',
  dsr_not_significant: 'Deflated Sharpe ratio not significant (below 0.95)',
};
import { REPORT_SCHEMA } from './schema.js';

export interface OptimizeSummary {
  schema: string;
  run_id: string;
  created_at?: string;
  code_version?: string;
  command?: string;
  strategy?: { spec?: string; name?: string; family_hash?: string };
  objective?: string;
  scheme?: Record<string, unknown>;
  grid?: Record<string, Array<number | string | boolean>>;
  n_windows?: number;
  n_cells?: number;
  windows?: Array<{
    window: number;
    train_start?: string;
    train_end?: string;
    test_start?: string;
    test_end?: string;
    chosen_cell?: number;
    chosen_params?: Record<string, unknown>;
    is_objective?: number | null;
    oos_objective?: number | null;
    is_sharpe?: number | null;
    oos_sharpe?: number | null;
    on_boundary?: boolean;
    neighbour_ratio?: number | null;
  }>;
  oos?: { sharpe?: number | null; sortino?: number | null; total_return?: number | null; max_drawdown?: number | null; observations?: number; periods_per_year?: number; trades?: number; hit_rate?: number | null; cagr?: number | null; skewness?: number | null; kurtosis?: number | null };
  dsr?: { sharpe?: number | null; psr?: number | null; dsr?: number | null; trials?: number; trials_sharpe_variance?: number | null; expected_max_sharpe?: number | null } | null;
  pbo?: { pbo: number | null; logits?: number[]; prob_oos_loss?: number | null; blocks?: number } | null;
  stability?: { params?: Record<string, { values_by_window?: unknown[]; distinct?: number; relative_range?: number | null }>; boundary_share?: number | null; sharp_peak_windows?: number[] };
  warnings?: Array<{ sign: string; fired: boolean | null; value?: number | null; detail?: string }>;
  expectations?: Array<{ metric: string; value: number | null; class: string }>;
  cost_stress?: { break_even_bps?: number | null; gross_edge_per_trade_bps?: number | null; round_trip_cost_bps?: number | null } | null;
  capacity?: { half_edge_notional?: number | null } | null;
  funding?: { pnl_with_funding?: number | null; pnl_without_funding?: number | null; funding_share?: number | null } | null;
  outputs?: Record<string, { rows: number; sha256: string }>;
}

export interface OptimizeData {
  run_id: string;
  summary: OptimizeSummary;
  cells: Array<{ window: number; cell: number; params: Record<string, unknown>; part: string; objective: number | null; sharpe: number | null }>;
  equity: { time: number[]; window: number[]; equity: number[]; ret: number[] };
  cost_stress: Array<{ fee_tier: string; slippage_mult: number; net_sharpe: number | null; net_return: number | null; round_trip_bps: number | null }> | null;
  capacity: Array<{ multiple: number; notional: number; net_return: number | null; net_sharpe: number | null }> | null;
}

export async function loadOptimize(ctx: ServiceContext, root: string, runId: string): Promise<OptimizeData> {
  if (!isSlug(runId)) throw usageError(`${JSON.stringify(runId)} is not an optimisation run id`);
  const dir = join(root, 'optimize', runId);
  const sp = join(dir, 'summary.json');
  if (!existsSync(sp)) throw missingError(`no optimisation run ${runId} (${dir})`, { hint: `list them with "ls ${join(root, 'optimize')}" or use --latest` });
  const summary = readJson<OptimizeSummary>(sp);
  if (summary.schema !== 'perpkit.optimize/1') throw validationError(`${sp} has schema ${JSON.stringify(summary.schema)}, expected perpkit.optimize/1`, { hint: 'this perpkit reads perpkit.optimize/1 summaries' });
  const pq = (name: string): string | null => {
    const p = join(dir, `${name}.parquet`);
    return existsSync(p) ? p : null;
  };
  const num = (v: unknown): number | null => (v === null || v === undefined || !Number.isFinite(Number(v)) ? null : Number(v));
  const cellsSrc = pq('cells');
  const cells: OptimizeData['cells'] = [];
  if (cellsSrc) {
    const c = await columns(ctx, 'report/optimize_cells', { path: cellsSrc });
    for (let i = 0; i < (c[0]?.length ?? 0); i++) {
      let params: Record<string, unknown> = {};
      try {
        params = JSON.parse(String(c[2]![i])) as Record<string, unknown>;
      } catch {
        params = {};
      }
      cells.push({ window: Number(c[0]![i]), cell: Number(c[1]![i]), params, part: String(c[3]![i]), objective: num(c[4]![i]), sharpe: num(c[5]![i]) });
    }
  }
  const eqSrc = pq('equity');
  const equity: OptimizeData['equity'] = { time: [], window: [], equity: [], ret: [] };
  if (eqSrc) {
    const e = await columns(ctx, 'report/optimize_equity', { path: eqSrc });
    equity.time = (e[0] ?? []).map(Number);
    equity.window = (e[1] ?? []).map(Number);
    equity.equity = (e[2] ?? []).map(Number);
    equity.ret = (e[3] ?? []).map(Number);
  }
  const csSrc = pq('cost_stress');
  const cost = csSrc
    ? await columns(ctx, 'report/optimize_cost_stress', { path: csSrc }).then((c) =>
        (c[0] ?? []).map((_, i) => ({ fee_tier: String(c[0]![i]), slippage_mult: Number(c[1]![i]), net_sharpe: num(c[2]![i]), net_return: num(c[3]![i]), round_trip_bps: num(c[4]![i]) })),
      )
    : null;
  const capSrc = pq('capacity');
  const capacity = capSrc
    ? await columns(ctx, 'report/optimize_capacity', { path: capSrc }).then((c) =>
        (c[0] ?? []).map((_, i) => ({ multiple: Number(c[0]![i]), notional: Number(c[1]![i]), net_return: num(c[2]![i]), net_sharpe: num(c[3]![i]) })),
      )
    : null;
  return { run_id: runId, summary, cells, equity, cost_stress: cost, capacity };
}

const mean = (xs: Array<number | null | undefined>): number | null => {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
};

export function optimizeHonesty(d: OptimizeData, ledger: LedgerSummary): Honesty {
  const s = d.summary;
  const oos = s.oos ?? {};
  const trials = Math.max(1, s.dsr?.trials ?? 0, ledger.trials);
  const own = sharpePanel({
    sharpe: oos.sharpe ?? null,
    observations: oos.observations ?? 0,
    periods_per_year: oos.periods_per_year ?? null,
    skewness: oos.skewness ?? null,
    kurtosis: oos.kurtosis ?? null,
    trials,
    trials_sharpe_variance: s.dsr?.trials_sharpe_variance ?? sampleVariance(d.cells.filter((c) => c.part === 'train').map((c) => c.sharpe)),
  });
  const sharpe = s.dsr && s.dsr.dsr !== undefined
    ? { ...own, psr: s.dsr.psr ?? own.psr, dsr: s.dsr.dsr ?? own.dsr, trials: s.dsr.trials ?? trials, expected_max_sharpe: s.dsr.expected_max_sharpe ?? own.expected_max_sharpe, variance_source: 'the optimisation summary (every cell x window tried)' }
    : own;
  const windows = s.windows ?? [];
  const rel = Object.values(s.stability?.params ?? {}).map((p) => p.relative_range ?? null).filter((x): x is number => x !== null);
  const computed = warningSigns({
    sharpe: oos.sharpe ?? null,
    max_drawdown: oos.max_drawdown ?? null,
    hit_rate: oos.hit_rate ?? null,
    span_days: d.equity.time.length > 1 ? (d.equity.time[d.equity.time.length - 1]! - d.equity.time[0]!) / 86_400_000 : 0,
    trend_following: s.strategy?.name === 'regime' ? true : null,
    parameters: s.grid ? Object.keys(s.grid).length : null,
    monthly_pnl: [],
    daily_pnl: [],
    is_sharpe: mean(windows.map((w) => w.is_sharpe)),
    oos_sharpe: mean(windows.map((w) => w.oos_sharpe)),
    boundary_share: s.stability?.boundary_share ?? (windows.length ? windows.filter((w) => w.on_boundary).length / windows.length : null),
    param_relative_range: rel.length ? Math.max(...rel) : null,
  });
  // the summary's own signs win where it has them (perpkit optimize names six of them differently)
  const panelSign = (sign: string): string => OPTIMIZE_SIGN_NAMES[sign] ?? sign;
  const warnings = computed.map((w) => {
    const theirs = s.warnings?.find((x) => panelSign(x.sign) === w.sign);
    return theirs ? { ...w, fired: theirs.fired, value: theirs.value ?? w.value, detail: theirs.detail ?? w.detail } : w;
  });
  for (const x of s.warnings ?? []) {
    if (!warnings.some((w) => w.sign === panelSign(x.sign))) warnings.push({ sign: x.sign, label: EXTRA_SIGN_LABELS[x.sign] ?? x.sign.replace(/_/g, ' '), fired: x.fired, value: x.value ?? null, detail: x.detail ?? '' });
  }
  const trades = oos.trades ?? null;
  const days = d.equity.time.length > 1 ? (d.equity.time[d.equity.time.length - 1]! - d.equity.time[0]!) / 86_400_000 : 0;
  let expectations = expectationTable({ sharpe: oos.sharpe ?? null, max_drawdown: oos.max_drawdown ?? null, hit_rate: oos.hit_rate ?? null, annual_return: oos.cagr ?? null, trades_per_day: trades !== null && days > 0 ? trades / days : null });
  if (s.expectations?.length) {
    expectations = expectations.map((e) => {
      const theirs = s.expectations!.find((x) => x.metric === e.metric);
      if (!theirs || theirs.value === null) return e;
      return { ...e, value: theirs.value, display: String(r6(theirs.value)), class: classifyExpectation(e.metric as ExpectationMetric, theirs.value) };
    });
  }
  const cs = s.cost_stress;
  return {
    sharpe,
    pbo: s.pbo ? { pbo: s.pbo.pbo ?? null, blocks: s.pbo.blocks ?? null } : null,
    warnings,
    expectations,
    cost_stress: cs
      ? { break_even_cost_multiple: cs.break_even_bps && cs.round_trip_cost_bps ? cs.break_even_bps / cs.round_trip_cost_bps : null, gross_edge_bps: cs.gross_edge_per_trade_bps ?? null, round_trip_cost_bps: cs.round_trip_cost_bps ?? null, break_even_bps: cs.break_even_bps ?? null, source: 'the optimisation summary' }
      : null,
    funding_share: s.funding?.funding_share ?? null,
    test_segment: { used: /unseal|--segment test/.test(s.command ?? ''), times_opened: ledger.unseals },
    notes: [
      `Out-of-sample numbers: the stitched walk-forward test windows. Trials: ${sharpe.trials} (the optimisation's cells x windows, or the ledger's count if larger).`,
      ...(s.pbo ? [] : ['No PBO in the summary (CSCV needs the per-cell return matrix).']),
    ],
  };
}

export function optimizeSections(d: OptimizeData): Section[] {
  const s = d.summary;
  const windows = s.windows ?? [];
  const paramNames = Object.keys(s.grid ?? {});
  const wfTable = table(
    'windows',
    'Walk-forward windows and the parameters chosen',
    ['window', 'train', 'test', ...paramNames, 'IS objective', 'OOS objective', 'IS Sharpe', 'OOS Sharpe', 'on boundary', 'neighbour ratio'],
    windows.map((w) => [
      w.window,
      `${(w.train_start ?? '').slice(0, 10)} -> ${(w.train_end ?? '').slice(0, 10)}`,
      `${(w.test_start ?? '').slice(0, 10)} -> ${(w.test_end ?? '').slice(0, 10)}`,
      ...paramNames.map((p) => {
        const v = w.chosen_params?.[p];
        return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : v === undefined ? null : JSON.stringify(v);
      }),
      r6(w.is_objective),
      r6(w.oos_objective),
      r6(w.is_sharpe),
      r6(w.oos_sharpe),
      w.on_boundary ?? null,
      r6(w.neighbour_ratio),
    ]),
  );
  const isOos = chart<Chart>({
    id: 'is-oos',
    title: `In-sample vs out-of-sample ${s.objective ?? 'objective'} per window`,
    kind: 'bar',
    data: { categories: windows.map((w) => `w${w.window}`), series: [{ name: 'in-sample', values: windows.map((w) => r6(w.is_objective)) }, { name: 'out-of-sample', values: windows.map((w) => r6(w.oos_objective)) }], errors: null, y_unit: '' },
  });
  const wfBlocks: Block[] = [wfTable, isOos];
  const e = d.equity;
  if (e.time.length) {
    const idx = minMaxIndices(e.time.length, [e.equity]);
    wfBlocks.push(chart<Chart>({ id: 'oos-equity', title: 'Stitched out-of-sample equity', kind: 'line', data: { x_type: 'time', x: pick(e.time, idx), series: [{ name: 'OOS equity', values: pick(e.equity, idx).map((v) => roundSig(v, 8)) }], y_unit: '', downsampled_from: e.time.length > idx.length ? e.time.length : null } }));
  }
  // parameter heatmap: the objective over the grid (first two axes), mean over windows of the train part
  const heatBlocks: Block[] = [];
  const train = d.cells.filter((c) => c.part === 'train');
  if (paramNames.length >= 1 && train.length) {
    const [px, py] = [paramNames[0]!, paramNames[1]];
    const xv = (s.grid?.[px] ?? []).map(String);
    const yv = py ? (s.grid?.[py] ?? []).map(String) : ['all'];
    const acc = new Map<string, number[]>();
    for (const c of train) {
      if (c.objective === null) continue;
      const k = `${String(c.params[px])}|${py ? String(c.params[py]) : 'all'}`;
      let a = acc.get(k);
      if (!a) acc.set(k, (a = []));
      a.push(c.objective);
    }
    const cells: Array<[number, number, number | null]> = [];
    xv.forEach((x, xi) => yv.forEach((y, yi) => {
      const a = acc.get(`${x}|${y}`);
      cells.push([xi, yi, a && a.length ? r6(a.reduce((p, q) => p + q, 0) / a.length) : null]);
    }));
    heatBlocks.push(chart<Chart>({ id: 'param-heatmap', title: `In-sample ${s.objective ?? 'objective'} over the grid: ${px}${py ? ` x ${py}` : ''} (mean over windows${paramNames.length > 2 ? ' and the other axes' : ''})`, kind: 'heatmap', data: { x: xv.map((v) => `${px}=${v}`), y: yv.map((v) => (py ? `${py}=${v}` : v)), cells, unit: '' } }));
  } else heatBlocks.push(text('No cells.parquet: no parameter heatmap.'));
  const logits = s.pbo?.logits ?? [];
  const pboBlocks: Block[] = logits.length
    ? [
        chart<Chart>({ id: 'pbo-logits', title: `PBO: logits of the in-sample winner's out-of-sample rank (${logits.length} CSCV splits; PBO = share <= 0 = ${fpct(s.pbo?.pbo ?? null, 1)})`, kind: 'histogram', data: { bins: histogramBins(logits, 20).map((b) => ({ lo: r6(b.lo) ?? 0, hi: r6(b.hi) ?? 0, count: b.count })), x_unit: 'logit' } }),
      ]
    : [text('No PBO logits in the summary.')];
  const costBlocks: Block[] = [];
  if (d.cost_stress?.length) {
    costBlocks.push(table('cost-stress', 'Cost stress', ['fee tier', 'slippage x', 'round trip (bps)', 'net Sharpe', 'net return'], d.cost_stress.map((c) => [c.fee_tier, c.slippage_mult, r6(c.round_trip_bps), r6(c.net_sharpe), fpct(c.net_return)])));
  }
  if (s.cost_stress) costBlocks.push(text(`Break-even round-trip cost ${r6(s.cost_stress.break_even_bps ?? null) ?? 'n/a'} bps against ${r6(s.cost_stress.round_trip_cost_bps ?? null) ?? 'n/a'} bps paid; gross edge per trade ${r6(s.cost_stress.gross_edge_per_trade_bps ?? null) ?? 'n/a'} bps.`));
  if (d.capacity?.length) {
    costBlocks.push(chart<Chart>({ id: 'capacity', title: 'Capacity: net return against notional', kind: 'line', data: { x_type: 'category', x: d.capacity.map((c) => String(r6(c.notional))), series: [{ name: 'net return, %', values: d.capacity.map((c) => (c.net_return === null ? null : r6(c.net_return * 100))) }, { name: 'net Sharpe', values: d.capacity.map((c) => r6(c.net_sharpe)) }], y_unit: '', downsampled_from: null } }));
  }
  if (s.capacity?.half_edge_notional) costBlocks.push(text(`Half the edge is gone at a notional of ${r6(s.capacity.half_edge_notional)}.`));
  if (!costBlocks.length) costBlocks.push(text('The optimisation ran without --cost-stress: no cost-stress table or capacity curve.'));
  const stab = s.stability?.params ?? {};
  const stabBlocks: Block[] = [
    table('stability', 'Parameter stability across windows', ['parameter', 'values by window', 'distinct', 'relative range'], Object.entries(stab).map(([k, v]) => [k, JSON.stringify(v.values_by_window ?? []), v.distinct ?? null, r6(v.relative_range ?? null)])),
  ];
  const oos = s.oos ?? {};
  const summaryTable = table('oos', 'Out-of-sample (stitched test windows)', ['metric', 'value'], [
    ['objective', s.objective ?? 'n/a'],
    ['windows x cells', `${s.n_windows ?? windows.length} x ${s.n_cells ?? 'n/a'}`],
    ['Sharpe', r6(oos.sharpe ?? null)],
    ['Sortino', r6(oos.sortino ?? null)],
    ['total return', fpct(oos.total_return ?? null)],
    ['max drawdown', fpct(oos.max_drawdown ?? null)],
    ['hit rate', fpct(oos.hit_rate ?? null)],
    ['trades', oos.trades ?? null],
    ['observations', oos.observations ?? null],
  ]);
  return [
    { id: 'walk-forward', title: 'Walk-forward windows', blocks: [summaryTable, ...wfBlocks] },
    { id: 'param-heatmap', title: 'Parameter heatmap', blocks: heatBlocks },
    { id: 'stability', title: 'Parameter stability', blocks: stabBlocks },
    { id: 'pbo', title: 'Probability of backtest overfitting', blocks: pboBlocks },
    { id: 'cost-stress', title: 'Cost stress and capacity', blocks: costBlocks },
  ];
}

export function optimizeReport(d: OptimizeData, ledger: LedgerSummary, generatedAt: string, version: string): Report {
  const s = d.summary;
  return {
    schema: REPORT_SCHEMA,
    kind: 'optimize',
    title: `Optimisation ${d.run_id}: ${s.strategy?.name ?? 'strategy'} (${s.objective ?? 'objective'}, ${s.n_windows ?? (s.windows ?? []).length} windows x ${s.n_cells ?? '?'} cells)`,
    generated_at: generatedAt,
    perpkit_version: version,
    run_card: {
      run_id: d.run_id,
      kind: 'optimize',
      command: s.command ?? 'perpkit optimize',
      created_at: s.created_at ?? null,
      duration_ms: null,
      strategy: s.strategy?.name ?? null,
      strategy_hash: s.strategy?.family_hash ?? null,
      spec_hashes: {},
      config_hash: null,
      config: { scheme: s.scheme ?? null, grid: s.grid ?? null, objective: s.objective ?? null },
      split: null,
      segment: null,
      window: null,
      data_hashes: Object.fromEntries(Object.entries(s.outputs ?? {}).map(([k, v]) => [k, v.sha256])),
      code_version: s.code_version ?? null,
      seed: null,
      ledger: { trials: ledger.trials, evaluations: ledger.evaluations, research_cells: ledger.research_cells, unseals: ledger.unseals },
    },
    honesty: optimizeHonesty(d, ledger),
    metrics: { ...(s.oos ?? {}), n_windows: s.n_windows ?? null, n_cells: s.n_cells ?? null },
    sections: optimizeSections(d),
  };
}
