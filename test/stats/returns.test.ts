import { describe, it, expect } from 'vitest';
import {
  annualVolatility,
  averageDrawdown,
  cagr,
  calmarRatio,
  conditionalValueAtRisk,
  downsideDeviation,
  drawdownEpisodes,
  drawdownSeries,
  exposure,
  hitRate,
  maxDrawdown,
  maxDrawdownDuration,
  periodsPerYearFromBarSeconds,
  perPeriodRate,
  profitFactor,
  returnsMetrics,
  sharpeRatio,
  sortinoRatio,
  timeframeSeconds,
  totalReturn,
  tradeCount,
  turnover,
  valueAtRisk,
  winLossRatio,
} from '../../src/stats/returns.js';
import { kurtosis, skewness } from '../../src/stats/descriptive.js';
import { mulberry32, normalArray } from '../../src/stats/random.js';

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs);

describe('annualisation on a 24/7 calendar', () => {
  it('derives periods per year from the bar length (365 days, not 252 x 24)', () => {
    expect(periodsPerYearFromBarSeconds(3600)).toBe(8760);
    expect(periodsPerYearFromBarSeconds(60)).toBe(525600);
    expect(periodsPerYearFromBarSeconds(86400)).toBe(365);
    expect(timeframeSeconds('1h')).toBe(3600);
    expect(timeframeSeconds('5m')).toBe(300);
    expect(timeframeSeconds('1d')).toBe(86400);
    expect(timeframeSeconds('hourly')).toBeNull();
    expect(() => periodsPerYearFromBarSeconds(0)).toThrow(RangeError);
  });

  it('converts an annual risk-free rate to a compounding per-period rate', () => {
    expect(Math.expm1(Math.log1p(perPeriodRate(0.05, 8760)) * 8760)).toBeCloseTo(0.05, 14);
    expect(perPeriodRate(0.05, 8760)).toBeCloseTo(5.5697e-6, 9);
  });
});

describe('a non-zero risk-free rate enters the Sharpe ratio de-annualised', () => {
  // 5% a year on hourly returns: the per-period rate is 1.05^(1/8760) - 1 = 5.5697e-6, not 0.05 (the annual
  // rate taken per period) nor 0.05 / 8760 = 5.7078e-6 (simple division)
  const rng = mulberry32(5);
  const r = Float64Array.from({ length: 2000 }, () => 0.0002 + 0.004 * (rng() - 0.5));
  const ppy = 8760;
  /** plain loop: mean(r - rf) / std(r, ddof 1) * sqrt(ppy) */
  const plain = (rfPer: number): number => {
    let m = 0;
    for (const x of r) m += x;
    m /= r.length;
    let v = 0;
    for (const x of r) v += (x - m) ** 2;
    return ((m - rfPer) / Math.sqrt(v / (r.length - 1))) * Math.sqrt(ppy);
  };
  const rfPer = Math.pow(1.05, 1 / ppy) - 1;

  it('sharpeRatio and returnsMetrics subtract 1.05^(1/8760) - 1 per hour', () => {
    expect(rfPer).toBeCloseTo(5.5697e-6, 9);
    const want = plain(rfPer);
    expect(sharpeRatio(r, ppy, 0.05)).toBeCloseTo(want, 10);
    const m = returnsMetrics(r, { periodsPerYear: ppy, riskFreeAnnual: 0.05 });
    expect(m.sharpe).toBeCloseTo(want, 10);
    expect(m.risk_free_annual).toBe(0.05);
    // the rate lowers the Sharpe ratio by exactly rf / std * sqrt(ppy) (about 0.45 here): neither ignored nor taken per period
    expect((sharpeRatio(r, ppy, 0) as number) - want).toBeCloseTo(plain(0) - plain(rfPer), 10);
    expect(Math.abs(want - plain(0.05 / ppy))).toBeGreaterThan(1e-3); // simple division is told apart
    expect(plain(0) - want).toBeGreaterThan(0.3);
    expect(plain(0.05)).toBeLessThan(-1000); // what the annual rate per period would give
  });

  it('a negative rate raises it; the rate does not touch the other metrics', () => {
    expect(sharpeRatio(r, ppy, -0.02)).toBeCloseTo(plain(Math.pow(0.98, 1 / ppy) - 1), 10);
    const a = returnsMetrics(r, { periodsPerYear: ppy, riskFreeAnnual: 0.05 });
    const b = returnsMetrics(r, { periodsPerYear: ppy });
    expect({ ...a, sharpe: 0, risk_free_annual: 0 }).toEqual({ ...b, sharpe: 0, risk_free_annual: 0 });
  });
});

