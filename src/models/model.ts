import type { ModelKind } from '../domain/train.js';

/**
 * The one model interface of perpkit train: fit, predict, serialise, describe. Models see
 * already-prepared numbers (scaled, winsorised, imputed on the training part by
 * services/train/prepare.ts): a dense row-major design without NaN.
 */

/** A dense row-major design matrix: rows x cols, no NaN. */
export interface Design {
  rows: number;
  cols: number;
  data: Float64Array;
}

/**
 * binary: y in {0, 1}, predict gives P(y = 1); regression: y real, predict gives E[y];
 * three-class: y in {0 = short, 1 = flat, 2 = long}, predict gives P(long) - P(short).
 */
export type Objective = 'binary' | 'regression' | 'three-class';

export interface FitOptions {
  /** per-row weights (class balancing); default 1 */
  weights?: Float64Array;
}

export interface FeatureImportance {
  feature: string;
  /** logistic: the coefficient on the standardised feature; trees: total gain of its splits */
  value: number;
  /** logistic: standard error of the coefficient; trees: null */
  se: number | null;
}

export interface ModelDescription {
  kind: ModelKind;
  objective: Objective;
  /** what `value` of the importance means */
  importance_kind: 'coefficient' | 'gain';
  importance: FeatureImportance[];
  /** logistic: intercept and its SE; iterations of IRLS */
  intercept?: { value: number; se: number };
  iterations?: number;
  params: Record<string, unknown>;
}

/** A model as JSON: enough to rebuild it with loadModel (models/index.ts). */
export interface SerialisedModel {
  kind: ModelKind;
  objective: Objective;
  params: Record<string, unknown>;
  state: unknown;
}

export interface Model {
  readonly kind: ModelKind;
  readonly objective: Objective;
  fit(X: Design, y: Float64Array, o?: FitOptions): void;
  predict(X: Design): Float64Array;
  serialise(): SerialisedModel;
  describe(features: readonly string[]): ModelDescription;
  /** frees native memory (XGBoost's wasm heap); a no-op for JS models */
  dispose(): void;
}

/** Builds a Design from columns (each of length rows). */
export function designFromColumns(cols: readonly Float64Array[], rows: number): Design {
  const k = cols.length;
  const data = new Float64Array(rows * k);
  for (let j = 0; j < k; j++) {
    const c = cols[j]!;
    for (let i = 0; i < rows; i++) data[i * k + j] = c[i]!;
  }
  return { rows, cols: k, data };
}
