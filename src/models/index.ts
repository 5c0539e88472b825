import type { ModelKind } from '../domain/train.js';
import { LogisticModel, type LogisticParams } from './logistic.js';
import type { Model, Objective, SerialisedModel } from './model.js';
import { createXGBoost, loadXGBoost, XGBoostModel, type XGBoostParams } from './xgboost.js';

export type { Design, Model, ModelDescription, Objective, SerialisedModel } from './model.js';
export { designFromColumns } from './model.js';

export interface ModelParams {
  logistic?: Partial<LogisticParams>;
  xgboost?: Partial<XGBoostParams>;
}

/** A fresh, unfitted model of a kind. */
export async function createModel(kind: ModelKind, objective: Objective, params: ModelParams = {}): Promise<Model> {
  if (kind === 'logistic') return new LogisticModel(objective, params.logistic);
  return createXGBoost(objective, params.xgboost);
}

/** Rebuilds a serialised model. */
export async function loadModel(s: SerialisedModel): Promise<Model> {
  if (s.kind === 'logistic') return LogisticModel.load(s);
  return XGBoostModel.load(await loadXGBoost(), s);
}
