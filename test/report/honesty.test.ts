import { describe, expect, it } from 'vitest';
import { normCdf, normQuantile } from '../../src/stats/normal.js';
import { classifyExpectation, costStressFromRun, expectationTable, sampleVariance, sharpePanel, warningSigns, type WarningInput } from '../../src/services/report/honesty.js';

describe('§12.2 realistic expectations', () => {
  it('classes each metric by the seed table, the warier class on a boundary, outside between bands', () => {
    const cases: Array<[Parameters<typeof classifyExpectation>[0], number, string]> = [
      ['sharpe', 3.01, 'unrealistic'],
      ['sharpe', 3.0, 'suspicious'],
      ['sharpe', 2.0, 'suspicious'],
      ['sharpe', 1.99, 'reasonable'],
      ['sharpe', 0.5, 'reasonable'],
      ['sharpe', 0.49, 'outside'],
      ['sharpe', -1, 'outside'],
      ['max_drawdown', -0.049, 'unrealistic'],
      ['max_drawdown', 0.05, 'suspicious'],
      ['max_drawdown', -0.1, 'suspicious'],
      ['max_drawdown', -0.12, 'outside'],
      ['max_drawdown', -0.15, 'reasonable'],
      ['max_drawdown', -0.3, 'reasonable'],
      ['max_drawdown', -0.31, 'outside'],
      ['hit_rate', 0.66, 'unrealistic'],
      ['hit_rate', 0.65, 'suspicious'],
      ['hit_rate', 0.55, 'suspicious'],
      ['hit_rate', 0.5, 'reasonable'],
      ['hit_rate', 0.44, 'outside'],
      ['annual_return', 1.01, 'unrealistic'],
      ['annual_return', 0.5, 'suspicious'],
      ['annual_return', 0.2, 'reasonable'],
      ['annual_return', 0.1, 'outside'],
      ['trades_per_day', 150, 'unrealistic'],
      ['trades_per_day', 20, 'suspicious'],
      ['trades_per_day', 5, 'reasonable'],
      ['trades_per_day', 0.5, 'outside'],
    ];
    for (const [m, v, c] of cases) expect(classifyExpectation(m, v), `${m} ${v}`).toBe(c);
  });

  it('builds one row per metric with the value shown; a missing value is outside with n/a', () => {
    const t = expectationTable({ sharpe: 2.4, max_drawdown: -0.2, hit_rate: null, annual_return: 0.3, trades_per_day: 3 });
    expect(t.map((r) => [r.metric, r.class, r.display])).toEqual([
      ['sharpe', 'suspicious', '2.40'],
      ['max_drawdown', 'reasonable', '20.0%'],
      ['hit_rate', 'outside', 'n/a'],
      ['annual_return', 'reasonable', '30.0%'],
      ['trades_per_day', 'reasonable', '3.0'],
    ]);
  });
});

const base: WarningInput = {
  sharpe: 1,
  max_drawdown: -0.2,
  hit_rate: 0.5,
  span_days: 100,
  trend_following: true,
  parameters: 3,
  monthly_pnl: [1, 1, 1],
  daily_pnl: Array.from({ length: 12 }, () => 1),
  is_sharpe: null,
  oos_sharpe: null,
  boundary_share: null,
  param_relative_range: null,
};
const fired = (w: WarningInput): Record<string, boolean | null> => Object.fromEntries(warningSigns(w).map((s) => [s.sign, s.fired]));

describe('§10.3 warning signs', () => {
  it('lists all nine signs; a modest run fires none and says which need an optimisation', () => {
    expect(fired(base)).toEqual({
      sharpe_above_2_5: false,
      max_drawdown_below_5pct_multiyear: null,
      hit_rate_above_60_trend: false,
      oos_degradation: null,
      params_at_boundary: null,
      params_unstable: null,
      many_parameters: false,
      period_dependence: false,
      event_curve_fit: false,
    });
  });

  it('fires each sign just past its threshold and not at it', () => {
    expect(fired({ ...base, sharpe: 2.51 }).sharpe_above_2_5).toBe(true);
    expect(fired({ ...base, sharpe: 2.5 }).sharpe_above_2_5).toBe(false);
    expect(fired({ ...base, span_days: 800, max_drawdown: -0.049 }).max_drawdown_below_5pct_multiyear).toBe(true);
    expect(fired({ ...base, span_days: 800, max_drawdown: -0.05 }).max_drawdown_below_5pct_multiyear).toBe(false);
    expect(fired({ ...base, span_days: 729, max_drawdown: -0.01 }).max_drawdown_below_5pct_multiyear).toBe(null);
    expect(fired({ ...base, hit_rate: 0.61 }).hit_rate_above_60_trend).toBe(true);
    expect(fired({ ...base, hit_rate: 0.6 }).hit_rate_above_60_trend).toBe(false);
    expect(fired({ ...base, hit_rate: 0.9, trend_following: false }).hit_rate_above_60_trend).toBe(null);
    expect(fired({ ...base, is_sharpe: 2, oos_sharpe: 0.99 }).oos_degradation).toBe(true);
    expect(fired({ ...base, is_sharpe: 2, oos_sharpe: 1 }).oos_degradation).toBe(false);
    expect(fired({ ...base, is_sharpe: -1, oos_sharpe: -3 }).oos_degradation).toBe(false);
    expect(fired({ ...base, boundary_share: 0.5 }).params_at_boundary).toBe(true);
    expect(fired({ ...base, boundary_share: 0.49 }).params_at_boundary).toBe(false);
    expect(fired({ ...base, param_relative_range: 0.51 }).params_unstable).toBe(true);
    expect(fired({ ...base, param_relative_range: 0.5 }).params_unstable).toBe(false);
    expect(fired({ ...base, parameters: 6 }).many_parameters).toBe(true);
    expect(fired({ ...base, parameters: 5 }).many_parameters).toBe(false);
  });

  it('period dependence: the best month carries all the P&L; event fit: the best day does', () => {
    expect(fired({ ...base, monthly_pnl: [1, 3, 1] }).period_dependence).toBe(false);
    expect(fired({ ...base, monthly_pnl: [-1, 3, -1] }).period_dependence).toBe(true);
    expect(fired({ ...base, monthly_pnl: [-2, 3, -0.5] }).period_dependence).toBe(true);
    expect(fired({ ...base, monthly_pnl: [10, -20] }).period_dependence).toBe(null);
    const days = [5, ...Array.from({ length: 10 }, () => -0.4)];
    expect(fired({ ...base, daily_pnl: days }).event_curve_fit).toBe(true);
    expect(fired({ ...base, daily_pnl: [4.5, ...days.slice(1)] }).event_curve_fit).toBe(true);
    expect(fired({ ...base, daily_pnl: [3, 2, ...Array.from({ length: 9 }, () => -0.2)] }).event_curve_fit).toBe(false);
    expect(fired({ ...base, daily_pnl: [1, -1, ...Array.from({ length: 9 }, () => 0)] }).event_curve_fit).toBe(false);
    const w = warningSigns({ ...base, monthly_pnl: [-2, 3, -0.5] }).find((s) => s.sign === 'period_dependence');
    expect(w?.value).toBeCloseTo(3 / 0.5, 12);
  });
});

