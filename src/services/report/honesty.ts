/**
 * The honesty panel's classifiers: pure functions of a run's numbers.
 * - `classifyExpectation`: the realistic-expectation table of the Coinbase seed (§12.2).
 * - `warningSigns`: the overfitting warning signs of §10.3, each fired / not fired / not
 *   applicable (null) with the number behind it.
 * - `sharpePanel`: PSR and the Deflated Sharpe with the ledger's trial count (src/stats/sharpe.ts).
 * - `costStressFromRun`: the cost multiple and round-trip cost at which a run breaks even.
 */
import { deflatedSharpeRatio, probabilisticSharpeRatio } from '../../stats/sharpe.js';
import type { Honesty } from './schema.js';

export type ExpectationClass = 'unrealistic' | 'suspicious' | 'reasonable' | 'outside';
export type ExpectationMetric = 'sharpe' | 'max_drawdown' | 'hit_rate' | 'annual_return' | 'trades_per_day';

/**
 * §12.2, as printed in the seed (values as fractions; drawdown as a positive depth):
 *   Sharpe        > 3.0 unrealistic | 2.0-3.0 suspicious | 0.5-2.0 reasonable
 *   Max drawdown  < 5%  unrealistic | 5%-10%   suspicious | 15%-30% reasonable
 *   Hit rate      > 65% unrealistic | 55%-65%  suspicious | 45%-55% reasonable
 *   Annual return > 100% unrealistic| 50%-100% suspicious | 15%-50% reasonable
 *   Trades/day    >> 100 (read: > 100) unrealistic | 20-100 suspicious | 1-20 reasonable
 * A value on a boundary gets the warier class (Sharpe 2.0 is suspicious). A value in none of the
 * bands (Sharpe 0.3, drawdown 12% or 45%, hit rate 40%) is `outside`: the seed calls it neither
 * too good nor reasonable, and the panel says which side it is on.
 */
export const EXPECTATION_BANDS: Record<ExpectationMetric, { label: string; unrealistic: (v: number) => boolean; suspicious: (v: number) => boolean; reasonable: (v: number) => boolean; bands: string }> = {
  sharpe: { label: 'Sharpe ratio', unrealistic: (v) => v > 3, suspicious: (v) => v >= 2 && v <= 3, reasonable: (v) => v >= 0.5 && v < 2, bands: '> 3.0 | 2.0-3.0 | 0.5-2.0' },
  max_drawdown: { label: 'Max drawdown', unrealistic: (v) => v < 0.05, suspicious: (v) => v >= 0.05 && v <= 0.1, reasonable: (v) => v >= 0.15 && v <= 0.3, bands: '< 5% | 5%-10% | 15%-30%' },
  hit_rate: { label: 'Hit rate', unrealistic: (v) => v > 0.65, suspicious: (v) => v >= 0.55 && v <= 0.65, reasonable: (v) => v >= 0.45 && v < 0.55, bands: '> 65% | 55%-65% | 45%-55%' },
  annual_return: { label: 'Annual return', unrealistic: (v) => v > 1, suspicious: (v) => v >= 0.5 && v <= 1, reasonable: (v) => v >= 0.15 && v < 0.5, bands: '> 100% | 50%-100% | 15%-50%' },
  trades_per_day: { label: 'Trade frequency (per day)', unrealistic: (v) => v > 100, suspicious: (v) => v >= 20 && v <= 100, reasonable: (v) => v >= 1 && v < 20, bands: '>> 100 | 20-100 | 1-20' },
};

/** The §12.2 class of one value (drawdown: pass the depth, positive or negative; its magnitude is used). */
export function classifyExpectation(metric: ExpectationMetric, value: number): ExpectationClass {
  const b = EXPECTATION_BANDS[metric];
  const v = metric === 'max_drawdown' ? Math.abs(value) : value;
  if (!Number.isFinite(v)) return 'outside';
  if (b.unrealistic(v)) return 'unrealistic';
  if (b.suspicious(v)) return 'suspicious';
  if (b.reasonable(v)) return 'reasonable';
  return 'outside';
}

