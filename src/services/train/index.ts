import { existsSync, readFileSync } from 'node:fs';
import type { ServiceContext } from '../../domain/context.js';
import { timeframeSeconds } from '../../domain/datasets.js';
import { missingError, usageError } from '../../domain/errors.js';
import { isoMicros } from '../../domain/split.js';
import { BASELINE_FEATURES, labelHorizon, TRAIN_DEFAULTS, type ModelKind, type Target } from '../../domain/train.js';
import { loadModel, type ModelParams } from '../../models/index.js';
import { appendLedger, sha256 } from '../../store/ledger.js';
import { loadPanel } from './data.js';
import { scorePredictions } from './metrics.js';
import { applyPreprocessor } from './prepare.js';
import { writePredictions } from './predictions.js';
import {
  appendDecision,
  codeVersion,
  decisions,
  deploy,
  deployments,
  modelDir,
  modelId,
  perpkitVersion,
  readJson,
  readManifest,
  saveModel,
  setStatus,
  tryLock,
  type Decision,
  type ModelFile,
  type ModelManifest,
} from './registry.js';
import { fitFinal, fitPredict, walkForwardTrain, type Panel, type WalkForwardConfig, type WalkForwardResult } from './walkforward.js';

/**
 * perpkit train: walk-forward retraining of a model and its baseline on the segments of a split,
 * the predictions dataset, the registry entry and a ledger trial; and --retrain: deploy-if-better
 * retraining of a registered model, cron-safe.
 */

export interface TrainConfig {
  split: string;
  segments: string[];
  kind: ModelKind;
  features: string[];
  label: string;
  target: Target;
  train_ms: number;
  test_ms: number;
  step_ms: number;
  /** purge before each test window; default: the label horizon */
  purge_ms?: number;
  embargo_bars: number;
  l2: number;
  winsor: number;
  neutral_quantile: number;
  balance: boolean;
  trees: number;
  max_depth: number;
  eta: number;
  /** XGBoost split finding (default hist) */
  tree_method?: 'exact' | 'approx' | 'hist';
  latency_ms: number;
}

export interface TrainOptions extends TrainConfig {
  root: string;
  unseal_test?: boolean;
  /** retraining: the model this one retrains */
  parent?: ModelManifest;
}

export interface WindowRow {
  window: number;
  train_from: string;
  train_to: string;
  train_rows: number;
  purged_rows: number;
  test_from: string;
  test_to: string;
  test_rows: number;
  neutral_band: number | null;
  model: ReturnType<typeof scorePredictions>;
  baseline: ReturnType<typeof scorePredictions>;
}

export interface TrainResult {
  mode: 'train';
  model_id: string;
  dir: string;
  manifest: ModelManifest;
  windows: WindowRow[];
  lift: WalkForwardResult['lift'];
  importance: Array<{ feature: string; mean: number; sd: number; same_sign_share: number; last: number; last_se: number | null }>;
  importance_kind: 'coefficient' | 'gain';
  predictions: { rows: number; latency_ms: number };
  warnings: string[];
  /** the model was already in the registry (same data, code and configuration) */
  existing: boolean;
}

const iso = (us: number): string => isoMicros(us);

function wfConfig(c: TrainConfig, timeframe: string): WalkForwardConfig {
  const horizonMs = durationOfHorizon(labelHorizon(c.label));
  const params: ModelParams = {
    logistic: { l2: c.l2 },
    xgboost: { trees: c.trees ?? TRAIN_DEFAULTS.xgb_trees, max_depth: c.max_depth ?? TRAIN_DEFAULTS.xgb_depth, eta: c.eta ?? TRAIN_DEFAULTS.xgb_eta, tree_method: c.tree_method ?? TRAIN_DEFAULTS.xgb_tree_method },
  };
  return {
    kind: c.kind,
    target: c.target,
    features: c.features,
    baseline_features: [...BASELINE_FEATURES],
    train_us: c.train_ms * 1000,
    test_us: c.test_ms * 1000,
    step_us: c.step_ms * 1000,
    purge_us: (c.purge_ms ?? horizonMs) * 1000,
    embargo_us: c.embargo_bars * timeframeSeconds(timeframe) * 1_000_000,
    winsor: c.winsor,
    neutral_quantile: c.neutral_quantile,
    balance: c.balance,
    params,
  };
}