describe('metrics worked by hand on [0.10, -0.10]', () => {
  const r = f64([0.1, -0.1]);
  it('total return, CAGR, volatility, Sharpe', () => {
    // 1.1 * 0.9 - 1 = -0.01; with 2 periods a year the CAGR equals the total.
    expect(totalReturn(r)).toBeCloseTo(-0.01, 15);
    expect(cagr(r, 2)).toBeCloseTo(-0.01, 15);
    // std ddof 1 of (0.1, -0.1) = sqrt(0.02 / 1) = 0.141421...; times sqrt(2) = 0.2.
    expect(annualVolatility(r, 2)).toBeCloseTo(0.2, 15);
    expect(sharpeRatio(r, 2)).toBeCloseTo(0, 15);
  });
  it('drawdown: equity 1.1 then 0.99, so 0.99 / 1.1 - 1 = -0.1 for one period, unrecovered', () => {
    expect(maxDrawdown(r)).toBeCloseTo(-0.1, 15);
    expect(maxDrawdownDuration(r)).toBe(1);
    expect(drawdownEpisodes(r)).toEqual([{ start: 1, end: 1, depth: maxDrawdown(r), length: 1, recovered: false }]);
    // Calmar = CAGR / |MDD| = -0.01 / 0.1.
    expect(calmarRatio(r, 2)).toBeCloseTo(-0.1, 14);
  });
  it('Sortino: downside deviation over all periods = sqrt((0 + 0.01) / 2)', () => {
    expect(downsideDeviation(r)).toBeCloseTo(Math.sqrt(0.005), 15);
    expect(sortinoRatio(r, 2)).toBeCloseTo(0, 15);
  });
  it('hit rate, profit factor, win/loss', () => {
    expect(hitRate(r)).toBe(0.5);
    expect(profitFactor(r)).toBeCloseTo(1, 15);
    expect(winLossRatio(r)).toBeCloseTo(1, 15);
  });
});

describe('drawdown worked by hand', () => {
  it('counts a first-period loss, durations and episode depths', () => {
    // equity: 0.9, 0.99, 1.089 (new peak), 0.9801, 1.1781 (new peak)
    const r = f64([-0.1, 0.1, 0.1, -0.1, 0.202]);
    const dd = drawdownSeries(r);
    expect(dd[0]).toBeCloseTo(-0.1, 15);
    expect(dd[1]).toBeCloseTo(-0.01, 15);
    expect(dd[2]).toBe(0);
    expect(dd[3]).toBeCloseTo(-0.1, 14);
    expect(dd[4]).toBe(0);
    expect(maxDrawdownDuration(r)).toBe(2);
    expect(drawdownEpisodes(r).map((e) => e.length)).toEqual([2, 1]);
    expect(averageDrawdown(r)).toBeCloseTo(-0.1, 14);
    expect(maxDrawdown(f64([0.01, 0.02]))).toBe(0);
    expect(averageDrawdown(f64([0.01, 0.02]))).toBe(0);
  });
});

describe('hit rate counts zero returns as neither hit nor miss', () => {
  it('excludes zeros from the denominator', () => {
    expect(hitRate(f64([0.01, 0, 0, -0.01, 0.02]))).toBeCloseTo(2 / 3, 15);
    expect(hitRate(f64([0, 0]))).toBeNull();
  });
});

