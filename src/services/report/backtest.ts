/**
 * The backtest tear sheet: reads runs/<run-id>/ (manifest.json, metrics.json, equity, fills,
 * positions, funding_payments Parquet; columns as src/services/backtest.ts writes them) and builds
 * the report document. Every number is computed on the full series; only the chart series are
 * downsampled.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceContext } from '../../domain/context.js';
import { isSlug } from '../../domain/datasets.js';
import { missingError, usageError } from '../../domain/errors.js';
import type { BacktestResult, Manifest, RegimeRow } from '../backtest.js';
import { drawdownEpisodes } from '../../stats/returns.js';
import { histogramBins } from './charts.js';
import { chart, columns, fpct, fx, MONTHS, r6, readJson, table, text } from './common.js';
import { minMaxIndices, pick, roundSig } from './downsample.js';
import { costStressFromRun, expectationTable, sampleVariance, sharpePanel, warningSigns } from './honesty.js';
import type { LedgerSummary } from './ledger.js';
import type { Block, Chart, Honesty, Report, RunCard, Section } from './schema.js';
import { REPORT_SCHEMA } from './schema.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface BacktestData {
  run_id: string;
  manifest: Manifest;
  metrics: BacktestResult['metrics'];
  regimes: RegimeRow[];
  engine_ms: number | null;
  equity: { time: number[]; equity: number[]; gross: number[]; net: number[]; state: string[] };
  fills: { time: number[]; symbol: string[]; qty: number[]; price: number[]; fee: number[]; slippage: number[]; liquidation: number[]; realised: number[] };
  positions: { time: number[]; symbol: string[]; qty: number[] };
  funding: { time: number[]; kind: string[]; rate: Array<number | null>; amount: number[] };
}

export function runDir(root: string, runId: string): string {
  if (!isSlug(runId)) throw usageError(`${JSON.stringify(runId)} is not a run id`, { hint: 'run ids look like 20260101T000000Z-1a2b3c4d (ls <data-dir>/runs)' });
  const dir = join(root, 'runs', runId);
  if (!existsSync(join(dir, 'manifest.json'))) throw missingError(`no backtest run ${runId} (${dir})`, { hint: `list them with "ls ${join(root, 'runs')}" or use --latest` });
  return dir;
}

const nums = (a: unknown[] | undefined): number[] => (a ?? []).map((v) => (typeof v === 'number' ? v : v === null ? Number.NaN : Number(v)));
const strs = (a: unknown[] | undefined): string[] => (a ?? []).map((v) => String(v ?? ''));

export async function loadBacktest(ctx: ServiceContext, root: string, runId: string): Promise<BacktestData> {
  const dir = runDir(root, runId);
  const manifest = readJson<Manifest>(join(dir, 'manifest.json'));
  const m = readJson<{ metrics: BacktestResult['metrics']; regimes: RegimeRow[]; engine_ms?: number }>(join(dir, 'metrics.json'));
  const pq = (name: string): string => {
    const p = join(dir, `${name}.parquet`);
    if (!existsSync(p)) throw missingError(`run ${runId} has no ${name}.parquet`, { hint: 'the run folder is incomplete; re-run the backtest' });
    return p;
  };
  const e = await columns(ctx, 'report/backtest_equity', { path: pq('equity') });
  const f = await columns(ctx, 'report/backtest_fills', { path: pq('fills') });
  const p = await columns(ctx, 'report/backtest_positions', { path: pq('positions') });
  const fu = await columns(ctx, 'report/backtest_funding', { path: pq('funding_payments') });
  return {
    run_id: runId,
    manifest,
    metrics: m.metrics,
    regimes: m.regimes ?? [],
    engine_ms: m.engine_ms ?? null,
    equity: { time: nums(e[0]), equity: nums(e[1]), gross: nums(e[2]), net: nums(e[3]), state: strs(e[4]) },
    fills: { time: nums(f[0]), symbol: strs(f[1]), qty: nums(f[2]), price: nums(f[3]), fee: nums(f[4]), slippage: nums(f[5]), liquidation: nums(f[6]), realised: nums(f[7]) },
    positions: { time: nums(p[0]), symbol: strs(p[1]), qty: nums(p[2]) },
    funding: { time: nums(fu[0]), kind: strs(fu[1]), rate: nums(fu[2]).map((v) => (Number.isFinite(v) ? v : null)), amount: nums(fu[3]) },
  };
}

/** Equity at the end of each calendar bucket (UTC), with the bucket key. */
function lastPerBucket(time: number[], values: number[], key: (t: number) => string): Array<{ key: string; value: number; time: number }> {
  const out: Array<{ key: string; value: number; time: number }> = [];
  for (let i = 0; i < time.length; i++) {
    const k = key(time[i]!);
    const last = out[out.length - 1];
    if (last && last.key === k) {
      last.value = values[i]!;
      last.time = time[i]!;
    } else out.push({ key: k, value: values[i]!, time: time[i]! });
  }
  return out;
}

