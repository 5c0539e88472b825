/**
 * Report fixtures: a synthetic backtest run (in memory, or written as a run folder with the
 * columns src/services/backtest.ts writes), a research run (in memory) and an optimisation run
 * written by the contract of docs/optimize-output.md (summary.json + Parquet).
 */
import { warningSigns } from '../../src/domain/optimize.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ServiceContext } from '../../src/domain/context.js';
import type { BacktestData } from '../../src/services/report/backtest.js';
import type { ResearchData } from '../../src/services/report/research.js';
import type { OptimizeSummary } from '../../src/services/report/optimize.js';
import { returnsMetrics } from '../../src/stats/returns.js';
import { mulberry32 } from '../../src/stats/random.js';

export const T0 = Date.parse('2026-01-01T00:00:00Z');
const H = 3_600_000;

/** A deterministic synthetic backtest: `n` equity rows every `stepMs`, fills and positions every ~day. */
export function syntheticBacktest(n = 24 * 120, stepMs = H, seed = 7, runId = '20260101T000000Z-abcdef01'): BacktestData {
  const rnd = mulberry32(seed);
  const time: number[] = [];
  const equity: number[] = [];
  const gross: number[] = [];
  const net: number[] = [];
  const state: string[] = [];
  let eq = 100_000;
  for (let i = 0; i < n; i++) {
    eq *= 1 + (rnd() - 0.49) * 0.004;
    time.push(T0 + i * stepMs);
    equity.push(eq);
    const lev = 1 + Math.sin(i / 200);
    gross.push(lev * eq);
    net.push((rnd() < 0.5 ? -1 : 1) * lev * eq * 0.5);
    state.push(i % 900 < 700 ? 'normal' : i % 900 < 850 ? 'reduced' : 'halted');
  }
  const fills: BacktestData['fills'] = { time: [], symbol: [], qty: [], price: [], fee: [], slippage: [], liquidation: [], realised: [] };
  const positions: BacktestData['positions'] = { time: [], symbol: [], qty: [] };
  const every = Math.max(2, Math.round((24 * H) / stepMs));
  for (let i = 1, k = 0; i < n; i += every, k++) {
    const open = k % 2 === 0;
    const q = open ? 0.5 + rnd() : 0;
    fills.time.push(time[i]!);
    fills.symbol.push(k % 3 === 0 ? 'ETH-PERP' : 'BTC-PERP');
    fills.qty.push(open ? q : -0.7);
    fills.price.push(50_000 + 1000 * Math.sin(i / 500));
    fills.fee.push(10 + rnd() * 5);
    fills.slippage.push(3 + rnd() * 2);
    fills.liquidation.push(0);
    fills.realised.push(open ? 0 : (rnd() - 0.45) * 400);
    positions.time.push(time[i]!);
    positions.symbol.push(fills.symbol[fills.symbol.length - 1]!);
    positions.qty.push(q);
  }
  const funding: BacktestData['funding'] = { time: [], kind: [], rate: [], amount: [] };
  for (let i = 8 * Math.round(H / stepMs); i < n; i += 8 * Math.max(1, Math.round(H / stepMs))) {
    funding.time.push(time[i]!);
    funding.kind.push('settlement');
    const r = (rnd() - 0.4) * 1e-4;
    funding.rate.push(r);
    funding.amount.push(-r * 50_000);
  }
  const barsPerHour = Math.max(1, Math.round(H / stepMs));
  const hourly: number[] = [];
  let prev = 100_000;
  for (let i = barsPerHour - 1; i < n; i += barsPerHour) {
    hourly.push(equity[i]! / prev - 1);
    prev = equity[i]!;
  }
  const m = returnsMetrics(Float64Array.from(hourly), { periodsPerYear: 8760 });
  const fees = fills.fee.reduce((a, b) => a + b, 0);
  const slip = fills.slippage.reduce((a, b) => a + b, 0);
  const fund = funding.amount.reduce((a, b) => a + b, 0);
  const pnl = equity[n - 1]! - 100_000;
  return {
    run_id: runId,
    manifest: {
      run_id: runId,
      created_at: '2026-01-01T00:00:00.000Z',
      perpkit_version: '0.1.0',
      code_version: 'fixture',
      strategy: { spec: 'regime', name: 'regime', params: { sma_fast: 24, sma_slow: 168 }, hash: 'f'.repeat(64) },
      config: { seed: 1 } as never,
      config_path: null,
      split: 'demo-1h',
      segment: 'validation',
      window: { start: new Date(T0).toISOString(), end: new Date(time[n - 1]!).toISOString() },
      venue: 'synthetic',
      symbols: ['BTC-PERP', 'ETH-PERP'],
      execution_timeframe: '1m',
      mark_timeframe: null,
      data_hashes: { features: 'a'.repeat(64), bars: 'b'.repeat(64) },
      seed: 1,
      funding_missing: 'error',
      warnings: [],
      counters: { events: n, decisions: n, orders: fills.qty.length, rejected: 0, outside_universe: 0, liquidations: 0, funding_missing: 0, kill_switch: null, final_equity: equity[n - 1]! },
      outputs: {},
      rerun_of: null,
    },
    metrics: {
      ...m,
      initial_equity: 100_000,
      final_equity: equity[n - 1]!,
      pnl,
      fills: fills.qty.length,
      avg_holding_hours: 24,
      costs: { fees, liquidation_fees: 0, slippage: slip, funding: fund, funding_share_of_pnl: pnl !== 0 ? fund / pnl : null },
    },
    regimes: [
      { dimension: 'volatility', regime: 'high', periods: 400, mean_return: 0.0001, sharpe: 0.8, small_sample: false },
      { dimension: 'volatility', regime: 'low', periods: 60, mean_return: -0.0002, sharpe: -0.5, small_sample: true },
    ],
    engine_ms: 1234,
    equity: { time, equity, gross, net, state },
    fills,
    positions,
    funding,
  };
}

