/**
 * perpkit train, models list|show and backtest on the predictions, on the real bundled sample
 * (features + 1 h labels from 2026-03-01): walk-forward training, the predictions dataset (times,
 * windows, only test rows), the registry, the signal backtest trading `prediction`, deploy-if-better
 * retraining (idempotent, locked, scheduled, monitor-triggered), and the exit codes of bad input.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PerpkitError } from '../../src/domain/errors.js';
import { runBacktest } from '../../src/services/backtest.js';
import { runRetrain, runTrain, type TrainOptions } from '../../src/services/train/index.js';
import { readPredictions } from '../../src/services/train/predictions.js';
import { decisions, deployments, readManifest } from '../../src/services/train/registry.js';
import { ledgerRows } from '../../src/store/ledger.js';
import { buildWithCli, ROOT, runCli, testContext } from '../helpers.js';

/** The built CLI, asynchronously (runCli; PERPKIT_DATA_DIR is never inherited). */
const cli = (args: string[]): ReturnType<typeof runCli> => runCli(args);

let dir = '';
let modelId = '';
const H = 3_600_000_000;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'perpkit-train-'));
  cpSync(join(ROOT, 'data', 'sample'), dir, { recursive: true });
  await buildWithCli([
    ['features', '--from', '2026-03-01'],
    ['features', '--labels', '--from', '2026-03-01', '--horizons', '1h'],
    ['split', '--name', 'early', '--scheme', 'holdout', '--buffer', '2d', '--to', '2026-04-12'],
    ['split', '--name', 'demo', '--scheme', 'holdout', '--buffer', '2d'],
  ].map((args) => [...args, '--data-dir', dir, '--quiet']));
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const base = (over: Partial<TrainOptions> = {}): TrainOptions => ({
  root: dir,
  split: 'early',
  segments: ['train', 'validation'],
  kind: 'logistic',
  features: ['roc_1', 'roc_4', 'rsi_14', 'rv_24', 'funding_rate', 'dist_ma_24'],
  label: 'fwd_return_1h',
  target: 'sign',
  train_ms: 14 * 86_400_000,
  test_ms: 5 * 86_400_000,
  step_ms: 5 * 86_400_000,
  embargo_bars: 0,
  l2: 1,
  winsor: 0.01,
  neutral_quantile: 0.33,
  balance: false,
  trees: 20,
  max_depth: 3,
  eta: 0.1,
  latency_ms: 1500,
  ...over,
});