const monthKey = (t: number): string => new Date(t).toISOString().slice(0, 7);
const dayKey = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** P&L per calendar bucket: the change of the bucket's closing equity from the previous close (the first from the initial equity). */
export function pnlPerBucket(time: number[], equity: number[], initial: number, key: (t: number) => string): Array<{ key: string; pnl: number; ret: number }> {
  const closes = lastPerBucket(time, equity, key);
  let prev = initial;
  return closes.map((c) => {
    const r = { key: c.key, pnl: c.value - prev, ret: prev > 0 ? c.value / prev - 1 : 0 };
    prev = c.value;
    return r;
  });
}

/** Equity resampled to the decision bar of the metrics (the last row of each bar) and its returns. */
export function barReturns(time: number[], equity: number[], initial: number, barMs: number): { time: number[]; equity: number[]; ret: number[] } {
  const closes = lastPerBucket(time, equity, (t) => String(Math.floor(t / barMs)));
  const eq = closes.map((c) => c.value);
  const ret: number[] = [];
  let prev = initial;
  for (const v of eq) {
    ret.push(prev > 0 ? v / prev - 1 : 0);
    prev = v;
  }
  return { time: closes.map((c) => c.time), equity: eq, ret };
}

/** Rolling annualised Sharpe and volatility over `w` returns (null until the window fills). */
export function rolling(ret: number[], w: number, ppy: number): { sharpe: Array<number | null>; vol: Array<number | null> } {
  const sharpe: Array<number | null> = [];
  const vol: Array<number | null> = [];
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < ret.length; i++) {
    s += ret[i]!;
    s2 += ret[i]! * ret[i]!;
    if (i >= w) {
      s -= ret[i - w]!;
      s2 -= ret[i - w]! * ret[i - w]!;
    }
    if (i < w - 1) {
      sharpe.push(null);
      vol.push(null);
      continue;
    }
    const m = s / w;
    const v = Math.max(0, (s2 - w * m * m) / (w - 1));
    const sd = Math.sqrt(v);
    vol.push(sd * Math.sqrt(ppy));
    sharpe.push(sd > 1e-15 ? (m / sd) * Math.sqrt(ppy) : null);
  }
  return { sharpe, vol };
}

/** Flat -> open -> flat spells per symbol: holding times in hours. */
export function holdingHours(p: BacktestData['positions']): number[] {
  const open = new Map<string, number>();
  const out: number[] = [];
  for (let i = 0; i < p.time.length; i++) {
    const s = p.symbol[i]!;
    const q = p.qty[i]!;
    if (q !== 0 && !open.has(s)) open.set(s, p.time[i]!);
    else if (q === 0 && open.has(s)) {
      out.push((p.time[i]! - open.get(s)!) / HOUR_MS);
      open.delete(s);
    }
  }
  return out;
}

/** Funding received (> 0) and paid (< 0, as a negative number), counting accruals, not the settlements of accruals. */
export function fundingSplit(f: BacktestData['funding']): { received: number; paid: number } {
  let received = 0;
  let paid = 0;
  for (let i = 0; i < f.amount.length; i++) {
    if (f.kind[i] === 'settlement' && f.rate[i] === null) continue;
    const a = f.amount[i]!;
    if (a > 0) received += a;
    else paid += a;
  }
  return { received, paid };
}

