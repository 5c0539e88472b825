import { FEATURE_FAMILIES, FEATURE_NAMES, FEATURES } from './features.js';
import { usageError } from './errors.js';

/**
 * perpkit train: model kinds, targets, the baseline feature stack and the defaults of the
 * walk-forward retraining (services/train/). Pure: no I/O.
 */

export const MODEL_KINDS = ['logistic', 'xgboost'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];

/**
 * sign: 1 when the forward return > 0 (the model predicts P(up)); three-class: short / flat / long
 * with a neutral band |return| <= band (band = a quantile of |return| on the training part only;
 * the prediction is P(long) - P(short)); return: the forward return itself (least squares / squared error).
 */
export const TARGETS = ['sign', 'three-class', 'return'] as const;
export type Target = (typeof TARGETS)[number];

/** The baseline stack (issue 18): recent returns, volatility and funding. */
export const BASELINE_FEATURES = ['roc_1', 'roc_4', 'roc_24', 'rv_24', 'funding_rate'] as const;

export const TRAIN_DEFAULTS = {
  model: 'logistic' as ModelKind,
  target: 'sign' as Target,
  label: 'fwd_return_1h',
  /** walk-forward train / test / step windows */
  train_ms: 90 * 86_400_000,
  test_ms: 30 * 86_400_000,
  /** embargo after the purge, in decision bars */
  embargo_bars: 0,
  /** L2 penalty of the logistic regression on standardised features (intercept not penalised) */
  l2: 1,
  /** winsorising quantiles fitted on the training part */
  winsor: 0.01,
  /** three-class neutral band: this quantile of |return| on the training part */
  neutral_quantile: 0.33,
  /** inference latency added to the decision time to give a prediction's available_time */
  inference_latency_ms: 1000,
  /** gradient-boosted trees */
  xgb_trees: 200,
  xgb_depth: 4,
  xgb_eta: 0.1,
  xgb_tree_method: 'hist' as 'exact' | 'approx' | 'hist',
  /** retraining: schedule */
  retrain_every_ms: 7 * 86_400_000,
  /** a retraining lock older than this is taken over (a crashed run) */
  lock_stale_ms: 6 * 3_600_000,
} as const;

/** Horizon of a label name fwd_return_<h> (e.g. fwd_return_1h -> 1h). */
export function labelHorizon(label: string): string {
  const m = /^fwd_return_(\d+(?:m|h|d))$/.exec(label);
  if (!m) throw usageError(`bad --label ${JSON.stringify(label)}`, { hint: 'use fwd_return_<horizon> with a horizon stored in the labels dataset, e.g. fwd_return_1h or fwd_return_4h', details: { flag: 'label', value: label, accepted: 'fwd_return_<horizon>, e.g. fwd_return_1h' } });
  return m[1]!;
}

/**
 * --features: a comma list of feature names and/or family names (price, volume, ...), "all",
 * "baseline", or (handled by the command) a file with one name per line.
 */
export function resolveFeatures(items: readonly string[]): string[] {
  const out: string[] = [];
  const add = (n: string): void => {
    if (!out.includes(n)) out.push(n);
  };
  for (const it of items) {
    if (it === 'all') FEATURE_NAMES.forEach(add);
    else if (it === 'baseline') BASELINE_FEATURES.forEach(add);
    else if ((FEATURE_FAMILIES as readonly string[]).includes(it)) FEATURES.filter((f) => f.family === it).forEach((f) => add(f.name));
    else if (FEATURE_NAMES.includes(it)) add(it);
    else {
      throw usageError(`unknown feature or family ${JSON.stringify(it)} in --features`, {
        hint: `use feature names (perpkit features --list), families (${FEATURE_FAMILIES.join(', ')}), baseline or all`,
        details: { flag: 'features', value: it },
      });
    }
  }
  return out;
}