describe('VaR and CVaR (empyrical definitions)', () => {
  it('VaR is the linear-interpolated 5th percentile; CVaR the mean of the k + 1 worst, k = floor((n - 1) 0.05)', () => {
    const r = f64(Array.from({ length: 21 }, (_, i) => (i - 10) / 100)); // -0.10 .. 0.10
    // position (21 - 1) * 0.05 = 1 -> the 2nd smallest, -0.09; k = 1 -> mean(-0.10, -0.09).
    expect(valueAtRisk(r)).toBeCloseTo(-0.09, 15);
    expect(conditionalValueAtRisk(r)).toBeCloseTo(-0.095, 15);
    const r2 = f64([0.03, -0.02, 0.01, -0.05]);
    // sorted -0.05, -0.02, 0.01, 0.03; position 0.15 -> -0.05 + 0.15 * 0.03
    expect(valueAtRisk(r2)).toBeCloseTo(-0.0455, 15);
    expect(conditionalValueAtRisk(r2)).toBeCloseTo(-0.05, 15);
  });
});

describe('against numpy/scipy with empyrical formulas (test/fixtures/stats/reference.py)', () => {
  const small = f64([0.01, -0.02, 0.03, 0.0, -0.01, 0.02, -0.03, 0.015, 0.005, -0.004, 0.0, 0.012]);
  const ref = {
    total_return: 0.026747678883477066,
    cagr: 0.026747678883477066,
    annual_volatility: 0.05857085840710766,
    sharpe: 0.4780534341050763,
    sortino: 0.7440916048338274,
    max_drawdown: -0.030000000000000027,
    calmar: 0.8915892961159014,
    var: -0.0245,
    cvar: -0.03,
    skewness: -0.3339688821736562,
    kurtosis: 2.533545551211054,
    hit_rate: 0.6,
    profit_factor: 1.4375,
    win_loss_ratio: 0.9583333333333333,
  };
  it('matches every metric to 1e-12', () => {
    const m = returnsMetrics(small, { periodsPerYear: 12 });
    for (const [k, v] of Object.entries(ref)) {
      const got = m[k as keyof typeof ref];
      expect(got, k).not.toBeNull();
      expect(Math.abs((got as number) - v), k).toBeLessThan(1e-12);
    }
    expect(m.excess_kurtosis).toBeCloseTo(ref.kurtosis - 3, 12);
    expect(m.notes).toEqual({ turnover: 'no position column given', trades: 'no position column given', exposure: 'no position column given' });
  });
});