describe('Sharpe panel', () => {
  it('PSR and DSR follow Bailey and Lopez de Prado from the annual Sharpe and moments', () => {
    const ppy = 8760;
    const T = 2000;
    const p = sharpePanel({ sharpe: 1.5, observations: T, periods_per_year: ppy, skewness: -0.3, kurtosis: 5, trials: 10, trials_sharpe_variance: 0.8 });
    const sr = 1.5 / Math.sqrt(ppy);
    const factor = 1 + 0.3 * sr + (4 / 4) * sr * sr;
    expect(p.psr).toBeCloseTo(normCdf((sr * Math.sqrt(T - 1)) / Math.sqrt(factor)), 12);
    const g = 0.5772156649015329;
    const v = 0.8 / ppy;
    const sr0 = Math.sqrt(v) * ((1 - g) * normQuantile(1 - 1 / 10) + g * normQuantile(1 - 1 / (10 * Math.E)));
    expect(p.expected_max_sharpe).toBeCloseTo(sr0 * Math.sqrt(ppy), 10);
    expect(p.dsr).toBeCloseTo(normCdf(((sr - sr0) * Math.sqrt(T - 1)) / Math.sqrt(factor)), 12);
    expect(p.trials).toBe(10);
    expect(p.dsr!).toBeLessThan(p.psr!);
  });

  it('one trial: DSR equals PSR; no recorded variance falls back to the null estimator variance', () => {
    const one = sharpePanel({ sharpe: 1, observations: 500, periods_per_year: 365, skewness: 0, kurtosis: 3, trials: 1, trials_sharpe_variance: null });
    expect(one.dsr).toBeCloseTo(one.psr!, 14);
    const many = sharpePanel({ sharpe: 1, observations: 500, periods_per_year: 365, skewness: 0, kurtosis: 3, trials: 50, trials_sharpe_variance: null });
    expect(many.trials_sharpe_variance).toBeCloseTo(365 / 499, 12);
    expect(many.variance_source).toMatch(/null estimator/);
    expect(many.dsr!).toBeLessThan(one.dsr! - 0.05);
    expect(sharpePanel({ sharpe: null, observations: 10, periods_per_year: 365, skewness: 0, kurtosis: 3, trials: 3, trials_sharpe_variance: null }).dsr).toBe(null);
  });

  it('sample variance uses ddof 1 and needs two finite values', () => {
    expect(sampleVariance([1, 2, 3, 4])).toBeCloseTo(5 / 3, 14);
    expect(sampleVariance([1, null, Number.NaN])).toBe(null);
  });
});

describe('cost stress of a run', () => {
  it('gross = net + costs; multiple = gross / costs; bps per round trip of notional', () => {
    const c = costStressFromRun({ pnl: 300, fees: 80, slippage: 20, liquidation_fees: 0, traded_notional: 1_000_000 });
    expect(c.break_even_cost_multiple).toBeCloseTo(4, 14);
    expect(c.round_trip_cost_bps).toBeCloseTo(2 * 100 / 1e6 * 1e4, 12);
    expect(c.gross_edge_bps).toBeCloseTo(2 * 400 / 1e6 * 1e4, 12);
    expect(c.break_even_bps).toBe(c.gross_edge_bps);
    const none = costStressFromRun({ pnl: 0, fees: 0, slippage: 0, liquidation_fees: 0, traded_notional: 0 });
    expect([none.break_even_cost_multiple, none.round_trip_cost_bps]).toEqual([null, null]);
  });
});
