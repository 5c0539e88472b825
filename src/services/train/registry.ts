import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isSlug } from '../../domain/datasets.js';
import { missingError, usageError, validationError } from '../../domain/errors.js';
import type { ModelKind, Target } from '../../domain/train.js';
import type { SerialisedModel } from '../../models/index.js';
import { sha256 } from '../../store/ledger.js';
import { tryLockFile } from '../../store/lockfile.js';
import type { Preprocessor } from './prepare.js';

/**
 * The model registry: <data-dir>/models/<id>/ with manifest.json (what was trained on what),
 * metrics.json (per-window scores, lift, importance) and model.json (the deployable model and its
 * training statistics). The id is a content key: kind, feature-list hash, label, target, training
 * range, data hash, code version and parameters; re-running the same training gives the same id.
 * models/deployments.json names the deployed model of each lineage; models/decisions.jsonl holds
 * every retraining decision (append-only).
 */

export interface ModelManifest {
  id: string;
  kind: ModelKind;
  created_at: string;
  perpkit_version: string;
  code_version: string;
  /** the first model of its retraining line (its own id for a first training) */
  lineage: string;
  /** the model a retraining started from, else null */
  parent: string | null;
  status: 'trained' | 'deployed' | 'rejected' | 'retired';
  features: string[];
  features_hash: string;
  baseline_features: string[];
  label: string;
  target: Target;
  split: string;
  segments: string[];
  venue: string;
  timeframe: string;
  symbols: string[];
  /** decision times the walk-forward covered, and the deployable model's training range, ISO */
  range: { from: string; to: string };
  final_training: { from: string; to: string; rows: number };
  data_hashes: Record<string, string>;
  data_hash: string;
  /** the resolved training configuration (enough to retrain) */
  config: Record<string, unknown>;
  windows: number;
}

export interface ModelFile {
  final: SerialisedModel;
  preprocessor: Preprocessor;
  neutral_band: number | null;
}

export interface Decision {
  at: string;
  lineage: string;
  key: string;
  current: string;
  candidate: string | null;
  decision: 'deployed' | 'rejected' | 'not-due';
  reason: string;
  trigger: string[];
  validation?: { from: string; to: string; rows: number; metric: string; current: number | null; candidate: number | null };
}

const ID_RE = /^(logistic|xgboost)-[0-9a-f]{12}$/;

export const modelsDir = (root: string): string => join(root, 'models');
export const modelDir = (root: string, id: string): string => join(modelsDir(root), id);

export { codeVersion, perpkitVersion } from '../backtest.js';

export function modelId(key: { kind: ModelKind; features_hash: string; label: string; target: Target; range: { from: string; to: string }; data_hash: string; code_version: string; config: unknown }): string {
  return `${key.kind}-${sha256(key).slice(0, 12)}`;
}

export function checkModelId(id: string): void {
  if (!ID_RE.test(id) || !isSlug(id)) {
    throw usageError(`bad model id ${JSON.stringify(id)}`, { hint: 'model ids look like logistic-0123456789ab; list them with "perpkit models list"', details: { flag: 'model-id', value: id } });
  }
}

function writeJsonAtomic(path: string, doc: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Stores a model: files written into a staging folder, then renamed into place (all or nothing). */
export function saveModel(root: string, manifest: ModelManifest, metrics: unknown, model: ModelFile): string {
  const dir = modelDir(root, manifest.id);
  const stage = `${dir}.staging-${process.pid}`;
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  writeFileSync(join(stage, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(stage, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);
  writeFileSync(join(stage, 'model.json'), `${JSON.stringify(model)}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(stage, dir);
  return dir;
}

export function readManifest(root: string, id: string): ModelManifest {
  checkModelId(id);
  const p = join(modelDir(root, id), 'manifest.json');
  if (!existsSync(p)) throw missingError(`no model ${id} in ${modelsDir(root)}`, { hint: 'list the models with "perpkit models list"' });
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as ModelManifest;
  } catch (err) {
    throw validationError(`model ${id}: manifest.json is not valid JSON (${(err as Error).message})`, { hint: `retrain it or remove ${modelDir(root, id)}` });
  }
}

export function readJson<T>(root: string, id: string, file: 'metrics.json' | 'model.json'): T {
  const p = join(modelDir(root, id), file);
  if (!existsSync(p)) throw missingError(`model ${id} has no ${file}`, { hint: `retrain it or remove ${modelDir(root, id)}` });
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}

export function setStatus(root: string, id: string, status: ModelManifest['status']): void {
  const m = readManifest(root, id);
  writeJsonAtomic(join(modelDir(root, id), 'manifest.json'), { ...m, status });
}

export function listModels(root: string): ModelManifest[] {
  const dir = modelsDir(root);
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((d) => ID_RE.test(d) && existsSync(join(dir, d, 'manifest.json')))
    .map((d) => readManifest(root, d))
    .sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id.localeCompare(b.id));
}

export function deployments(root: string): Record<string, { model_id: string; at: string }> {
  const p = join(modelsDir(root), 'deployments.json');
  if (!existsSync(p)) return {};
  return JSON.parse(readFileSync(p, 'utf8')) as Record<string, { model_id: string; at: string }>;
}

export function deploy(root: string, lineage: string, id: string, at: string): void {
  const d = deployments(root);
  const prev = d[lineage]?.model_id;
  d[lineage] = { model_id: id, at };
  writeJsonAtomic(join(modelsDir(root), 'deployments.json'), d);
  if (prev && prev !== id && existsSync(modelDir(root, prev))) setStatus(root, prev, 'retired');
  setStatus(root, id, 'deployed');
}

export function decisions(root: string): Decision[] {
  const p = join(modelsDir(root), 'decisions.jsonl');
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8')
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as Decision);
}

export function appendDecision(root: string, d: Decision): void {
  mkdirSync(modelsDir(root), { recursive: true });
  appendFileSync(join(modelsDir(root), 'decisions.jsonl'), `${JSON.stringify(d)}\n`);
}

/**
 * The retraining lock of a lineage: models/.retrain-<lineage>.lock created exclusively. A lock left
 * by a process that is gone (same host) or older than staleMs is taken over. Returns null when a
 * live process holds it (the caller reports and exits: cron runs overlap harmlessly).
 */
export function tryLock(root: string, lineage: string, nowMs: number, staleMs: number): { release: () => void } | { held_by: string } {
  mkdirSync(modelsDir(root), { recursive: true });
  const attempt = tryLockFile(join(modelsDir(root), `.retrain-${lineage}.lock`), { nowMs, staleMs });
  return attempt.lock ?? { held_by: attempt.held_by };
}