function durationOfHorizon(h: string): number {
  const m = /^(\d+)(m|h|d)$/.exec(h)!;
  return Number(m[1]) * (m[2] === 'm' ? 60_000 : m[2] === 'h' ? 3_600_000 : 86_400_000);
}

/** The configuration that defines a model (its id): settings of the other model kind left out. */
export function configOf(o: TrainOptions): TrainConfig {
  const { root: _r, unseal_test: _u, parent: _p, ...c } = o;
  void _r;
  void _u;
  void _p;
  const out: Record<string, unknown> = { ...c };
  if (c.kind === 'logistic') for (const k of ['trees', 'max_depth', 'eta', 'tree_method']) delete out[k];
  return out as unknown as TrainConfig;
}

interface Trained {
  result: TrainResult;
  panel: Panel;
  cfg: WalkForwardConfig;
}

async function trainCore(o: TrainOptions, ctx: ServiceContext): Promise<Trained> {
  if (o.features.length === 0) throw usageError('no features to train on', { hint: 'give --features names, families, baseline or all' });
  const config = configOf(o);
  const horizon = labelHorizon(o.label);
  const wanted = [...new Set([...o.features, ...BASELINE_FEATURES])];
  const loaded = await loadPanel({ root: o.root, split: o.split, segments: o.segments, features: wanted, horizon, unseal_test: o.unseal_test ?? false, command: 'train', args: { split: o.split, segments: o.segments, model: o.kind, label: o.label } }, ctx);
  const { panel, split } = loaded;
  const warnings: string[] = [];
  if (loaded.absent.length) warnings.push(`features not in the features dataset (all missing, imputed to the training median = constant): ${loaded.absent.join(', ')}`);
  if (loaded.repeated_look) warnings.push('the sealed test segment was read before: a repeated look');
  const cfg = wfConfig(config, split.timeframe);
  ctx.log.progress(`train: ${panel.time.length} rows x ${o.features.length} features, ${o.kind} (${o.target}) on ${o.label}, windows ${o.train_ms / 86_400_000}d/${o.test_ms / 86_400_000}d`);
  const wf = await walkForwardTrain(panel, cfg, (m) => ctx.log.progress(m), ctx.signal);
  if (wf.windows.length === 0) {
    const span = panel.time.length ? (panel.time[panel.time.length - 1]! - panel.time[0]!) / 86_400_000_000 : 0;
    throw missingError(`not enough labelled rows for one walk-forward window: --train ${o.train_ms / 86_400_000}d + --test needs more than the ${span.toFixed(1)} days of segments ${o.segments.join('+')} of split ${o.split}`, {
      hint: 'use a shorter --train/--test, or a split over a longer range',
    });
  }
  let lastLabel = -Infinity;
  for (const a of panel.label_avail) if (Number.isFinite(a) && a > lastLabel) lastLabel = a;
  const finalFit = await fitFinal(panel, cfg, lastLabel + 1);
  const features_hash = sha256(o.features).slice(0, 16);
  const data_hash = sha256({ inputs: loaded.data_hashes, segments: o.segments, split: split.name }).slice(0, 16);
  const code_version = codeVersion();
  const range = { from: iso(wf.windows[0]!.test.from), to: iso(wf.windows[wf.windows.length - 1]!.test.to) };
  const id = modelId({ kind: o.kind, features_hash, label: o.label, target: o.target, range, data_hash, code_version, config });
  const existing = existsSync(modelDir(o.root, id));
  const now = new Date(ctx.clock.now()).toISOString();
  const manifest: ModelManifest = {
    id,
    kind: o.kind,
    created_at: existing ? readManifest(o.root, id).created_at : now,
    perpkit_version: perpkitVersion(),
    code_version,
    lineage: o.parent?.lineage ?? id,
    parent: o.parent?.id ?? null,
    status: existing ? readManifest(o.root, id).status : 'trained',
    features: o.features,
    features_hash,
    baseline_features: [...BASELINE_FEATURES],
    label: o.label,
    target: o.target,
    split: split.name,
    segments: o.segments,
    venue: split.venue,
    timeframe: split.timeframe,
    symbols: split.symbols,
    range,
    final_training: { from: iso(finalFit.from), to: iso(finalFit.to), rows: finalFit.rows },
    data_hashes: loaded.data_hashes,
    data_hash,
    config: config as unknown as Record<string, unknown>,
    windows: wf.windows.length,
  };
  if (existing && readManifest(o.root, id).parent !== null) {
    manifest.lineage = readManifest(o.root, id).lineage;
    manifest.parent = readManifest(o.root, id).parent;
  }
  const windows: WindowRow[] = wf.windows.map((w) => ({
    window: w.index,
    train_from: iso(w.train.from),
    train_to: iso(w.train.to),
    train_rows: w.train.rows,
    purged_rows: w.train.purged_rows,
    test_from: iso(w.test.from),
    test_to: iso(w.test.to),
    test_rows: w.test.rows,
    neutral_band: w.neutral_band,
    model: w.model,
    baseline: w.baseline,
  }));
  const last = wf.windows[wf.windows.length - 1]!;
  const importance = wf.stability.map((s, j) => ({ ...s, last: last.importance[j]!.value, last_se: last.importance[j]!.se }));
  const metrics = {
    windows,
    lift: wf.lift,
    importance_kind: last.importance_kind,
    importance_per_window: wf.windows.map((w) => ({ window: w.index, importance: w.importance })),
    stability: importance,
    preprocessing: wf.windows.map((w) => ({ window: w.index, ...w.preprocessor })),
  };
  const modelFile: ModelFile = { final: finalFit.serialised, preprocessor: finalFit.preprocessor, neutral_band: finalFit.band };
  const dir = saveModel(o.root, manifest, metrics, modelFile);
  const written = await writePredictions(ctx, o.root, { venue: split.venue, timeframe: split.timeframe, model_id: id, latency_ms: o.latency_ms, version: perpkitVersion() }, panel, wf);
  await appendLedger(ctx, o.root, {
    kind: 'evaluation',
    command: 'train',
    args: { model_id: id, ...config },
    config,
    data_hashes: loaded.data_hashes,
    split_name: split.name,
    segment: o.segments.join('+'),
    detail: { model_id: id, windows: wf.windows.length, lift: wf.lift.map((l) => ({ metric: l.metric, mean: l.mean, p_value: l.p_value })) },
  });
  return {
    result: {
      mode: 'train',
      model_id: id,
      dir,
      manifest,
      windows,
      lift: wf.lift,
      importance,
      importance_kind: last.importance_kind,
      predictions: { rows: written.rows_in, latency_ms: o.latency_ms },
      warnings,
      existing,
    },
    panel,
    cfg,
  };
}