export interface BacktestFigures {
  span_days: number;
  traded_notional: number;
  trades_per_day: number | null;
  monthly: Array<{ key: string; pnl: number; ret: number }>;
  daily: Array<{ key: string; pnl: number; ret: number }>;
  funding: { received: number; paid: number };
  holding_hours: number[];
}

export function figures(d: BacktestData): BacktestFigures {
  const t = d.equity.time;
  const span = t.length > 1 ? (t[t.length - 1]! - t[0]!) / DAY_MS : 0;
  let notional = 0;
  for (let i = 0; i < d.fills.qty.length; i++) notional += Math.abs(d.fills.qty[i]! * d.fills.price[i]!);
  return {
    span_days: span,
    traded_notional: notional,
    trades_per_day: span > 0 ? d.fills.qty.length / span : null,
    monthly: pnlPerBucket(t, d.equity.equity, d.metrics.initial_equity, monthKey),
    daily: pnlPerBucket(t, d.equity.equity, d.metrics.initial_equity, dayKey),
    funding: fundingSplit(d.funding),
    holding_hours: holdingHours(d.positions),
  };
}

export function backtestHonesty(d: BacktestData, fig: BacktestFigures, ledger: LedgerSummary): Honesty {
  const m = d.metrics;
  const sharpe = sharpePanel({
    sharpe: m.sharpe,
    observations: m.observations,
    periods_per_year: m.periods_per_year,
    skewness: m.skewness,
    kurtosis: m.kurtosis,
    trials: Math.max(1, ledger.trials),
    trials_sharpe_variance: sampleVariance(ledger.sharpes),
  });
  const warnings = warningSigns({
    sharpe: m.sharpe,
    max_drawdown: m.max_drawdown,
    hit_rate: m.hit_rate,
    span_days: fig.span_days,
    trend_following: d.manifest.strategy.name === 'regime' ? true : null,
    parameters: Object.keys(d.manifest.strategy.params ?? {}).length,
    monthly_pnl: fig.monthly.map((x) => x.pnl),
    daily_pnl: fig.daily.map((x) => x.pnl),
    is_sharpe: null,
    oos_sharpe: null,
    boundary_share: null,
    param_relative_range: null,
  });
  const c = m.costs;
  return {
    sharpe,
    pbo: null,
    warnings,
    expectations: expectationTable({ sharpe: m.sharpe, max_drawdown: m.max_drawdown, hit_rate: m.hit_rate, annual_return: m.cagr, trades_per_day: fig.trades_per_day }),
    cost_stress: costStressFromRun({ pnl: m.pnl, fees: c.fees, slippage: c.slippage, liquidation_fees: c.liquidation_fees, traded_notional: fig.traded_notional }),
    funding_share: c.funding_share_of_pnl,
    test_segment: { used: d.manifest.segment === 'test', times_opened: ledger.unseals },
    notes: [
      'PBO needs an optimisation over a grid: a single backtest has none (see perpkit optimize).',
      `Deflated Sharpe deflates by the ${Math.max(1, ledger.trials)} strategy trial(s) in the ledger (every backtest, and each optimisation's cells).`,
      ...(d.manifest.segment === 'test' && ledger.unseals > 1 ? [`REPEATED LOOK: the sealed test segment of split ${d.manifest.split} has been opened ${ledger.unseals} times.`] : []),
    ],
  };
}

export function backtestRunCard(d: BacktestData, ledger: LedgerSummary): RunCard {
  const mf = d.manifest;
  const cmd = ['perpkit backtest', `--strategy ${mf.strategy.spec}`, `--split ${mf.split}`, `--segment ${mf.segment}`, ...(mf.config_path ? [`--config ${mf.config_path}`] : []), `--seed ${mf.seed}`];
  return {
    run_id: d.run_id,
    kind: 'backtest',
    command: cmd.join(' '),
    created_at: mf.created_at,
    duration_ms: d.engine_ms,
    strategy: `${mf.strategy.name} ${JSON.stringify(mf.strategy.params ?? {})}`,
    strategy_hash: mf.strategy.hash,
    spec_hashes: {},
    config_hash: null,
    config: mf.config,
    split: mf.split,
    segment: mf.segment,
    window: mf.window,
    data_hashes: mf.data_hashes ?? {},
    code_version: mf.code_version,
    seed: mf.seed,
    ledger: { trials: ledger.trials, evaluations: ledger.evaluations, research_cells: ledger.research_cells, unseals: ledger.unseals },
  };
}