async function writeParquet(ctx: ServiceContext, path: string, rows: Array<Record<string, unknown>>, select: string): Promise<void> {
  const nd = `${path}.ndjson`;
  writeFileSync(nd, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  await ctx.db.exec(`COPY (SELECT ${select} FROM read_json('${nd}', format = 'newline_delimited')) TO '${path}' (FORMAT parquet)`);
}

/** Writes `d` as <root>/runs/<run-id>/ the way perpkit backtest does (the columns the report reads). */
export async function writeBacktestRun(ctx: ServiceContext, root: string, d: BacktestData): Promise<string> {
  const dir = join(root, 'runs', d.run_id);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(d.manifest, null, 2));
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ metrics: d.metrics, regimes: d.regimes, engine_ms: d.engine_ms }, null, 2));
  const ts = (c: string): string => `make_timestamp((${c} * 1000)::BIGINT) AS ${c === 't' ? 'time' : c}`;
  const e = d.equity;
  await writeParquet(ctx, join(dir, 'equity.parquet'), e.time.map((t, i) => ({ t, equity: e.equity[i], g: e.gross[i], n: e.net[i], s: e.state[i] })), `${ts('t')}, equity::DOUBLE AS equity, 0.0 AS cash, 0.0 AS unrealised, 0.0 AS accrued_funding, 0.0 AS margin_used, g::DOUBLE AS gross_exposure, n::DOUBLE AS net_exposure, 0.0 AS drawdown, s::VARCHAR AS controller_state`);
  const f = d.fills;
  await writeParquet(ctx, join(dir, 'fills.parquet'), f.time.map((t, i) => ({ i, t, s: f.symbol[i], q: f.qty[i], p: f.price[i], fee: f.fee[i], sl: f.slippage[i], l: f.liquidation[i], r: f.realised[i] })), `i::INTEGER AS order_id, s::VARCHAR AS symbol, make_timestamp((t * 1000)::BIGINT) AS fill_time, make_timestamp((t * 1000)::BIGINT) AS booked_time, q::DOUBLE AS qty, p::DOUBLE AS price, p::DOUBLE AS ref_price, fee::DOUBLE AS fee, 0.0 AS fee_rate, 'taker' AS liquidity, 0.0 AS slippage_bps, sl::DOUBLE AS slippage_cost, l::INTEGER AS liquidation, r::DOUBLE AS realised_pnl`);
  const p = d.positions;
  await writeParquet(ctx, join(dir, 'positions.parquet'), p.time.map((t, i) => ({ t, s: p.symbol[i], q: p.qty[i] })), `${ts('t')}, s::VARCHAR AS symbol, q::DOUBLE AS qty, 0.0 AS entry_price, 0.0 AS margin`);
  const fu = d.funding;
  await writeParquet(ctx, join(dir, 'funding_payments.parquet'), fu.time.map((t, i) => ({ t, k: fu.kind[i], r: fu.rate[i], a: fu.amount[i] })), `${ts('t')}, 'BTC-PERP' AS symbol, k::VARCHAR AS kind, r::DOUBLE AS rate, 1.0 AS position_qty, 50000.0 AS mark_price, a::DOUBLE AS amount`);
  for (const name of ['orders', 'events']) await ctx.db.exec(`COPY (SELECT 1 AS x WHERE false) TO '${join(dir, `${name}.parquet`)}' (FORMAT parquet)`);
  return dir;
}