const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;

export interface ExpectationInput {
  sharpe: number | null;
  max_drawdown: number | null;
  hit_rate: number | null;
  annual_return: number | null;
  trades_per_day: number | null;
}

/** The §12.2 table for a run: one row per metric; a missing value is `outside` with the value null. */
export function expectationTable(m: ExpectationInput): Honesty['expectations'] {
  const show: Record<ExpectationMetric, (v: number) => string> = {
    sharpe: (v) => v.toFixed(2),
    max_drawdown: (v) => pct(Math.abs(v)),
    hit_rate: pct,
    annual_return: pct,
    trades_per_day: (v) => v.toFixed(1),
  };
  return (Object.keys(EXPECTATION_BANDS) as ExpectationMetric[]).map((k) => {
    const v = m[k];
    const ok = v !== null && Number.isFinite(v);
    return { metric: k, label: EXPECTATION_BANDS[k].label, value: ok ? v : null, display: ok ? show[k](v) : 'n/a', class: ok ? classifyExpectation(k, v) : 'outside', bands: EXPECTATION_BANDS[k].bands };
  });
}

/** What the §10.3 signs are judged on. Optimisation-only inputs are null for a single backtest. */
export interface WarningInput {
  sharpe: number | null;
  max_drawdown: number | null;
  hit_rate: number | null;
  /** length of the run in days */
  span_days: number;
  /** the strategy follows trends (the regime strategy of §6.1B does) */
  trend_following: boolean | null;
  /** number of tuned / free parameters */
  parameters: number | null;
  /** monthly P&L (any unit), in time order */
  monthly_pnl: number[];
  /** daily P&L, in time order */
  daily_pnl: number[];
  /** walk-forward: mean in-sample and out-of-sample Sharpe */
  is_sharpe: number | null;
  oos_sharpe: number | null;
  /** share of windows whose chosen parameters sit on the grid's edge */
  boundary_share: number | null;
  /** largest relative range of a chosen parameter across windows */
  param_relative_range: number | null;
}

export const WARNING_SIGNS = [
  { sign: 'sharpe_above_2_5', label: 'Sharpe ratio > 2.5 (exceptionally rare in crypto)' },
  { sign: 'max_drawdown_below_5pct_multiyear', label: 'Max drawdown < 5% over a multi-year backtest' },
  { sign: 'hit_rate_above_60_trend', label: 'Hit rate > 60% for a trend-following strategy' },
  { sign: 'oos_degradation', label: 'Performance degrades significantly out-of-sample' },
  { sign: 'params_at_boundary', label: 'Optimal parameters are at grid boundaries' },
  { sign: 'params_unstable', label: 'Parameters change dramatically across walk-forward windows' },
  { sign: 'many_parameters', label: 'Strategy requires a complex, many-parameter model' },
  { sign: 'period_dependence', label: 'Performance depends on specific time periods' },
  { sign: 'event_curve_fit', label: 'Curve fitting to specific events' },
] as const;

/** Thresholds of the signs the seed words without a number (documented in docs/report.md). */
export const WARNING_THRESHOLDS = {
  multiyear_days: 730,
  oos_ratio: 0.5,
  boundary_share: 0.5,
  param_relative_range: 0.5,
  max_parameters: 5,
  min_months: 3,
  min_days: 10,
} as const;

function sum(a: number[]): number {
  let s = 0;
  for (const x of a) s += x;
  return s;
}

/**
 * Every §10.3 sign with fired = true / false, or null when the run cannot say (no walk-forward for
 * the optimisation signs, a run too short to be "multi-year", too few months or days).
 * - period_dependence: total P&L > 0 and P&L without its best month <= 0 (>= 3 months).
 * - event_curve_fit: total P&L > 0 and P&L without its best day <= 0 (>= 10 days).
 * - oos_degradation: out-of-sample Sharpe below half the in-sample Sharpe (in-sample > 0).
 */