/** The backtest sections of the page (also used by --compare for each run's curves). */
export function backtestSections(d: BacktestData, fig: BacktestFigures): Section[] {
  const m = d.metrics;
  const c = m.costs;
  const e = d.equity;
  const n = e.time.length;
  // equity net and gross of costs: add back the cumulative fees, slippage and liquidation fees paid so far
  const gross: number[] = new Array<number>(n);
  let j = 0;
  let cum = 0;
  for (let i = 0; i < n; i++) {
    while (j < d.fills.time.length && d.fills.time[j]! <= e.time[i]!) {
      cum += d.fills.fee[j]! + d.fills.slippage[j]!;
      j++;
    }
    gross[i] = e.equity[i]! + cum;
  }
  const dd: number[] = new Array<number>(n);
  let peak = -Infinity;
  for (let i = 0; i < n; i++) {
    peak = Math.max(peak, e.equity[i]!);
    dd[i] = peak > 0 ? (e.equity[i]! / peak - 1) * 100 : 0;
  }
  const idx = minMaxIndices(n, [e.equity, gross, dd]);
  const ds = n > idx.length ? n : null;
  const xs = pick(e.time, idx);
  const overview: Block[] = [
    table('metrics', 'Performance', ['metric', 'value'], [
      ['equity', `${fx(m.initial_equity, 2)} -> ${fx(m.final_equity, 2)}`],
      ['P&L', r6(m.pnl)],
      ['total return', fpct(m.total_return)],
      ['annual return (CAGR, 365 d)', fpct(m.cagr)],
      ['annual volatility', fpct(m.annual_volatility)],
      ['Sharpe (24/7)', r6(m.sharpe)],
      ['Sortino', r6(m.sortino)],
      ['Calmar', r6(m.calmar)],
      ['max drawdown', fpct(m.max_drawdown)],
      ['hit rate', fpct(m.hit_rate)],
      ['profit factor', r6(m.profit_factor)],
      ['turnover (x capital / year)', r6(m.turnover)],
      ['exposure (share of periods)', fpct(m.exposure)],
      ['fills', m.fills],
      ['avg holding (h)', r6(m.avg_holding_hours)],
      ['observations (bars)', m.observations],
    ]),
    chart<Chart>({
      id: 'equity',
      title: 'Equity: net, and gross of costs (fees, slippage, liquidation fees added back)',
      kind: 'line',
      data: { x_type: 'time', x: xs, series: [{ name: 'net', values: pick(e.equity, idx).map((v) => roundSig(v, 8)) }, { name: 'gross of costs', values: pick(gross, idx).map((v) => roundSig(v, 8)), dashed: true }], y_unit: '', downsampled_from: ds },
    }),
    chart<Chart>({ id: 'underwater', title: 'Drawdown (underwater), % below the running peak', kind: 'line', data: { x_type: 'time', x: xs, series: [{ name: 'drawdown', values: pick(dd, idx).map((v) => roundSig(v, 5)), area: true }], y_unit: '%', downsampled_from: ds } }),
  ];
  // monthly returns heatmap: years x months
  const years = [...new Set(fig.monthly.map((x) => x.key.slice(0, 4)))];
  const cells: Array<[number, number, number | null]> = fig.monthly.map((x) => [Number(x.key.slice(5, 7)) - 1, years.indexOf(x.key.slice(0, 4)), roundSig(x.ret * 100, 4)]);
  const monthly: Block[] = [chart<Chart>({ id: 'monthly', title: 'Monthly returns, %', kind: 'heatmap', data: { x: MONTHS, y: years, cells, unit: '%' } })];
  // rolling Sharpe and volatility on the decision bars
  const ppy = m.periods_per_year > 0 ? m.periods_per_year : 8760;
  const barMs = (365 * DAY_MS) / ppy;
  const br = barReturns(e.time, e.equity, m.initial_equity, barMs);
  const w = Math.max(10, Math.min(Math.round(30 * (DAY_MS / barMs)), Math.floor(br.ret.length / 4)));
  const roll = rolling(br.ret, w, ppy);
  const ri = minMaxIndices(br.time.length, [roll.sharpe, roll.vol]);
  const rds = br.time.length > ri.length ? br.time.length : null;
  const rollingBlocks: Block[] = [
    text(`Window: ${w} bars (${((w * barMs) / DAY_MS).toFixed(1)} days), annualised on a 24/7 calendar.`),
    chart<Chart>({ id: 'rolling-sharpe', title: 'Rolling Sharpe', kind: 'line', data: { x_type: 'time', x: pick(br.time, ri), series: [{ name: 'Sharpe', values: pick(roll.sharpe, ri).map((v) => roundSig(v, 4)) }], y_unit: '', downsampled_from: rds } }),
    chart<Chart>({ id: 'rolling-vol', title: 'Rolling volatility, % a year', kind: 'line', data: { x_type: 'time', x: pick(br.time, ri), series: [{ name: 'volatility', values: pick(roll.vol, ri).map((v) => (v === null ? null : roundSig(v * 100, 4))) }], y_unit: '%', downsampled_from: rds } }),
  ];
  // exposure and leverage
  const lev = e.gross.map((g, i) => (e.equity[i]! > 0 ? g / e.equity[i]! : 0));
  const net = e.net.map((g, i) => (e.equity[i]! > 0 ? g / e.equity[i]! : 0));
  const li = minMaxIndices(n, [lev, net]);
  const exposure: Block[] = [
    chart<Chart>({ id: 'exposure', title: 'Gross leverage and net exposure (x equity)', kind: 'line', data: { x_type: 'time', x: pick(e.time, li), series: [{ name: 'gross leverage', values: pick(lev, li).map((v) => roundSig(v, 4)) }, { name: 'net exposure', values: pick(net, li).map((v) => roundSig(v, 4)) }], y_unit: 'x', downsampled_from: n > li.length ? n : null } }),
  ];
  // cost attribution waterfall
  const priceP = m.pnl - c.funding + c.fees + c.slippage + c.liquidation_fees;
  const costs: Block[] = [
    chart<Chart>({
      id: 'costs',
      title: 'Cost attribution: from P&L at reference prices to net P&L',
      kind: 'waterfall',
      data: {
        steps: [
          { label: 'P&L at reference prices', value: r6(priceP) ?? 0 },
          { label: 'fees', value: r6(-c.fees) ?? 0 },
          { label: 'slippage', value: r6(-c.slippage) ?? 0 },
          { label: 'funding received', value: r6(fig.funding.received) ?? 0 },
          { label: 'funding paid', value: r6(fig.funding.paid) ?? 0 },
          { label: 'liquidation fees', value: r6(-c.liquidation_fees) ?? 0 },
        ],
        total_label: 'net P&L',
        unit: '',
      },
    }),
    table('costs', 'Costs', ['item', 'amount'], [
      ['fees', r6(c.fees)],
      ['slippage', r6(c.slippage)],
      ['funding received', r6(fig.funding.received)],
      ['funding paid', r6(fig.funding.paid)],
      ['funding (net, + received)', r6(c.funding)],
      ['liquidation fees', r6(c.liquidation_fees)],
      ['liquidations', d.manifest.counters?.liquidations ?? null],
      ['traded notional', r6(fig.traded_notional)],
      ['funding share of P&L', fpct(c.funding_share_of_pnl)],
    ]),
  ];
  // trades
  const realised = d.fills.realised.filter((v, i) => v !== 0 && !d.fills.liquidation[i]);
  const trades: Block[] = [
    chart<Chart>({ id: 'trade-pnl', title: `Realised P&L per closing fill (${realised.length} fills)`, kind: 'histogram', data: { bins: histogramBins(realised, 30).map((b) => ({ lo: r6(b.lo) ?? 0, hi: r6(b.hi) ?? 0, count: b.count })), x_unit: 'P&L' } }),
    chart<Chart>({ id: 'holding', title: `Holding times (${fig.holding_hours.length} positions), hours`, kind: 'histogram', data: { bins: histogramBins(fig.holding_hours, 24).map((b) => ({ lo: r6(b.lo) ?? 0, hi: r6(b.hi) ?? 0, count: b.count })), x_unit: 'hours' } }),
  ];
  // regimes (§10.2)
  const regimes: Block[] = [
    d.regimes.length
      ? table('regimes', 'Regime-conditional performance (seed §10.2)', ['dimension', 'regime', 'periods', 'mean return (bps)', 'Sharpe', 'note'], d.regimes.map((g) => [g.dimension, g.regime, g.periods, r6(g.mean_return * 1e4), r6(g.sharpe), g.small_sample ? 'small sample' : '']))
      : text('No regime columns in the decision rows: no regime-conditional table.'),
  ];
  // controller states
  const states = [...new Set(e.state)].sort(stateOrder);
  const change: number[] = [];
  for (let i = 0; i < n; i++) if (i === 0 || i === n - 1 || e.state[i] !== e.state[i - 1]) change.push(i);
  const ci = change.length > 2400 ? pick(change, minMaxIndices(change.length, [change.map((k) => states.indexOf(e.state[k]!))])) : change;
  const controller: Block[] = n
    ? [chart<Chart>({ id: 'controller', title: 'Drawdown controller state', kind: 'state', data: { x: pick(e.time, ci), states, values: ci.map((k) => states.indexOf(e.state[k]!)), downsampled_from: ci.length < change.length ? change.length : null } })]
    : [];
  // worst drawdowns on the decision bars
  const eps = drawdownEpisodes(Float64Array.from(br.ret))
    .sort((a, b) => a.depth - b.depth)
    .slice(0, 5);
  const worst: Block[] = [
    table(
      'drawdowns',
      'Worst drawdowns',
      ['#', 'start', 'end', 'depth', 'length (days)', 'recovered'],
      eps.map((x, k) => [k + 1, iso(br.time[Math.max(0, x.start - 1)]), iso(br.time[x.end]), fpct(x.depth), r6((x.length * barMs) / DAY_MS), x.recovered]),
    ),
  ];
  const warnings: Block[] = d.manifest.warnings?.length ? [text(`Run warnings: ${d.manifest.warnings.join('; ')}`)] : [];
  return [
    { id: 'backtest', title: 'Backtest: equity and drawdown', blocks: [...overview, ...warnings] },
    { id: 'monthly', title: 'Monthly returns', blocks: monthly },
    { id: 'rolling', title: 'Rolling Sharpe and volatility', blocks: rollingBlocks },
    { id: 'exposure', title: 'Exposure and leverage', blocks: exposure },
    { id: 'costs', title: 'Cost attribution', blocks: costs },
    { id: 'trades', title: 'Trades and holding times', blocks: trades },
    { id: 'regimes', title: 'Regime-conditional performance', blocks: regimes },
    { id: 'controller', title: 'Drawdown controller', blocks: controller.length ? controller : [text('No equity rows.')] },
    { id: 'drawdowns', title: 'Worst drawdowns', blocks: worst },
  ];
}

const STATE_ORDER = ['normal', 'reduced', 'halted', 'cooldown'];
function stateOrder(a: string, b: string): number {
  const ia = STATE_ORDER.indexOf(a);
  const ib = STATE_ORDER.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

const iso = (t: number | undefined): string => (t === undefined || !Number.isFinite(t) ? '' : new Date(t).toISOString().slice(0, 16).replace('T', ' '));

export function backtestReport(d: BacktestData, ledger: LedgerSummary, generatedAt: string, version: string): Report {
  const fig = figures(d);
  return {
    schema: REPORT_SCHEMA,
    kind: 'backtest',
    title: `Backtest ${d.run_id}: ${d.manifest.strategy.name} on ${d.manifest.split}/${d.manifest.segment}`,
    generated_at: generatedAt,
    perpkit_version: version,
    run_card: backtestRunCard(d, ledger),
    honesty: backtestHonesty(d, fig, ledger),
    metrics: { ...d.metrics, span_days: fig.span_days, traded_notional: fig.traded_notional, trades_per_day: fig.trades_per_day, funding_received: fig.funding.received, funding_paid: fig.funding.paid },
    sections: backtestSections(d, fig),
  };
}
