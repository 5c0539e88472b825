/**
 * Probabilistic and deflated Sharpe ratios and the minimum track record length.
 *
 * References:
 * - D. H. Bailey, M. Lopez de Prado, "The Sharpe Ratio Efficient Frontier", Journal of Risk 15(2),
 *   2012: PSR and MinTRL.
 * - D. H. Bailey, M. Lopez de Prado, "The Deflated Sharpe Ratio: Correcting for Selection Bias,
 *   Backtest Overfitting and Non-Normality", Journal of Portfolio Management 40(5), 2014: DSR and
 *   the expected maximum Sharpe ratio of N trials.
 *
 * Every Sharpe ratio here is PER PERIOD (not annualised): mean / std of the per-period returns.
 * Convert annualised values with `deannualiseSharpe` / `deannualiseSharpeVariance` first. Skewness
 * is the moment skewness gamma_3 and kurtosis is RAW gamma_4 (3 for normal returns), not excess.
 */
import { normCdf, normQuantile } from './normal.js';

/** Euler-Mascheroni constant gamma. */
export const EULER_MASCHERONI = 0.5772156649015329;

/** Per-period Sharpe from an annualised one: SR_ann / sqrt(periods per year). */
export function deannualiseSharpe(annualSharpe: number, periodsPerYear: number): number {
  return annualSharpe / Math.sqrt(periodsPerYear);
}

/** Per-period variance of Sharpe ratios from the variance of annualised ones: V_ann / periods per year. */
export function deannualiseSharpeVariance(annualVariance: number, periodsPerYear: number): number {
  return annualVariance / periodsPerYear;
}

/** Shape of the returns behind a Sharpe ratio. */
export interface SharpeMoments {
  /** per-period Sharpe ratio */
  sharpe: number;
  /** number of returns T the Sharpe ratio was estimated on */
  observations: number;
  /** moment skewness gamma_3 of the returns; default 0 */
  skewness?: number;
  /** RAW kurtosis gamma_4 of the returns (3 = normal); default 3 */
  kurtosis?: number;
}

/**
 * Variance factor of the Sharpe estimator under non-normal returns (Mertens 2002, as used by Bailey
 * and Lopez de Prado): 1 - gamma_3 SR + (gamma_4 - 1) / 4 SR^2. The estimator's standard error is
 * sqrt(factor / (T - 1)).
 */
export function sharpeVarianceFactor(sharpe: number, skewness = 0, kurtosis = 3): number {
  return 1 - skewness * sharpe + ((kurtosis - 1) / 4) * sharpe * sharpe;
}

/**
 * Probabilistic Sharpe ratio: the probability that the true Sharpe exceeds `benchmark` (per period),
 *   PSR(SR*) = Phi( (SR - SR*) sqrt(T - 1) / sqrt(1 - gamma_3 SR + (gamma_4 - 1)/4 SR^2) ).
 * null when T < 2 or the variance factor is not positive (possible only for extreme skew/kurtosis
 * inputs), where the statistic is undefined.
 */
export function probabilisticSharpeRatio(m: SharpeMoments, benchmark = 0): number | null {
  const factor = sharpeVarianceFactor(m.sharpe, m.skewness ?? 0, m.kurtosis ?? 3);
  if (!(m.observations >= 2) || !(factor > 0) || !Number.isFinite(m.sharpe)) return null;
  return normCdf(((m.sharpe - benchmark) * Math.sqrt(m.observations - 1)) / Math.sqrt(factor));
}

/**
 * Expected maximum of N Sharpe ratio estimates whose true value is 0 and whose variance across trials
 * is `variance` (Bailey and Lopez de Prado 2014, eq. for SR_0, from extreme value theory):
 *   E[max SR] = sqrt(V) ((1 - gamma) Phi^-1(1 - 1/N) + gamma Phi^-1(1 - 1/(N e))),
 * gamma the Euler-Mascheroni constant. Defined as 0 for N = 1 (one trial: no selection). Units are
 * those of `variance` (per-period variance gives a per-period Sharpe).
 */
export function expectedMaxSharpe(trials: number, variance: number): number {
  if (!(trials >= 1) || !Number.isFinite(trials)) throw new RangeError(`trials must be >= 1, got ${trials}`);
  if (!(variance >= 0)) throw new RangeError(`variance of the trials' Sharpe ratios must be >= 0, got ${variance}`);
  if (trials === 1) return 0;
  return (
    Math.sqrt(variance) *
    ((1 - EULER_MASCHERONI) * normQuantile(1 - 1 / trials) + EULER_MASCHERONI * normQuantile(1 - 1 / (trials * Math.E)))
  );
}

/** Inputs of the deflated Sharpe ratio, all per period. */
export interface DeflatedSharpeInput extends SharpeMoments {
  /** number of independent trials N the strategy was selected from */
  trials: number;
  /** variance of the per-period Sharpe ratios across the trials */
  trialsSharpeVariance: number;
}

export interface DeflatedSharpeResult {
  /** DSR: probability that the true Sharpe exceeds the expected maximum of N unskilled trials; null if undefined */
  dsr: number | null;
  /** E[max SR] of the trials, per period: the benchmark SR* of the PSR */
  expected_max_sharpe: number;
  /** (SR - SR*) sqrt(T - 1) / sqrt(variance factor); null if undefined */
  z: number | null;
}

/** Deflated Sharpe ratio: PSR against the expected maximum Sharpe of the trials (Bailey and Lopez de Prado 2014). */
export function deflatedSharpeRatio(input: DeflatedSharpeInput): DeflatedSharpeResult {
  const sr0 = expectedMaxSharpe(input.trials, input.trialsSharpeVariance);
  const factor = sharpeVarianceFactor(input.sharpe, input.skewness ?? 0, input.kurtosis ?? 3);
  const ok = input.observations >= 2 && factor > 0 && Number.isFinite(input.sharpe);
  const z = ok ? ((input.sharpe - sr0) * Math.sqrt(input.observations - 1)) / Math.sqrt(factor) : null;
  return { dsr: z === null ? null : normCdf(z), expected_max_sharpe: sr0, z };
}

/**
 * Minimum track record length (Bailey and Lopez de Prado 2012): the number of returns needed for the
 * observed per-period `sharpe` to exceed `benchmark` with probability `confidence`,
 *   MinTRL = 1 + (1 - gamma_3 SR + (gamma_4 - 1)/4 SR^2) (Phi^-1(confidence) / (SR - SR*))^2.
 * null when SR <= SR* (no track record is long enough) or the variance factor is not positive.
 */
export function minTrackRecordLength(
  m: Omit<SharpeMoments, 'observations'>,
  benchmark = 0,
  confidence = 0.95,
): number | null {
  const factor = sharpeVarianceFactor(m.sharpe, m.skewness ?? 0, m.kurtosis ?? 3);
  if (!(m.sharpe > benchmark) || !(factor > 0)) return null;
  const z = normQuantile(confidence) / (m.sharpe - benchmark);
  return 1 + factor * z * z;
}