export function syntheticResearch(): ResearchData {
  const features = [
    ['basis_z_168', 'perp_spot'],
    ['funding_rate', 'derivatives'],
    ['roc_12', 'price'],
  ] as const;
  const horizons: Array<[string, number]> = [
    ['1h', H],
    ['4h', 4 * H],
  ];
  const cells: ResearchData['cells'] = [];
  let k = 0;
  for (const [f] of features) {
    for (const [h, ms] of horizons) {
      for (const [dim, cell] of [['all', 'all'], ['vol', 'high'], ['vol', 'low'], ['funding_sign', 'positive']]) {
        k++;
        const ic = ((k % 7) - 3) / 100;
        cells.push({
          feature: f, horizon: h, target: 'perp', horizon_ms: ms, regime_dim: dim!, regime_cell: cell!, status: k % 11 === 0 ? 'insufficient' : 'ok', n: 4000, assets: 3, effective_n: 1000, ic, ic_panel: ic, ic_by_asset: { 'BTC-PERP': ic + 0.005, 'ETH-PERP': ic - 0.005, 'SOL-PERP': k % 5 === 0 ? null : ic },
          t_naive: ic * 60, t_nw: ic * 40, se_nw: 0.025, nw_lags: 4, p_value: 0.2, p_holm: 0.9, p_bh: 0.5, hit_rate: 0.51, ic_periods: 4, ic_ir: 0.3, ic_rolling_std: 0.02, ic_trend: 0,
          sign_stability: 0.66, sign_pairs: 3, turnover: 0.1,
          buckets: dim === 'all' ? [1, 2, 3, 4, 5].map((b) => ({ bucket: b, count: 800, mean_return: (b - 3) * ic * 1e-3, hit_rate: 0.5 })) : null,
          monotonicity: 0.9, monotonicity_p: 0.03, spread: 0.0004, spread_ci_low: -0.0001, spread_ci_high: 0.0009, partial_ic: ic / 2, partial_t_nw: ic * 20, partial_p: 0.4, r2_lift: 0.0001, ic_ex_stress: ic, p_ex_stress: 0.3, cs_ic: null, cs_t_nw: null, cs_times: 0, viable: false,
        });
      }
    }
  }
  return {
    run_id: '0123456789abcdef',
    split: 'demo-1h',
    segment: 'validation',
    venue: 'sample',
    timeframe: '1h',
    created_at: '2026-01-02T00:00:00.000Z',
    config_hash: 'c'.repeat(64),
    spec_hashes: { H1: 'd'.repeat(64), H6: 'e'.repeat(64) },
    data_hashes: { features: 'a'.repeat(64) },
    cells,
    round_trip_cost: 0.0012,
    recorded: { H1: 'fail', H6: 'inconclusive' },
    command_args: { split: 'demo-1h' },
    unseal_reason: null,
    settlement: {
      bar_timeframe: '1m', near_minutes: 30, far_minutes: 120, settlements: 90, note: '',
      rows: ['settlement', 'placebo'].flatMap((kind) => ['pre_perp', 'post_perp', 'pre_spot', 'post_spot', 'pre_rel', 'post_rel', 'pre_far_perp', 'post_far_perp'].map((measure, i) => ({ kind: kind as 'settlement' | 'placebo', rate_sign: 'all' as const, measure: measure as never, events: 90, mean: (kind === 'settlement' ? 1 : 0.2) * (i - 3) * 1e-4, t: kind === 'settlement' ? 2.5 : 0.4, p_value: 0.01 }))),
    },
    settlement_note: 'fixture',
    verdicts: [
      { id: 'H1', title: 'basis mean reversion', verdict: 'fail', best: { feature: 'basis_z_168', horizon: '1h', ic: -0.02, t_nw: -0.8, p_bh: 0.5, effective_n: 1000 }, cells_considered: 8, checks: [{ name: 'significance', status: 'fail', numbers: { p_bh: 0.5 }, reason: 'not significant with effective N 1000' }, { name: 'sign_stability', status: 'pass', numbers: { sign_stability: 0.66 }, reason: 'agrees 66%' }] },
      { id: 'H6', title: 'settlement', verdict: 'inconclusive', best: null, cells_considered: 0, checks: [{ name: 'event_study', status: 'inconclusive', numbers: {}, reason: 'placebo shows it too' }] },
    ],
  };
}