describe('perpkit train (real sample)', () => {
  it('trains walk-forward, writes the predictions and the registry, lists and shows the model', async () => {
    const r = await cli(['train', '--split', 'early', '--model', 'logistic', '--features', 'roc_1,roc_4,rsi_14,rv_24,funding_rate,dist_ma_24', '--train', '14d', '--test', '5d', '--inference-latency', '1500ms', '--data-dir', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    modelId = doc.model_id;
    expect(modelId).toMatch(/^logistic-[0-9a-f]{12}$/);
    expect(doc.windows.length).toBeGreaterThanOrEqual(3);
    const m = readManifest(dir, modelId);
    expect(m).toMatchObject({ kind: 'logistic', label: 'fwd_return_1h', target: 'sign', split: 'early', segments: ['train', 'validation'], status: 'trained', lineage: modelId, parent: null });
    expect(m.baseline_features).toEqual(['roc_1', 'roc_4', 'roc_24', 'rv_24', 'funding_rate']);
    for (const f of ['manifest.json', 'metrics.json', 'model.json']) expect(existsSync(join(dir, 'models', modelId, f)), f).toBe(true);
    // predictions: one per test row, decision time + 1.5 s, the window's own rows only
    const ctx = await testContext();
    const preds = await readPredictions(ctx, dir, modelId);
    expect(preds.length).toBe(doc.predictions.rows);
    expect(preds.length).toBe(doc.windows.reduce((a: number, w: { test_rows: number }) => a + w.test_rows, 0));
    for (const p of preds) expect(Number(p['available_time']) - Number(p['event_time'])).toBe(1_500_000);
    for (const w of doc.windows) {
      const inW = preds.filter((p) => p['window'] === w.window);
      expect(inW.length).toBe(w.test_rows);
      const from = Date.parse(w.test_from) * 1000;
      const to = Date.parse(w.test_to) * 1000;
      for (const p of inW) expect(Number(p['event_time']) >= from - 1 && Number(p['event_time']) < to + 1).toBe(true);
      // nothing used for training falls after the test start minus the 1 h purge
      expect(Date.parse(w.train_to) * 1000).toBeLessThanOrEqual(from - H + 1);
    }
    expect(preds.every((p) => Number(p['prediction']) > 0 && Number(p['prediction']) < 1)).toBe(true);
    // the same training again: same id, flagged as already in the registry
    const again = await runTrain(base(), ctx);
    expect(again.model_id).toBe(modelId);
    expect(again.existing).toBe(true);
    const list = await cli(['models', 'list', '--data-dir', dir]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(modelId);
    expect(list.stdout).toMatch(/trained/);
    const show = await cli(['models', 'show', modelId, '--data-dir', dir, '--json']);
    expect(show.code, show.stderr).toBe(0);
    const s = JSON.parse(show.stdout);
    expect(s.manifest.id).toBe(modelId);
    expect(s.metrics.windows.length).toBe(doc.windows.length);
    expect(s.metrics.stability.map((x: { feature: string }) => x.feature)).toEqual(m.features);
  }, 300_000);

  it('the predictions drive perpkit backtest --strategy signal --column prediction', async () => {
    expect(modelId).not.toBe('');
    const cfg = join(dir, 'signal.yaml');
    writeFileSync(cfg, 'strategy:\n  entry_long: 0.52\n  entry_short: 0.48\n  exit_long: 0.5\n  exit_short: 0.5\n');
    const r = await cli(['backtest', '--strategy', 'signal', '--column', 'prediction', '--signal-dataset', 'predictions', '--model-id', modelId, '--split', 'early', '--segment', 'validation', '--config', cfg, '--data-dir', dir, '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.manifest.strategy.params.column).toBe('prediction');
    expect(doc.manifest.predictions_model).toBe(modelId);
    expect(doc.metrics.fills).toBeGreaterThan(0);
    // without predictions the column does not exist: exit 4 naming it
    const no = await cli(['backtest', '--strategy', 'signal', '--column', 'prediction', '--split', 'early', '--data-dir', dir]);
    expect(no.code).toBe(4);
    expect(no.stderr).toMatch(/no column prediction/);
    const rerun = await cli(['backtest', '--rerun', doc.run_id, '--data-dir', dir, '--json', '--quiet']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(JSON.parse(rerun.stdout).identical).toBe(true);
  }, 300_000);

  it('--retrain: deploy-if-better on the same window, idempotent, scheduled, monitor-triggered, locked', async () => {
    expect(modelId).not.toBe('');
    const created = Date.parse(readManifest(dir, modelId).created_at);
    const ctx = await testContext(created + 30 * 86_400_000);
    // not due: 7 days have not passed since the model was trained
    const soon = await testContext(created + 86_400_000);
    const nd = await runRetrain({ root: dir, model_id: modelId, every_ms: 7 * 86_400_000 }, soon);
    expect(nd.decision.decision).toBe('not-due');
    expect(nd.decision.trigger).toEqual([]);
    // the monitor says critical: due; the newer split has more data
    const mon = join(dir, 'monitor.json');
    writeFileSync(mon, JSON.stringify({ status: 'critical' }));
    const r1 = await runRetrain({ root: dir, model_id: modelId, every_ms: 7 * 86_400_000, monitor_status: mon, overrides: { split: 'demo' } }, soon);
    expect(r1.decision.trigger).toEqual(['performance: monitor status critical']);
    expect(['deployed', 'rejected']).toContain(r1.decision.decision);
    const v = r1.decision.validation!;
    expect(v.metric).toBe('log_loss');
    expect(v.rows).toBeGreaterThan(30);
    expect(v.current).not.toBeNull();
    expect(v.candidate).not.toBeNull();
    // the decision follows the numbers (lower log loss wins)
    expect(r1.decision.decision).toBe(v.candidate! < v.current! ? 'deployed' : 'rejected');
    expect(r1.decision.reason).toContain(v.candidate!.toFixed(6));
    expect(r1.decision.reason).toContain(v.current!.toFixed(6));
    // the validation window starts no earlier than the current model's training end
    expect(Date.parse(v.from)).toBeGreaterThanOrEqual(Date.parse(readManifest(dir, modelId).final_training.to));
    const cand = readManifest(dir, r1.decision.candidate!);
    expect(cand).toMatchObject({ lineage: modelId, parent: modelId, split: 'demo', status: r1.decision.decision === 'deployed' ? 'deployed' : 'rejected' });
    if (r1.decision.decision === 'deployed') expect(deployments(dir)[modelId]?.model_id).toBe(cand.id);
    // cron re-runs it: the same decision, nothing new recorded
    const n = decisions(dir).length;
    const r2 = await runRetrain({ root: dir, model_id: modelId, every_ms: 7 * 86_400_000, overrides: { split: 'demo' } }, ctx);
    expect(r2.repeated).toBe(r1.decision.decision === 'rejected');
    if (r1.decision.decision === 'rejected') expect(decisions(dir).length).toBe(n);
    // a live lock holder: nothing done
    writeFileSync(join(dir, 'models', `.retrain-${modelId}.lock`), `${process.pid} ${(await import('node:os')).hostname()} ${created + 30 * 86_400_000}\n`);
    const locked = await runRetrain({ root: dir, model_id: modelId, every_ms: 1, force: true }, ctx);
    expect(locked.locked_by).toContain(String(process.pid));
    rmSync(join(dir, 'models', `.retrain-${modelId}.lock`));
    // the ledger has the decision
    const led = (await ledgerRows(ctx, dir, { kind: 'evaluation' })).filter((x) => x.command === 'train --retrain');
    expect(led.length).toBe(1);
    expect(JSON.parse(led[0]!.args)).toEqual({ model_id: modelId, current: modelId, candidate: r1.decision.candidate });
  }, 300_000);

  it('bad input: clear message and the right exit code', async () => {
    const cases: Array<[string[], number, RegExp]> = [
      [['train'], 2, /--split is required/],
      [['train', '--split', 'early', '--features', 'nope'], 2, /unknown feature or family "nope"/],
      [['train', '--retrain'], 2, /--retrain needs --model-id/],
      [['train', '--retrain', '--model-id', '../x'], 2, /bad model id/],
      [['backtest', '--strategy', 'signal', '--column', 'prediction', '--signal-dataset', 'predictions', '--split', 'early'], 2, /needs --model-id/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli([...args, '--data-dir', dir])));
    cases.forEach(([args, code, msg], i) => {
      const r = runs[i]!;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    });
    // the same kinds of errors in-process (a CLI spawn per case is slow on a shared machine)
    const ctx = await testContext();
    const bad = join(dir, 'bad-monitor.json');
    writeFileSync(bad, JSON.stringify({ status: 'on fire' }));
    const svc: Array<[() => Promise<unknown>, number, RegExp]> = [
      [() => runTrain(base({ features: [] }), ctx), 2, /no features to train on/],
      [() => runTrain(base({ label: 'fwd_return_4h' }), ctx), 4, /no label horizon 4h/],
      [() => runTrain(base({ split: 'nosuch' }), ctx), 4, /no split nosuch/],
      [() => runTrain(base({ segments: ['test'] }), ctx), 2, /sealed/],
      [() => runTrain(base({ train_ms: 300 * 86_400_000 }), ctx), 4, /not enough labelled rows/],
      [() => runRetrain({ root: dir, model_id: 'logistic-000000000000', every_ms: 1 }, ctx), 4, /no model logistic-000000000000/],
      [() => runRetrain({ root: dir, model_id: modelId, every_ms: 1, monitor_status: bad }, ctx), 2, /status must be one of healthy, warning, critical/],
      [() => runBacktest({ root: dir, strategy: 'signal', split: 'early', segment: 'validation', config: { strategy: { column: 'prediction' } }, predictions_model: 'logistic-000000000000' }, ctx), 4, /no predictions of model logistic-000000000000/],
    ];
    for (const [call, code, msg] of svc) {
      const err = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PerpkitError);
      expect((err as PerpkitError).exitCode, String(msg)).toBe(code);
      expect((err as PerpkitError).message).toMatch(msg);
    }
  }, 300_000);
});
