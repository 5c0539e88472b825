/**
 * Performance metrics of a series of simple (arithmetic) per-period returns, as fractions
 * (0.01 = +1 %), one value per bar, in time order. Inputs must be finite (drop missing bars first).
 *
 * Definitions follow empyrical (Quantopian, github.com/quantopian/empyrical, `empyrical/stats.py`)
 * where it defines the metric; each function says where it departs. Annualisation uses a 24/7
 * calendar of 365 days: periods per year = 365 * 24 * 3600 / bar seconds (8,760 for hourly bars,
 * 525,600 for one-minute bars), never 252 x 24 (perpetual futures trade every day).
 *
 * Functions return `null` where the metric is undefined (empty series, zero variance, no losses);
 * `RETURNS_NULL_REASONS` words each case for reports.
 */
import { mean, std, skewness, kurtosis, sorted, percentileSorted } from './descriptive.js';

/** Seconds in the 365-day year of a market that trades every day. */
export const SECONDS_PER_YEAR = 365 * 24 * 3600;

/** Periods per year of bars of `barSeconds` on a 24/7, 365-day calendar (3600 s -> 8,760). */
export function periodsPerYearFromBarSeconds(barSeconds: number): number {
  if (!(barSeconds > 0) || !Number.isFinite(barSeconds)) throw new RangeError(`bar length must be > 0 seconds, got ${barSeconds}`);
  return SECONDS_PER_YEAR / barSeconds;
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/**
 * Seconds of a timeframe like "1m", "5m", "1h", "4h", "1d", "1w" (ccxt style). null if not
 * recognised.
 */
export function timeframeSeconds(timeframe: string): number | null {
  const m = /^(\d+)([smhdw])$/.exec(timeframe.trim());
  if (!m) return null;
  const unit = UNIT_SECONDS[m[2]!];
  const count = Number(m[1]);
  if (unit === undefined || !(count > 0)) return null;
  return count * unit;
}

/** Per-period rate equivalent to an annual rate compounded over `periodsPerYear` periods. */
export function perPeriodRate(annualRate: number, periodsPerYear: number): number {
  return Math.expm1(Math.log1p(annualRate) / periodsPerYear);
}

/** Total compounded return: prod(1 + r_t) - 1. 0 for an empty series. */
export function totalReturn(r: Float64Array): number {
  let growth = 1;
  for (let i = 0; i < r.length; i++) growth *= 1 + r[i]!;
  return growth - 1;
}

/**
 * Compound annual growth rate: (1 + total return)^(periodsPerYear / n) - 1 (empyrical
 * `annual_return`, "cagr"). -1 when the series loses everything; null for an empty series.
 */
export function cagr(r: Float64Array, periodsPerYear: number): number | null {
  if (r.length === 0) return null;
  const growth = 1 + totalReturn(r);
  if (growth <= 0) return -1;
  return Math.pow(growth, periodsPerYear / r.length) - 1;
}

/**
 * Annualised volatility: std(r, ddof 1) * sqrt(periodsPerYear) (empyrical `annual_volatility`).
 * null for fewer than 2 returns.
 */
export function annualVolatility(r: Float64Array, periodsPerYear: number): number | null {
  if (r.length < 2) return null;
  return std(r, 1) * Math.sqrt(periodsPerYear);
}

/**
 * Sharpe ratio, annualised: mean(r - rf) / std(r - rf, ddof 1) * sqrt(periodsPerYear) (empyrical
 * `sharpe_ratio`), with rf the per-period equivalent of `riskFreeAnnual` (default 0). It is the mean
 * over the standard deviation, not CAGR over volatility. null for fewer than 2 returns or zero
 * variance.
 */
export function sharpeRatio(r: Float64Array, periodsPerYear: number, riskFreeAnnual = 0): number | null {
  const per = periodSharpe(r, riskFreeAnnual === 0 ? 0 : perPeriodRate(riskFreeAnnual, periodsPerYear));
  return per === null ? null : per * Math.sqrt(periodsPerYear);
}

/**
 * Non-annualised (per-period) Sharpe ratio: mean(r - rf) / std(r, ddof 1), the SR that PSR, DSR and
 * MinTRL take. null for fewer than 2 returns or zero variance.
 */
export function periodSharpe(r: Float64Array, riskFreePerPeriod = 0): number | null {
  if (r.length < 2) return null;
  const s = std(r, 1);
  if (!(s > 0)) return null;
  return (mean(r) - riskFreePerPeriod) / s;
}

/**
 * Downside deviation per period against `target`: sqrt(mean(min(r - target, 0)^2)), the mean taken
 * over ALL periods, not only the losing ones (empyrical `downside_risk`, before annualisation).
 */
export function downsideDeviation(r: Float64Array, target = 0): number {
  if (r.length === 0) return Number.NaN;
  let s = 0;
  for (let i = 0; i < r.length; i++) {
    const d = Math.min(r[i]! - target, 0);
    s += d * d;
  }
  return Math.sqrt(s / r.length);
}

/**
 * Sortino ratio, annualised: mean(r - target) / downsideDeviation(r, target) * sqrt(periodsPerYear)
 * (empyrical `sortino_ratio`; target 0 by default). null when no period is below the target (the
 * ratio is unbounded) or the series is empty.
 */
export function sortinoRatio(r: Float64Array, periodsPerYear: number, target = 0): number | null {
  if (r.length === 0) return null;
  const dd = downsideDeviation(r, target);
  if (!(dd > 0)) return null;
  return ((mean(r) - target) / dd) * Math.sqrt(periodsPerYear);
}

/**
 * Drawdown after each period: equity_t / max(equity_0..equity_t) - 1, where equity starts at 1
 * before the first return and compounds (so a first-period loss is a drawdown, as in empyrical
 * `max_drawdown`, which prepends the starting value). Every value is <= 0.
 */
export function drawdownSeries(r: Float64Array): Float64Array {
  const out = new Float64Array(r.length);
  let equity = 1;
  let peak = 1;
  for (let i = 0; i < r.length; i++) {
    equity *= 1 + r[i]!;
    if (equity > peak) peak = equity;
    out[i] = Math.min(0, equity / peak - 1);
  }
  return out;
}

/** Maximum drawdown: the most negative value of `drawdownSeries` (empyrical `max_drawdown`); 0 if none, never positive. */
export function maxDrawdown(r: Float64Array): number {
  const dd = drawdownSeries(r);
  let m = 0;
  for (let i = 0; i < dd.length; i++) if (dd[i]! < m) m = dd[i]!;
  return m;
}

/** One drawdown episode: a maximal run of periods below the running peak. Indices are into the returns. */
export interface DrawdownEpisode {
  /** first period below the peak */
  start: number;
  /** last period below the peak (the series end if not recovered) */
  end: number;
  /** deepest drawdown of the episode, fraction, < 0 */
  depth: number;
  /** number of periods below the peak */
  length: number;
  /** false when the series ends before equity regains its peak */
  recovered: boolean;
}

/** The drawdown episodes of the series, in time order. */
export function drawdownEpisodes(r: Float64Array): DrawdownEpisode[] {
  const dd = drawdownSeries(r);
  const episodes: DrawdownEpisode[] = [];
  let start = -1;
  let depth = 0;
  for (let i = 0; i <= dd.length; i++) {
    const under = i < dd.length && dd[i]! < 0;
    if (under) {
      if (start < 0) {
        start = i;
        depth = 0;
      }
      if (dd[i]! < depth) depth = dd[i]!;
    } else if (start >= 0) {
      episodes.push({ start, end: i - 1, depth, length: i - start, recovered: i < dd.length });
      start = -1;
    }
  }
  return episodes;
}

/**
 * Maximum drawdown duration: the longest episode, in periods spent below the previous peak
 * (counted up to the last period if it has not recovered). 0 if the series never draws down.
 */
export function maxDrawdownDuration(r: Float64Array): number {
  let m = 0;
  for (const e of drawdownEpisodes(r)) if (e.length > m) m = e.length;
  return m;
}

/**
 * Average drawdown: the mean depth (trough) of the drawdown episodes, <= 0; 0 when there is none.
 * (Not the mean of the drawdown series over all periods, which mixes depth with duration.)
 */
export function averageDrawdown(r: Float64Array): number {
  const eps = drawdownEpisodes(r);
  if (eps.length === 0) return 0;
  let s = 0;
  for (const e of eps) s += e.depth;
  return s / eps.length;
}

/**
 * Calmar ratio: CAGR / |max drawdown| (empyrical `calmar_ratio`). null when the series never draws
 * down (empyrical gives NaN) or is empty.
 */
export function calmarRatio(r: Float64Array, periodsPerYear: number): number | null {
  const mdd = maxDrawdown(r);
  const g = cagr(r, periodsPerYear);
  if (g === null || !(mdd < 0)) return null;
  return g / -mdd;
}

/**
 * Hit rate: share of winning periods among periods with a non-zero return, #(r > 0) / #(r != 0).
 * Zero returns (flat, no position) count neither as hits nor as misses. null when every return is 0.
 */
export function hitRate(r: Float64Array): number | null {
  let wins = 0;
  let nonzero = 0;
  for (let i = 0; i < r.length; i++) {
    if (r[i]! > 0) wins++;
    if (r[i]! !== 0) nonzero++;
  }
  return nonzero === 0 ? null : wins / nonzero;
}

/** Profit factor: sum of positive returns / |sum of negative returns|. null when there is no losing period. */
export function profitFactor(r: Float64Array): number | null {
  let gains = 0;
  let losses = 0;
  for (let i = 0; i < r.length; i++) {
    if (r[i]! > 0) gains += r[i]!;
    else if (r[i]! < 0) losses -= r[i]!;
  }
  return losses > 0 ? gains / losses : null;
}

/**
 * Win/loss ratio (payoff ratio): mean positive return / |mean negative return|. null when there is
 * no winning or no losing period.
 */
export function winLossRatio(r: Float64Array): number | null {
  let gains = 0;
  let nw = 0;
  let losses = 0;
  let nl = 0;
  for (let i = 0; i < r.length; i++) {
    if (r[i]! > 0) {
      gains += r[i]!;
      nw++;
    } else if (r[i]! < 0) {
      losses -= r[i]!;
      nl++;
    }
  }
  return nw > 0 && nl > 0 ? gains / nw / (losses / nl) : null;
}

/**
 * Historical value at risk at `level` (0.95): the (1 - level) percentile of the returns with
 * numpy's linear interpolation, as a return (negative = loss), per period (empyrical
 * `value_at_risk(cutoff=0.05)`). null for an empty series.
 */
export function valueAtRisk(r: Float64Array, level = 0.95): number | null {
  if (r.length === 0) return null;
  return percentileSorted(sorted(r), 1 - level);
}

/**
 * Historical conditional value at risk (expected shortfall) at `level` (0.95): the mean of the
 * k + 1 smallest returns, k = floor((n - 1)(1 - level)), as a per-period return (empyrical
 * `conditional_value_at_risk(cutoff=0.05)`). null for an empty series.
 */
export function conditionalValueAtRisk(r: Float64Array, level = 0.95): number | null {
  if (r.length === 0) return null;
  const xs = sorted(r);
  const k = Math.floor((xs.length - 1) * (1 - level));
  let s = 0;
  for (let i = 0; i <= k; i++) s += xs[i]!;
  return s / (k + 1);
}

/**
 * Annualised turnover: mean |pos_t - pos_{t-1}| * periodsPerYear, in multiples of capital per year,
 * with pos_{-1} = 0 (the initial entry counts). `positions` holds the position over each period as
 * a signed fraction of capital (1 = fully long). null for an empty series.
 */
export function turnover(positions: Float64Array, periodsPerYear: number): number | null {
  if (positions.length === 0) return null;
  let prev = 0;
  let s = 0;
  for (let i = 0; i < positions.length; i++) {
    s += Math.abs(positions[i]! - prev);
    prev = positions[i]!;
  }
  return (s / positions.length) * periodsPerYear;
}

/** Number of trades: periods whose position differs from the previous one (pos_{-1} = 0). */
export function tradeCount(positions: Float64Array): number {
  let prev = 0;
  let n = 0;
  for (let i = 0; i < positions.length; i++) {
    if (positions[i]! !== prev) n++;
    prev = positions[i]!;
  }
  return n;
}

/** Exposure: share of periods with a non-zero position. null for an empty series. */
export function exposure(positions: Float64Array): number | null {
  if (positions.length === 0) return null;
  let n = 0;
  for (let i = 0; i < positions.length; i++) if (positions[i]! !== 0) n++;
  return n / positions.length;
}

/** Options of `returnsMetrics`. */
export interface ReturnsMetricsOptions {
  /** periods per year, 24/7 calendar (8,760 for hourly bars) */
  periodsPerYear: number;
  /** annual risk-free rate, fraction; default 0 */
  riskFreeAnnual?: number;
  /** confidence level of VaR/CVaR; default 0.95 */
  varLevel?: number;
}

/** Every metric of a returns series. Nulls are explained in `notes`. */
export interface ReturnsMetrics {
  /** number of returns */
  observations: number;
  periods_per_year: number;
  risk_free_annual: number;
  /** fraction */
  total_return: number;
  /** fraction per year */
  cagr: number | null;
  /** fraction per year */
  annual_volatility: number | null;
  /** annualised, mean / std (ddof 1) * sqrt(periods per year) */
  sharpe: number | null;
  /** annualised, downside deviation against 0 over all periods */
  sortino: number | null;
  calmar: number | null;
  /** fraction, <= 0 */
  max_drawdown: number;
  /** periods */
  max_drawdown_duration: number;
  /** fraction, <= 0, mean trough of the drawdown episodes */
  average_drawdown: number;
  /** share of winning periods among non-zero periods */
  hit_rate: number | null;
  profit_factor: number | null;
  win_loss_ratio: number | null;
  /** per-period return at the 5 % tail (level 0.95), historical */
  var: number | null;
  /** per-period mean return beyond the VaR, historical */
  cvar: number | null;
  var_level: number;
  /** moment skewness g1 */
  skewness: number | null;
  /** RAW kurtosis (3 for a normal distribution) */
  kurtosis: number | null;
  /** kurtosis - 3 */
  excess_kurtosis: number | null;
  /** annualised, multiples of capital; null without positions */
  turnover: number | null;
  /** null without positions */
  trades: number | null;
  /** share of periods with a position; null without positions */
  exposure: number | null;
  /** why a field is null, by field name */
  notes: Record<string, string>;
}

/** Why each metric can be null, in report wording. */
export const RETURNS_NULL_REASONS = {
  empty: 'no returns',
  short: 'fewer than 2 returns',
  zeroVariance: 'returns have zero variance (ratio undefined)',
  noDownside: 'no return below the target 0 (ratio unbounded)',
  noDrawdown: 'the series never draws down (ratio unbounded)',
  allZero: 'every return is 0 (no winning or losing period)',
  noLoss: 'no losing period (ratio unbounded)',
  noWinOrLoss: 'needs at least one winning and one losing period',
  noPositions: 'no position column given',
} as const;

/** Computes every metric; `positions` (same length as `r`) enables turnover, trades and exposure. */
export function returnsMetrics(r: Float64Array, options: ReturnsMetricsOptions, positions?: Float64Array): ReturnsMetrics {
  const ppy = options.periodsPerYear;
  const rf = options.riskFreeAnnual ?? 0;
  const level = options.varLevel ?? 0.95;
  if (positions && positions.length !== r.length) {
    throw new RangeError(`positions (${positions.length}) and returns (${r.length}) differ in length`);
  }
  const notes: Record<string, string> = {};
  const why = <T>(field: string, v: T | null, reason: string): T | null => {
    if (v === null) notes[field] = reason;
    return v;
  };
  const n = r.length;
  const shortReason = n === 0 ? RETURNS_NULL_REASONS.empty : RETURNS_NULL_REASONS.short;
  const sk = skewness(r);
  const ku = kurtosis(r);
  const momentReason = n < 2 ? shortReason : RETURNS_NULL_REASONS.zeroVariance;
  return {
    observations: n,
    periods_per_year: ppy,
    risk_free_annual: rf,
    total_return: totalReturn(r),
    cagr: why('cagr', cagr(r, ppy), RETURNS_NULL_REASONS.empty),
    annual_volatility: why('annual_volatility', annualVolatility(r, ppy), shortReason),
    sharpe: why('sharpe', sharpeRatio(r, ppy, rf), momentReason),
    sortino: why('sortino', sortinoRatio(r, ppy), n === 0 ? shortReason : RETURNS_NULL_REASONS.noDownside),
    calmar: why('calmar', calmarRatio(r, ppy), n === 0 ? shortReason : RETURNS_NULL_REASONS.noDrawdown),
    max_drawdown: maxDrawdown(r),
    max_drawdown_duration: maxDrawdownDuration(r),
    average_drawdown: averageDrawdown(r),
    hit_rate: why('hit_rate', hitRate(r), n === 0 ? shortReason : RETURNS_NULL_REASONS.allZero),
    profit_factor: why('profit_factor', profitFactor(r), n === 0 ? shortReason : RETURNS_NULL_REASONS.noLoss),
    win_loss_ratio: why('win_loss_ratio', winLossRatio(r), n === 0 ? shortReason : RETURNS_NULL_REASONS.noWinOrLoss),
    var: why('var', valueAtRisk(r, level), RETURNS_NULL_REASONS.empty),
    cvar: why('cvar', conditionalValueAtRisk(r, level), RETURNS_NULL_REASONS.empty),
    var_level: level,
    skewness: why('skewness', Number.isFinite(sk) ? sk : null, momentReason),
    kurtosis: why('kurtosis', Number.isFinite(ku) ? ku : null, momentReason),
    excess_kurtosis: why('excess_kurtosis', Number.isFinite(ku) ? ku - 3 : null, momentReason),
    turnover: why('turnover', positions ? turnover(positions, ppy) : null, positions ? shortReason : RETURNS_NULL_REASONS.noPositions),
    trades: why('trades', positions ? tradeCount(positions) : null, RETURNS_NULL_REASONS.noPositions),
    exposure: why('exposure', positions ? exposure(positions) : null, positions ? shortReason : RETURNS_NULL_REASONS.noPositions),
    notes,
  };
}