describe('non-finite cases give documented nulls with reasons', () => {
  it('zero variance', () => {
    const m = returnsMetrics(f64([0.01, 0.01, 0.01]), { periodsPerYear: 8760 });
    expect(m.sharpe).toBeNull();
    expect(m.notes['sharpe']).toMatch(/zero variance/);
    expect(m.skewness).toBeNull();
    expect(m.sortino).toBeNull();
    expect(m.notes['sortino']).toMatch(/no return below/);
    expect(m.profit_factor).toBeNull();
    expect(m.notes['profit_factor']).toMatch(/no losing period/);
    expect(m.calmar).toBeNull();
    expect(m.max_drawdown).toBe(0);
    expect(JSON.stringify(m)).not.toMatch(/NaN|Infinity/);
  });
  it('empty and single-return series do not throw and carry no NaN', () => {
    for (const r of [f64([]), f64([0.02])]) {
      const m = returnsMetrics(r, { periodsPerYear: 8760 }, new Float64Array(r.length));
      for (const v of Object.values(m)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
      expect(m.sharpe).toBeNull();
      expect(m.notes['sharpe']).toBeDefined();
    }
  });
  it('all-zero returns', () => {
    const m = returnsMetrics(f64([0, 0, 0]), { periodsPerYear: 365 });
    expect(m.hit_rate).toBeNull();
    expect(m.notes['hit_rate']).toMatch(/every return is 0/);
    expect(m.win_loss_ratio).toBeNull();
  });
  it('a wipe-out gives CAGR -1', () => {
    expect(cagr(f64([0.1, -1, 0.2]), 8760)).toBe(-1);
  });
});

describe('positions: turnover, trades, exposure', () => {
  it('counts the initial entry', () => {
    const p = f64([0, 1, 1, -1, 0, 0]);
    // |0| + |1| + 0 + |-2| + |1| + 0 = 4 over 6 periods, times 12 periods per year = 8
    expect(turnover(p, 12)).toBeCloseTo(8, 15);
    expect(tradeCount(p)).toBe(3);
    expect(exposure(p)).toBeCloseTo(0.5, 15);
    const m = returnsMetrics(f64([0, 0.01, 0.02, -0.01, 0, 0]), { periodsPerYear: 12 }, p);
    expect(m.trades).toBe(3);
    expect(m.notes['trades']).toBeUndefined();
  });
});

describe('properties', () => {
  it('Sharpe scales with the square root of periods per year', () => {
    const r = normalArray(500, 11, 0.0005, 0.01);
    const base = sharpeRatio(r, 1)!;
    for (const ppy of [365, 8760, 525600]) expect(sharpeRatio(r, ppy)! / base).toBeCloseTo(Math.sqrt(ppy), 9);
  });

  it('order-free metrics are invariant to shuffling; path metrics see the order', () => {
    const r = normalArray(300, 5, 0.0002, 0.01);
    const shuffled = Float64Array.from(r);
    const u = mulberry32(99);
    for (let i = shuffled.length - 1; i > 0; i--) {
      const j = Math.floor(u() * (i + 1));
      [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
    }
    const a = returnsMetrics(r, { periodsPerYear: 8760 });
    const b = returnsMetrics(shuffled, { periodsPerYear: 8760 });
    for (const k of ['total_return', 'cagr', 'annual_volatility', 'sharpe', 'sortino', 'hit_rate', 'profit_factor', 'win_loss_ratio', 'var', 'cvar', 'skewness', 'kurtosis'] as const) {
      expect(Math.abs((a[k] as number) - (b[k] as number)), k).toBeLessThan(1e-9 * Math.max(1, Math.abs(a[k] as number)));
    }
    expect(a.max_drawdown).not.toBe(b.max_drawdown);
  });

  it('drawdown is never positive and the maximum drawdown is its minimum', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = normalArray(200, seed, 0, 0.05);
      const dd = drawdownSeries(r);
      expect(dd.every((x) => x <= 0)).toBe(true);
      expect(maxDrawdown(r)).toBe(Math.min(0, ...dd));
      expect(averageDrawdown(r)).toBeGreaterThanOrEqual(maxDrawdown(r));
      expect(averageDrawdown(r)).toBeLessThanOrEqual(0);
    }
  });

  it('skewness and kurtosis are scale and shift invariant; a normal sample has kurtosis near 3 (raw)', () => {
    const r = normalArray(20000, 3);
    expect(kurtosis(r)).toBeGreaterThan(2.9);
    expect(kurtosis(r)).toBeLessThan(3.1);
    const s = r.map((x) => 0.01 * x + 0.5);
    expect(skewness(s)).toBeCloseTo(skewness(r), 9);
    expect(kurtosis(s)).toBeCloseTo(kurtosis(r), 9);
  });
});