export function warningSigns(w: WarningInput): Honesty['warnings'] {
  const T = WARNING_THRESHOLDS;
  const out: Honesty['warnings'] = [];
  const add = (i: number, fired: boolean | null, value: number | null, detail: string): void => {
    const s = WARNING_SIGNS[i]!;
    out.push({ sign: s.sign, label: s.label, fired, value, detail });
  };
  add(0, w.sharpe === null ? null : w.sharpe > 2.5, w.sharpe, w.sharpe === null ? 'no Sharpe ratio' : `Sharpe ${w.sharpe.toFixed(2)}`);
  if (w.max_drawdown === null) add(1, null, null, 'no drawdown');
  else if (w.span_days < T.multiyear_days) add(1, null, Math.abs(w.max_drawdown), `run spans ${w.span_days.toFixed(0)} days, not multi-year (>= ${T.multiyear_days}); max drawdown ${pct(Math.abs(w.max_drawdown))}`);
  else add(1, Math.abs(w.max_drawdown) < 0.05, Math.abs(w.max_drawdown), `max drawdown ${pct(Math.abs(w.max_drawdown))} over ${w.span_days.toFixed(0)} days`);
  if (w.hit_rate === null) add(2, null, null, 'no hit rate');
  else if (w.trend_following === false) add(2, null, w.hit_rate, `not a trend-following strategy; hit rate ${pct(w.hit_rate)}`);
  else add(2, w.hit_rate > 0.6, w.hit_rate, `hit rate ${pct(w.hit_rate)}${w.trend_following === null ? ' (strategy style unknown: judged as trend-following)' : ''}`);
  if (w.is_sharpe === null || w.oos_sharpe === null) add(3, null, null, 'no out-of-sample comparison (needs a walk-forward optimisation)');
  else add(3, w.is_sharpe > 0 && w.oos_sharpe < T.oos_ratio * w.is_sharpe, w.is_sharpe > 0 ? w.oos_sharpe / w.is_sharpe : null, `in-sample Sharpe ${w.is_sharpe.toFixed(2)}, out-of-sample ${w.oos_sharpe.toFixed(2)}`);
  if (w.boundary_share === null) add(4, null, null, 'no grid (needs an optimisation)');
  else add(4, w.boundary_share >= T.boundary_share, w.boundary_share, `${pct(w.boundary_share)} of the windows chose a parameter on the grid's edge`);
  if (w.param_relative_range === null) add(5, null, null, 'no walk-forward windows (needs an optimisation)');
  else add(5, w.param_relative_range > T.param_relative_range, w.param_relative_range, `largest relative range of a chosen parameter across windows: ${w.param_relative_range.toFixed(2)}`);
  if (w.parameters === null) add(6, null, null, 'parameter count unknown');
  else add(6, w.parameters > T.max_parameters, w.parameters, `${w.parameters} parameter(s) (more than ${T.max_parameters} fires)`);
  const total = sum(w.monthly_pnl);
  if (w.monthly_pnl.length < T.min_months) add(7, null, null, `${w.monthly_pnl.length} month(s): needs ${T.min_months}`);
  else {
    const best = Math.max(...w.monthly_pnl);
    add(7, total > 0 && total - best <= 0, total > 0 ? best / total : null, `best month ${best.toFixed(2)} of total ${total.toFixed(2)}`);
  }
  const dtotal = sum(w.daily_pnl);
  if (w.daily_pnl.length < T.min_days) add(8, null, null, `${w.daily_pnl.length} day(s): needs ${T.min_days}`);
  else {
    const best = Math.max(...w.daily_pnl);
    add(8, dtotal > 0 && dtotal - best <= 0, dtotal > 0 ? best / dtotal : null, `best day ${best.toFixed(2)} of total ${dtotal.toFixed(2)}`);
  }
  return out;
}