/** An optimisation run following the contract: summary.json and the Parquet tables beside it. */
export async function writeOptimizeRun(ctx: ServiceContext, root: string, runId = '20260105T000000Z-0ptim1ze'): Promise<string> {
  const dir = join(root, 'optimize', runId);
  mkdirSync(dir, { recursive: true });
  const grid = { sma_fast: [12, 24, 48], sma_slow: [96, 168] };
  const windows = [0, 1, 2].map((w) => ({
    window: w,
    train_start: new Date(T0 + w * 30 * 24 * H).toISOString(),
    train_end: new Date(T0 + (w * 30 + 90) * 24 * H).toISOString(),
    test_start: new Date(T0 + (w * 30 + 91) * 24 * H).toISOString(),
    test_end: new Date(T0 + (w * 30 + 121) * 24 * H).toISOString(),
    chosen_cell: w + 1,
    chosen_params: { sma_fast: grid.sma_fast[w % 3], sma_slow: grid.sma_slow[w % 2] },
    is_objective: 1.5 - w * 0.1,
    oos_objective: 0.4 - w * 0.3,
    is_sharpe: 1.6 - w * 0.1,
    oos_sharpe: 0.3 - w * 0.3,
    on_boundary: w !== 1,
    neighbour_ratio: 1.2,
  }));
  const summary: OptimizeSummary = {
    schema: 'perpkit.optimize/1',
    run_id: runId,
    created_at: '2026-01-05T00:00:00.000Z',
    code_version: 'fixture',
    command: 'perpkit optimize --strategy regime --split wf --grid grid.yaml',
    strategy: { spec: 'regime', name: 'regime', family_hash: '9'.repeat(64) },
    objective: 'sharpe',
    scheme: { kind: 'walk-forward', windows: 'rolling', train: '90d', test: '30d', purge: '24h' },
    grid,
    n_windows: 3,
    n_cells: 6,
    windows,
    oos: { sharpe: 0.4, sortino: 0.6, total_return: 0.03, max_drawdown: -0.08, observations: 2160, periods_per_year: 8760, trades: 42, hit_rate: 0.51 },
    dsr: { sharpe: 0.4, psr: 0.7, dsr: 0.2, trials: 18, trials_sharpe_variance: 0.5, expected_max_sharpe: 1.1 },
    pbo: { pbo: 0.35, logits: [-1.2, -0.4, 0.1, 0.3, 0.8, 1.1, -0.2, 0.5, 0.9, 1.4, -0.7, 0.2], prob_oos_loss: 0.4, blocks: 16 },
    stability: { params: { sma_fast: { values_by_window: [12, 24, 48], distinct: 3, relative_range: 1.0 }, sma_slow: { values_by_window: [96, 168, 96], distinct: 2, relative_range: 0.55 } }, boundary_share: 0.67, sharp_peak_windows: [1] },
    // the signs as perpkit optimize writes them (its own names; the report maps them onto its panel)
    warnings: warningSigns({
      oos_sharpe: 0.4, oos_max_drawdown: 0.08, oos_years: 0.25, oos_hit_rate: 0.51, trend_following: true,
      is_objectives: [1.5, 1.4, 1.3], oos_objectives: [0.4, 0.1, -0.2], boundary_share: 0.67, param_change_share: 1,
      grid_params: 2, pnl_by_window: [100, 20, -50], top_day_share: 0.1, pbo: 0.35, dsr: 0.2,
    }).map((w) => (w.sign === 'boundary_optima' ? { ...w, detail: '2 of 3 windows on the edge' } : w)),
    expectations: [{ metric: 'sharpe', value: 0.4, class: 'outside' }],
    cost_stress: { break_even_bps: 12.3, gross_edge_per_trade_bps: 20.1, round_trip_cost_bps: 14 },
    capacity: { half_edge_notional: 250000 },
    funding: { pnl_with_funding: 3000, pnl_without_funding: 2400, funding_share: 0.2 },
    outputs: { 'cells.parquet': { rows: 36, sha256: '1'.repeat(64) } },
  };
  writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
  const cells: Array<Record<string, unknown>> = [];
  for (const w of [0, 1, 2]) {
    let c = 0;
    for (const f of grid.sma_fast) {
      for (const s of grid.sma_slow) {
        for (const part of ['train', 'test']) cells.push({ window: w, cell: c, params: JSON.stringify({ sma_fast: f, sma_slow: s }), part, objective: (f / 48 - s / 400) * (part === 'train' ? 2 : 1) + w * 0.1, sharpe: f / 40 - s / 300, net_return: 0.01, max_drawdown: -0.05, trades: 10 });
        c++;
      }
    }
  }
  await writeParquet(ctx, join(dir, 'cells.parquet'), cells, '"window"::INTEGER AS "window", cell::INTEGER AS cell, params::VARCHAR AS params, part::VARCHAR AS part, objective::DOUBLE AS objective, sharpe::DOUBLE AS sharpe, net_return::DOUBLE AS net_return, max_drawdown::DOUBLE AS max_drawdown, trades::INTEGER AS trades');
  const eq: Array<Record<string, unknown>> = [];
  let e = 1;
  for (let i = 0; i < 2160; i++) {
    const r = Math.sin(i / 37) * 0.001 + 0.00002;
    e *= 1 + r;
    eq.push({ t: T0 + (91 * 24 + i) * H, w: Math.floor(i / 720), e, r });
  }
  await writeParquet(ctx, join(dir, 'equity.parquet'), eq, 'make_timestamp((t * 1000)::BIGINT) AS event_time, w::INTEGER AS "window", e::DOUBLE AS equity, r::DOUBLE AS ret');
  await writeParquet(ctx, join(dir, 'cost_stress.parquet'), [0, 1, 2].flatMap((t) => [1, 2].map((m) => ({ f: `VIP${t}`, m, s: 0.5 - t * 0.1 - m * 0.1, r: 0.03 - t * 0.01, b: 10 + t * 2 + m * 3 }))), 'f::VARCHAR AS fee_tier, m::DOUBLE AS slippage_mult, s::DOUBLE AS net_sharpe, r::DOUBLE AS net_return, b::DOUBLE AS round_trip_bps');
  await writeParquet(ctx, join(dir, 'capacity.parquet'), [1, 2, 5, 10, 20].map((m) => ({ m, n: m * 100000, r: 0.03 / Math.sqrt(m), s: 0.5 / Math.sqrt(m) })), 'm::DOUBLE AS multiple, n::DOUBLE AS notional, r::DOUBLE AS net_return, s::DOUBLE AS net_sharpe');
  return dir;
}
