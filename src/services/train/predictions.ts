import { timestampValue } from '@duckdb/node-api';
import type { ServiceContext } from '../../domain/context.js';
import { DATASETS, type ColumnSpec, type DatasetName, type DatasetSpec } from '../../domain/datasets.js';
import { missingError } from '../../domain/errors.js';
import { datasetFiles, listOf, writeRows, type WriteResult } from '../../store/dataset.js';
import { execQuery, runQuery } from '../../store/queries.js';
import { tempName } from '../../store/read.js';
import type { Panel, WalkForwardResult } from './walkforward.js';

/**
 * The `predictions` dataset: one row per (model, symbol, decision time) of a walk-forward test
 * window. event_time = the decision time; available_time = decision time + the stated inference
 * latency (when a live system would have the prediction). Readers treat `prediction` like any
 * feature: the backtest joins it onto its decision rows (--signal-dataset predictions).
 */
export function predictionsSpec(): DatasetSpec {
  const clocks = DATASETS.bars.columns.filter((c) => ['event_time', 'available_time', 'source', 'ingest_time'].includes(c.name));
  const cols: ColumnSpec[] = [
    ...clocks.map((c) =>
      c.name === 'event_time'
        ? { ...c, doc: 'decision time the prediction is for, UTC' }
        : c.name === 'available_time'
          ? { ...c, doc: 'decision time + inference latency: when a live system would have the prediction' }
          : c,
    ),
    { name: 'model_id', type: 'VARCHAR', nullable: false, doc: 'registry id of the model run (models/<id>/)' },
    { name: 'window', type: 'BIGINT', nullable: false, doc: 'walk-forward window the prediction comes from (its model was fitted on that window\'s training part)' },
    { name: 'prediction', type: 'DOUBLE', nullable: false, doc: 'sign target: P(forward return > 0); three-class: P(long) - P(short); return: expected forward return (fraction)' },
    { name: 'baseline_prediction', type: 'DOUBLE', nullable: true, doc: 'the baseline model\'s prediction for the same row' },
  ];
  return {
    name: 'predictions' as DatasetName,
    doc: 'out-of-sample model predictions on the decision grid (perpkit train)',
    partitionKeys: ['venue', 'symbol', 'timeframe'],
    timeKey: 'month',
    columns: cols,
    naturalKey: ['venue', 'symbol', 'timeframe', 'model_id', 'event_time'],
  };
}

export async function writePredictions(
  ctx: ServiceContext,
  root: string,
  o: { venue: string; timeframe: string; model_id: string; latency_ms: number; version: string },
  panel: Panel,
  wf: WalkForwardResult,
): Promise<WriteResult> {
  const now = ctx.clock.now() * 1000;
  const rows: Array<Record<string, unknown>> = [];
  for (let r = 0; r < wf.rows.length; r++) {
    const i = wf.rows[r]!;
    const t = panel.time[i]!;
    const p = wf.prediction[r]!;
    if (!Number.isFinite(p)) continue;
    const b = wf.baseline[r]!;
    rows.push({
      venue: o.venue,
      symbol: panel.symbols[panel.sym[i]!]!,
      timeframe: o.timeframe,
      event_time: t,
      available_time: t + o.latency_ms * 1000,
      source: `perpkit train ${o.version}`,
      ingest_time: now,
      model_id: o.model_id,
      window: wf.window_of[r]!,
      prediction: p,
      baseline_prediction: Number.isFinite(b) ? b : null,
    });
  }
  return writeRows(ctx, { root, spec: predictionsSpec() }, rows);
}

/**
 * For the backtest: a temp table with the decision rows of `decisions` plus the `prediction` and
 * `baseline_prediction` of one model, joined on (symbol, decision time); a decision row's
 * available_time becomes the later of its own and the prediction's, so the engine never sees a
 * prediction before it existed. Rows without a prediction keep NULL (the signal strategy skips them).
 */
export async function joinPredictions(ctx: ServiceContext, root: string, decisions: string, scope: { venue: string; timeframe: string; symbols: string[]; model_id: string }): Promise<string> {
  const files = await datasetFiles(root, predictionsSpec(), { venue: [scope.venue], timeframe: [scope.timeframe], symbol: scope.symbols });
  if (files.length === 0) {
    throw missingError(`no predictions for ${scope.venue} ${scope.timeframe} under ${root}`, { hint: 'run "perpkit train --split NAME ..." first; it writes the predictions dataset' });
  }
  const [cnt] = await runQuery(ctx.db, 'train/predictions_count', { files: listOf(files), m: scope.model_id });
  if (Number(cnt?.['n'] ?? 0) === 0) {
    const ids = (await runQuery(ctx.db, 'train/prediction_models', { files: listOf(files) })).map((r) => String(r['model_id']));
    throw missingError(`no predictions of model ${scope.model_id}`, { hint: `models with predictions: ${ids.join(', ') || 'none'} (perpkit models list)` });
  }
  const out = tempName('decisions_pred');
  await execQuery(ctx.db, 'train/join_predictions', { files: listOf(files), m: scope.model_id }, { idents: { out, d: decisions } });
  return out;
}

/** Predictions of a model as rows (tests, research). */
export async function readPredictions(ctx: ServiceContext, root: string, model_id: string, from?: number): Promise<Array<Record<string, unknown>>> {
  const files = await datasetFiles(root, predictionsSpec());
  if (files.length === 0) return [];
  return runQuery(ctx.db, 'train/predictions_read', { files: listOf(files), m: model_id, from: from === undefined ? null : timestampValue(BigInt(from)) });
}