export async function runTrain(o: TrainOptions, ctx: ServiceContext): Promise<TrainResult> {
  return (await trainCore(o, ctx)).result;
}

// ---- retraining --------------------------------------------------------------------------------

export interface RetrainOptions {
  root: string;
  model_id: string;
  /** retrain when the last decision (or the current model) is at least this old */
  every_ms: number;
  /** a monitor status JSON file ({"status": "healthy" | "warning" | "critical"}); warning/critical trigger */
  monitor_status?: string;
  force?: boolean;
  /** overrides of the stored configuration (a newer split, say) */
  overrides?: Partial<TrainConfig>;
}

export interface RetrainResult {
  mode: 'retrain';
  decision: Decision;
  /** the decision was taken before for the same current model and candidate: nothing new recorded */
  repeated: boolean;
  /** another retraining of the lineage holds the lock: nothing done */
  locked_by?: string;
  candidate?: TrainResult;
}

export const MONITOR_STATUSES = ['healthy', 'warning', 'critical'] as const;

export function readMonitorStatus(path: string): (typeof MONITOR_STATUSES)[number] | null {
  if (!existsSync(path)) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw usageError(`--monitor-status ${path} is not valid JSON: ${(err as Error).message}`, { hint: 'the file holds {"status": "healthy" | "warning" | "critical"} (perpkit monitor writes it)' });
  }
  const s = (doc as { status?: unknown } | null)?.status;
  if (typeof s !== 'string' || !(MONITOR_STATUSES as readonly string[]).includes(s)) {
    throw usageError(`--monitor-status ${path}: status must be one of ${MONITOR_STATUSES.join(', ')}, got ${JSON.stringify(s)}`, { hint: 'the file holds {"status": "healthy" | "warning" | "critical"}' });
  }
  return s as (typeof MONITOR_STATUSES)[number];
}