// Edges left alive by the StrykerJS run of src/stats (reports/mutation/stats.json).
describe('edges of the returns metrics', () => {
  it('timeframes: whole string, several digits, surrounding spaces, a zero count', () => {
    expect(timeframeSeconds('15m')).toBe(900);
    expect(timeframeSeconds('12h')).toBe(43_200);
    expect(timeframeSeconds(' 4h ')).toBe(14_400);
    expect(timeframeSeconds('1hx')).toBeNull();
    expect(timeframeSeconds('x1h')).toBeNull();
    expect(timeframeSeconds('0h')).toBeNull();
    expect(() => periodsPerYearFromBarSeconds(-60)).toThrow(/bar length must be > 0 seconds, got -60/);
  });

  it('Sharpe is defined from 2 returns', () => {
    // mean 0.15, std (ddof 1) sqrt(0.005) = 0.0707107; one period a year
    expect(sharpeRatio(f64([0.1, 0.2]), 1)).toBeCloseTo(0.15 / Math.sqrt(0.005), 12);
  });

  it('Sortino and downside deviation against a non-zero target, as plain loops', () => {
    const r = f64([0.03, -0.01, 0.02, 0.005, -0.02, 0.04]);
    const target = 0.01;
    const dd = Math.sqrt([...r].reduce((a, x) => a + Math.min(x - target, 0) ** 2, 0) / r.length);
    expect(downsideDeviation(r, target)).toBeCloseTo(dd, 15);
    const m = [...r].reduce((a, b) => a + b, 0) / r.length;
    expect(sortinoRatio(r, 12, target)).toBeCloseTo(((m - target) / dd) * Math.sqrt(12), 12);
    expect(sortinoRatio(f64([]), 12)).toBeNull();
  });

  it('win/loss ratio needs a win and a loss', () => {
    expect(winLossRatio(f64([-0.1, -0.2]))).toBeNull();
    expect(winLossRatio(f64([0.1, 0.2]))).toBeNull();
    expect(winLossRatio(f64([0.1, 0.3, -0.1, 0]))).toBeCloseTo(0.2 / 0.1, 15);
  });

  it('CVaR averages the k + 1 worst, k = floor((n - 1)(1 - level)): 20 returns at 95% -> the worst alone', () => {
    const r = f64(Array.from({ length: 20 }, (_, i) => (i - 5) / 100)); // -0.05 .. 0.14
    expect(conditionalValueAtRisk(r, 0.95)).toBe(-0.05);
    expect(conditionalValueAtRisk(r, 0.9)).toBeCloseTo((-0.05 - 0.04) / 2, 15); // k = floor(1.9) = 1
  });

  it('turnover, trades and exposure on signed positions, as plain loops', () => {
    const pos = f64([0.5, 1, 1, 0, -1, -1]);
    let s = 0;
    let n = 0;
    let prev = 0;
    for (const p of pos) {
      s += Math.abs(p - prev);
      if (p !== prev) n++;
      prev = p;
    }
    expect(turnover(pos, 100)).toBeCloseTo((s / pos.length) * 100, 12); // s = 0.5 + 0.5 + 0 + 1 + 1 + 0 = 3
    expect(s).toBe(3);
    expect(tradeCount(pos)).toBe(n);
    expect(n).toBe(4);
    expect(exposure(pos)).toBeCloseTo(5 / 6, 15);
  });

  it('returnsMetrics: positions of another length refused, the VaR level honoured, reasons of empty and short series', () => {
    expect(() => returnsMetrics(f64([0.1, 0.2]), { periodsPerYear: 12 }, f64([1]))).toThrow(/positions \(1\) and returns \(2\) differ in length/);
    const r = f64(Array.from({ length: 20 }, (_, i) => (i - 5) / 100));
    const m = returnsMetrics(r, { periodsPerYear: 12, varLevel: 0.9 });
    expect([m.var_level, m.var, m.cvar]).toEqual([0.9, valueAtRisk(r, 0.9), conditionalValueAtRisk(r, 0.9)]);
    expect(m.var).not.toBe(valueAtRisk(r, 0.95));
    const empty = returnsMetrics(f64([]), { periodsPerYear: 12 });
    expect(empty.notes).toMatchObject({ cagr: 'no returns', annual_volatility: 'no returns', sharpe: 'no returns', sortino: 'no returns', calmar: 'no returns', win_loss_ratio: 'no returns', var: 'no returns', cvar: 'no returns', skewness: 'no returns' });
    const one = returnsMetrics(f64([0.1]), { periodsPerYear: 12 });
    expect(one.notes['annual_volatility']).toBe(one.notes['sharpe']);
    expect(one.notes['sharpe']).toBe('fewer than 2 returns');
    expect(one.notes['sharpe']).not.toMatch(/zero variance/);
    expect(one.notes['calmar']).toMatch(/never draws down/);
    expect(one.notes['win_loss_ratio']).toMatch(/at least one winning and one losing/);
  });
});