export interface SharpePanelInput {
  /** annualised Sharpe */
  sharpe: number | null;
  observations: number;
  periods_per_year: number | null;
  skewness: number | null;
  kurtosis: number | null;
  trials: number;
  /** variance of the trials' ANNUALISED Sharpe ratios; null: unknown */
  trials_sharpe_variance: number | null;
}

/**
 * PSR against 0 and DSR against E[max SR] of `trials` unskilled trials. Without a variance of the
 * trials' Sharpes (fewer than two recorded), the variance of a Sharpe estimate whose true value is
 * 0 is used: 1 / (T - 1) per period (its squared standard error), annualised by periods per year.
 */
export function sharpePanel(i: SharpePanelInput): Honesty['sharpe'] {
  const ppy = i.periods_per_year;
  const base = { sharpe: i.sharpe, observations: i.observations, periods_per_year: ppy, trials: Math.max(1, i.trials) };
  if (i.sharpe === null || ppy === null || !(ppy > 0) || i.observations < 2) {
    return { ...base, psr: null, dsr: null, trials_sharpe_variance: i.trials_sharpe_variance, variance_source: 'n/a', expected_max_sharpe: null };
  }
  const sr = i.sharpe / Math.sqrt(ppy);
  const moments = { sharpe: sr, observations: i.observations, skewness: i.skewness ?? 0, kurtosis: i.kurtosis ?? 3 };
  const psr = probabilisticSharpeRatio(moments, 0);
  const own = i.trials_sharpe_variance !== null && Number.isFinite(i.trials_sharpe_variance);
  const annualVar = own ? (i.trials_sharpe_variance as number) : ppy / (i.observations - 1);
  const d = deflatedSharpeRatio({ ...moments, trials: base.trials, trialsSharpeVariance: annualVar / ppy });
  return {
    ...base,
    psr,
    dsr: d.dsr,
    trials_sharpe_variance: annualVar,
    variance_source: own ? "the ledger's recorded Sharpe ratios" : 'null estimator variance 1/(T-1) (fewer than two recorded Sharpe ratios)',
    expected_max_sharpe: d.expected_max_sharpe * Math.sqrt(ppy),
  };
}

/** Sample variance (ddof 1) of the finite values; null for fewer than two. */
export function sampleVariance(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null && Number.isFinite(x));
  if (v.length < 2) return null;
  const m = sum(v) / v.length;
  let s = 0;
  for (const x of v) s += (x - m) ** 2;
  return s / (v.length - 1);
}

export interface CostInput {
  /** net P&L, quote currency */
  pnl: number;
  /** trading costs, positive = paid */
  fees: number;
  slippage: number;
  liquidation_fees: number;
  /** traded notional, both sides summed, quote currency */
  traded_notional: number;
}

/**
 * Cost stress of one run: gross P&L = net + fees + slippage + liquidation fees. The break-even cost
 * multiple is gross / costs (costs could be this many times today's before the P&L is 0); the
 * round-trip cost and the gross edge are per unit of notional traded twice (in and out), in bps;
 * the break-even round-trip cost is the gross edge.
 */
export function costStressFromRun(c: CostInput): NonNullable<Honesty['cost_stress']> {
  const costs = c.fees + c.slippage + c.liquidation_fees;
  const gross = c.pnl + costs;
  const perSide = c.traded_notional > 0 ? 1e4 / c.traded_notional : null;
  const rt = perSide === null ? null : 2 * costs * perSide;
  const edge = perSide === null ? null : 2 * gross * perSide;
  return {
    break_even_cost_multiple: costs > 0 ? gross / costs : null,
    gross_edge_bps: edge,
    round_trip_cost_bps: rt,
    break_even_bps: edge,
    source: 'this run: gross P&L over its costs and traded notional',
  };
}