export async function runRetrain(o: RetrainOptions, ctx: ServiceContext): Promise<RetrainResult> {
  const named = readManifest(o.root, o.model_id);
  const lineage = named.lineage;
  const deployedId = deployments(o.root)[lineage]?.model_id;
  const current = deployedId && deployedId !== named.id ? readManifest(o.root, deployedId) : named;
  if (current.id !== named.id) ctx.log.warn(`model ${named.id} is not the deployed model of its line; retraining against the deployed ${current.id}`);
  const nowMs = ctx.clock.now();
  const at = new Date(nowMs).toISOString();
  const lock = tryLock(o.root, lineage, nowMs, TRAIN_DEFAULTS.lock_stale_ms);
  if ('held_by' in lock) {
    ctx.log.warn(`another retraining of ${lineage} is running (lock held by ${lock.held_by}); nothing done`);
    return { mode: 'retrain', decision: { at, lineage, key: '', current: current.id, candidate: null, decision: 'not-due', reason: `locked by ${lock.held_by}`, trigger: [] }, repeated: false, locked_by: lock.held_by };
  }
  try {
    const past = decisions(o.root).filter((d) => d.lineage === lineage);
    const lastDecided = [...past].reverse().find((d) => d.decision !== 'not-due');
    const since = Date.parse(lastDecided?.at ?? current.created_at);
    const trigger: string[] = [];
    if (o.force) trigger.push('forced');
    if (nowMs - since >= o.every_ms) trigger.push(`schedule: ${((nowMs - since) / 86_400_000).toFixed(1)} days since ${lastDecided ? 'the last retraining decision' : 'the current model was trained'} (every ${o.every_ms / 86_400_000} days)`);
    if (o.monitor_status) {
      const s = readMonitorStatus(o.monitor_status);
      if (s === null) ctx.log.warn(`--monitor-status ${o.monitor_status} does not exist; no performance trigger`);
      else if (s !== 'healthy') trigger.push(`performance: monitor status ${s}`);
    }
    if (trigger.length === 0) {
      const d: Decision = { at, lineage, key: sha256({ lineage, current: current.id, not_due: since }), current: current.id, candidate: null, decision: 'not-due', reason: `not due: ${((nowMs - since) / 86_400_000).toFixed(1)} of ${o.every_ms / 86_400_000} days, monitor ${o.monitor_status ? 'healthy or absent' : 'not given'}`, trigger };
      appendDecision(o.root, d);
      return { mode: 'retrain', decision: d, repeated: false };
    }
    const base = { ...(current.config as unknown as TrainConfig), ...(o.overrides ?? {}) };
    const trained = await trainCore({ ...base, root: o.root, parent: current }, ctx);
    const cand = trained.result.manifest;
    const key = sha256({ lineage, current: current.id, candidate: cand.id });
    const before = past.find((d) => d.key === key && d.decision !== 'not-due');
    if (before) return { mode: 'retrain', decision: before, repeated: true, candidate: trained.result };
    if (cand.id === current.id) {
      const d: Decision = { at, lineage, key, current: current.id, candidate: cand.id, decision: 'not-due', reason: 'no new data, code or configuration since the current model: the retrained model is the current one', trigger };
      appendDecision(o.root, d);
      return { mode: 'retrain', decision: d, repeated: false, candidate: trained.result };
    }
    const v = await compare(o.root, current, trained.panel, trained.cfg);
    const fmt = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(6));
    const what = `${v.metric} on ${v.from} -> ${v.to} (${v.rows} rows): candidate ${fmt(v.candidate)}, current ${fmt(v.current)}`;
    const decision: Decision = {
      at,
      lineage,
      key,
      current: current.id,
      candidate: cand.id,
      decision: v.better ? 'deployed' : 'rejected',
      reason: v.better ? `deployed: the candidate beats the current model, ${what}` : v.current === null ? `rejected: too little validation data after the current model's training (${v.rows} rows)` : `rejected: the candidate does not beat the current model, ${what}`,
      trigger,
      validation: { from: v.from, to: v.to, rows: v.rows, metric: v.metric, current: v.current, candidate: v.candidate },
    };
    if (v.better) deploy(o.root, lineage, cand.id, at);
    else setStatus(o.root, cand.id, 'rejected');
    appendDecision(o.root, decision);
    await appendLedger(ctx, o.root, {
      kind: 'evaluation',
      command: 'train --retrain',
      args: { model_id: o.model_id, current: current.id, candidate: cand.id },
      config: base,
      data_hashes: cand.data_hashes,
      split_name: cand.split,
      segment: cand.segments.join('+'),
      detail: decision,
    });
    return { mode: 'retrain', decision, repeated: false, candidate: trained.result };
  } finally {
    lock.release();
  }
}

