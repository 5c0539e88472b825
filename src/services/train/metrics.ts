import { spearman } from '../../stats/descriptive.js';

/**
 * Out-of-sample scores of a prediction against the realised forward return: AUC of the score for
 * "return > 0" (ties count half), log loss of a probability of "return > 0" (binary target only),
 * rank IC (Spearman correlation of score and return), hit rate (share of rows with a nonzero
 * return where the score is on the return's side of its neutral point: 0.5 for a probability, 0
 * otherwise).
 */

export interface Scores {
  n: number;
  auc: number | null;
  log_loss: number | null;
  rank_ic: number | null;
  hit_rate: number | null;
}

/** AUC by the rank-sum (Mann-Whitney) formula with mid-ranks for ties. */
export function auc(score: Float64Array, positive: Uint8Array): number | null {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!);
  const rank = new Float64Array(n);
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && score[order[j + 1]!] === score[order[i]!]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) rank[order[k]!] = mid;
    i = j + 1;
  }
  let nPos = 0;
  let sumPos = 0;
  for (let i = 0; i < n; i++) if (positive[i]) {
    nPos++;
    sumPos += rank[i]!;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  return (sumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Mean negative log-likelihood of y in {0,1} under probabilities p (clipped to [1e-15, 1 - 1e-15]). */
export function logLoss(p: Float64Array, y: Uint8Array): number | null {
  if (p.length === 0) return null;
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(1 - 1e-15, Math.max(1e-15, p[i]!));
    s -= y[i] ? Math.log(q) : Math.log(1 - q);
  }
  return s / p.length;
}

export function hitRate(score: Float64Array, ret: Float64Array, center: number): number | null {
  let n = 0;
  let hit = 0;
  for (let i = 0; i < score.length; i++) {
    const r = ret[i]!;
    const s = score[i]! - center;
    if (r === 0) continue;
    n++;
    if ((r > 0 && s > 0) || (r < 0 && s < 0)) hit++;
  }
  return n ? hit / n : null;
}

/** All scores; `probability` says the score is P(return > 0) (log loss is defined). */
export function scorePredictions(score: Float64Array, ret: Float64Array, probability: boolean): Scores {
  const up = Uint8Array.from(ret, (r) => (r > 0 ? 1 : 0));
  const ic = score.length >= 3 ? spearman(score, ret) : NaN;
  return {
    n: score.length,
    auc: auc(score, up),
    log_loss: probability ? logLoss(score, up) : null,
    rank_ic: Number.isFinite(ic) ? ic : null,
    hit_rate: hitRate(score, ret, probability ? 0.5 : 0),
  };
}

export interface LiftSummary {
  metric: string;
  /** per window: model minus baseline (log loss: baseline minus model, so > 0 is better everywhere) */
  per_window: Array<number | null>;
  mean: number | null;
  /** t statistic of the mean over windows (sd with ddof 1) */
  t: number | null;
  /** one-sided p-value of "the model is better": Student t with (windows - 1) degrees of freedom */
  p_value: number | null;
  windows_better: number;
  significant: boolean;
}

/** Lift of the model over the baseline across windows, with a one-sided t-test at `alpha`. */
export function liftSummary(metric: string, diffs: Array<number | null>, alpha = 0.05): LiftSummary {
  const v = diffs.filter((x): x is number => x !== null && Number.isFinite(x));
  const n = v.length;
  const mean = n ? v.reduce((a, b) => a + b, 0) / n : null;
  let t: number | null = null;
  if (n >= 2 && mean !== null) {
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    t = sd > 0 ? mean / (sd / Math.sqrt(n)) : null;
  }
  const p = t === null ? null : studentTSf(t, n - 1);
  return { metric, per_window: diffs, mean, t, p_value: p, windows_better: v.filter((x) => x > 0).length, significant: p !== null && p < alpha };
}

/** ln Gamma (Lanczos, g = 7). */
function lnGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0]!;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the regularised incomplete beta (Numerical Recipes betacf). */
function betacf(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a - 1 + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + 1 + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** Regularised incomplete beta I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const bt = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (bt * betacf(a, b, x)) / a : 1 - (bt * betacf(b, a, 1 - x)) / b;
}

/** P(T > t) for Student's t with df degrees of freedom. */
export function studentTSf(t: number, df: number): number {
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? tail : 1 - tail;
}