/**
 * Deploy-if-better on one validation window: the last test-window span of the data, starting no
 * earlier than the end of the current model's training. The candidate is the same recipe fitted on
 * the training span just before that window (purged); the current model predicts it as stored.
 * Lower log loss (sign target) or higher rank IC (otherwise) wins; ties keep the current model.
 */
async function compare(root: string, current: ModelManifest, panel: Panel, cfg: WalkForwardConfig): Promise<{ from: string; to: string; rows: number; metric: string; current: number | null; candidate: number | null; better: boolean }> {
  const currentEnd = Date.parse(current.final_training.to) * 1000;
  let lastT = -Infinity;
  for (let i = 0; i < panel.time.length; i++) if (Number.isFinite(panel.ret[i]!)) lastT = Math.max(lastT, panel.time[i]!);
  const v1 = lastT + 1;
  const v0 = Math.max(v1 - cfg.test_us, currentEnd);
  const val: number[] = [];
  const train: number[] = [];
  const gap = cfg.purge_us + cfg.embargo_us;
  for (let i = 0; i < panel.time.length; i++) {
    const t = panel.time[i]!;
    if (!Number.isFinite(panel.ret[i]!)) continue;
    if (t >= v0 && t < v1) val.push(i);
    else if (t >= v0 - gap - cfg.train_us && t < v0 - gap && panel.label_avail[i]! <= v0) train.push(i);
  }
  const metric = cfg.target === 'sign' ? 'log_loss' : 'rank_ic';
  const out = { from: iso(v0), to: iso(v1), rows: val.length, metric };
  if (val.length < 30 || train.length < 10) return { ...out, current: null, candidate: null, better: false };
  const valIdx = Int32Array.from(val);
  const ret = Float64Array.from(valIdx, (i) => panel.ret[i]!);
  const fIdx = cfg.features.map((f) => panel.features.indexOf(f));
  const cand = await fitPredict(panel, cfg.kind, cfg.target, fIdx, Int32Array.from(train), valIdx, { winsor: cfg.winsor, neutral_quantile: cfg.neutral_quantile, balance: cfg.balance, params: cfg.params });
  const file = readJson<ModelFile>(root, current.id, 'model.json');
  const curFeatures = current.features.map((f) => panel.features.indexOf(f));
  if (curFeatures.some((j) => j < 0)) throw missingError(`the data has no column for some features of model ${current.id}`, { hint: 'rebuild the features' });
  const model = await loadModel(file.final);
  let curPred: Float64Array;
  try {
    curPred = model.predict(applyPreprocessor(file.preprocessor, curFeatures.map((j) => panel.cols[j]!), valIdx));
  } finally {
    model.dispose();
  }
  const prob = cfg.target === 'sign';
  const sc = scorePredictions(cand.prediction, ret, prob);
  const cc = scorePredictions(curPred, ret, prob);
  const c = metric === 'log_loss' ? sc.log_loss : sc.rank_ic;
  const k = metric === 'log_loss' ? cc.log_loss : cc.rank_ic;
  const better = c !== null && k !== null && (metric === 'log_loss' ? c < k : c > k);
  return { ...out, current: k, candidate: c, better };
}
