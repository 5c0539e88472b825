import { existsSync, readFileSync } from 'node:fs';
import { Flags } from '@oclif/core';
import { PerpkitCommand } from '../cli/base.js';
import { parseDuration, parseList, parseNumber } from '../cli/parse.js';
import { formatTable } from '../cli/table.js';
import { missingError, usageError } from '../domain/errors.js';
import { labelHorizon, MODEL_KINDS, resolveFeatures, TARGETS, TRAIN_DEFAULTS, type ModelKind, type Target } from '../domain/train.js';
import { parseSegments } from '../services/train/data.js';
import { runRetrain, runTrain, type RetrainResult, type TrainResult } from '../services/train/index.js';
import { checkModelId } from '../services/train/registry.js';

type Result = TrainResult | RetrainResult;

const f4 = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '' : v.toFixed(4));

export default class Train extends PerpkitCommand<Result> {
  static summary = 'Walk-forward training of an ML filter (logistic regression or XGBoost) beside a baseline; predictions dataset, model registry, deploy-if-better retraining.';
  static description = `Reads the features and labels of a split's segments (default train+validation; the sealed test
only with --unseal-test), and for each walk-forward window (--train, --test, --step) fits the model on
the window's training part only: winsorising, imputation and scaling statistics, the three-class
neutral band and class weights come from it; one label horizon (--purge) is purged before the test
window and --embargo bars left as a gap. The model predicts the test part. A baseline (logistic
regression on recent returns, volatility and funding) is fitted beside it on the same rows.

Writes the predictions dataset (event_time = decision time, available_time = decision time +
--inference-latency, model_id, window, prediction), stores the model under
<data-dir>/models/<id>/ (manifest, per-window metrics, importance, the deployable model fitted on
the latest training span) and appends a trial to the ledger. Prints per-window AUC, log loss,
rank IC and hit rate of model and baseline, and the lift with a t-test over windows.

--retrain --model-id ID (cron-safe: a lock per model line, idempotent): retrains when due (--every
days since the last decision, a --monitor-status file saying warning or critical, or --force), and
deploys the new model only if it beats the current one on the same validation window; otherwise it
is rejected with both numbers. Every decision goes to models/decisions.jsonl and the ledger.
Trade the predictions: perpkit backtest --strategy signal --signal-dataset predictions --model-id ID
--column prediction. See docs/models.md.`;

  static examples = [
    '<%= config.bin %> train --split demo --model logistic --features baseline,perp_spot --label fwd_return_1h',
    '<%= config.bin %> train --split w1 --model xgboost --features all --train 90d --test 30d --target three-class',
    '<%= config.bin %> train --retrain --model-id logistic-0123456789ab --every 7d --monitor-status monitor.json',
  ];

  static flags = {
    split: Flags.string({ description: 'Split whose segments are trained on (perpkit split --name ...).' }),
    segment: Flags.string({ description: 'Segments joined by +: train, validation, test (test needs --unseal-test).', default: 'train+validation' }),
    model: Flags.string({ description: 'Model kind.', options: [...MODEL_KINDS], default: TRAIN_DEFAULTS.model }),
    features: Flags.string({ description: 'Feature names and/or families (price, volume, derivatives, cross_asset, perp_spot, regime), baseline, all; or @FILE with one per line.', default: 'all' }),
    label: Flags.string({ description: 'Label: fwd_return_<horizon> of the labels dataset.', default: TRAIN_DEFAULTS.label }),
    target: Flags.string({ description: 'sign (P(up)), three-class (short/flat/long, neutral band from training), return.', options: [...TARGETS], default: TRAIN_DEFAULTS.target }),
    scheme: Flags.string({ description: 'Retraining scheme.', options: ['walk-forward'], default: 'walk-forward' }),
    train: Flags.string({ description: 'Training window of each walk-forward step, e.g. 90d.', default: '90d' }),
    test: Flags.string({ description: 'Test window of each step, e.g. 30d.', default: '30d' }),
    step: Flags.string({ description: 'Step between windows (default: --test).' }),
    purge: Flags.string({ description: 'Purge before each test window (default: the label horizon).' }),
    embargo: Flags.integer({ description: 'Embargo: decision bars left between training and test.', min: 0, default: TRAIN_DEFAULTS.embargo_bars }),
    l2: Flags.string({ description: 'L2 penalty of the logistic regression (standardised features).', default: String(TRAIN_DEFAULTS.l2) }),
    winsor: Flags.string({ description: 'Winsorising quantile fitted on the training part (0 = none).', default: String(TRAIN_DEFAULTS.winsor) }),
    'neutral-quantile': Flags.string({ description: 'three-class: neutral band = this quantile of |return| on the training part.', default: String(TRAIN_DEFAULTS.neutral_quantile) }),
    balance: Flags.boolean({ description: 'Weight classes to equal total weight (XGBoost: scale_pos_weight).', default: false }),
    trees: Flags.integer({ description: 'XGBoost: boosting rounds.', min: 1, max: 5000, default: TRAIN_DEFAULTS.xgb_trees }),
    'max-depth': Flags.integer({ description: 'XGBoost: tree depth.', min: 1, max: 16, default: TRAIN_DEFAULTS.xgb_depth }),
    eta: Flags.string({ description: 'XGBoost: learning rate.', default: String(TRAIN_DEFAULTS.xgb_eta) }),
    'tree-method': Flags.string({ description: 'XGBoost: split finding (hist is about 2x faster than exact).', options: ['exact', 'approx', 'hist'], default: TRAIN_DEFAULTS.xgb_tree_method }),
    'inference-latency': Flags.string({ description: 'Added to the decision time to give a prediction\'s available_time.', default: '1s' }),
    'unseal-test': Flags.boolean({ description: 'Allow the sealed test segment (recorded in the ledger).', default: false }),
    retrain: Flags.boolean({ description: 'Retrain --model-id when due and deploy only if better.', default: false }),
    'model-id': Flags.string({ description: '--retrain: the registered model (perpkit models list).' }),
    every: Flags.string({ description: '--retrain: schedule, e.g. 7d.', default: '7d' }),
    'monitor-status': Flags.string({ description: '--retrain: a JSON file {"status": "healthy|warning|critical"}; warning or critical triggers a retraining.' }),
    force: Flags.boolean({ description: '--retrain: retrain now whatever the schedule.', default: false }),
  };

  protected async execute(): Promise<Result> {
    const { flags } = await this.parse(Train);
    const root = this.dataDir(flags['data-dir']);
    if (flags.retrain) {
      if (!flags['model-id']) throw usageError('--retrain needs --model-id', { hint: 'pick one from "perpkit models list"' });
      checkModelId(flags['model-id']);
      const every = parseDuration('every', flags.every)!;
      const ctx = await this.context();
      return runRetrain({ root, model_id: flags['model-id'], every_ms: every, ...(flags['monitor-status'] ? { monitor_status: flags['monitor-status'] } : {}), force: flags.force, ...(flags.split ? { overrides: { split: flags.split } } : {}) }, ctx);
    }
    if (flags['model-id']) throw usageError('--model-id is for --retrain', { hint: 'add --retrain, or leave --model-id out to train a new model' });
    if (!flags.split) throw usageError('--split is required', { hint: 'create one with "perpkit split --name NAME --scheme holdout" and pass --split NAME' });
    let items: string[];
    if (flags.features.startsWith('@')) {
      const file = flags.features.slice(1);
      if (!existsSync(file)) throw missingError(`--features file ${file} does not exist`);
      items = readFileSync(file, 'utf8').split(/[\n,]/).map((s) => s.replace(/#.*/, '').trim()).filter((s) => s.length > 0);
      if (items.length === 0) throw usageError(`--features file ${file} lists no feature`, { hint: 'one feature or family name per line' });
    } else items = parseList(flags.features, 'features')!;
    const features = resolveFeatures(items);
    labelHorizon(flags.label);
    const train = parseDuration('train', flags.train)!;
    const test = parseDuration('test', flags.test)!;
    const step = flags.step === undefined ? test : parseDuration('step', flags.step)!;
    const purge = parseDuration('purge', flags.purge, { allowZero: true });
    const ctx = await this.context();
    return runTrain(
      {
        root,
        split: flags.split,
        segments: parseSegments(flags.segment),
        kind: flags.model as ModelKind,
        features,
        label: flags.label,
        target: flags.target as Target,
        train_ms: train,
        test_ms: test,
        step_ms: step,
        ...(purge !== undefined ? { purge_ms: purge } : {}),
        embargo_bars: flags.embargo,
        l2: parseNumber('l2', flags.l2, { min: 0 })!,
        winsor: parseNumber('winsor', flags.winsor, { min: 0, max: 0.5, maxExclusive: true })!,
        neutral_quantile: parseNumber('neutral-quantile', flags['neutral-quantile'], { min: 0, max: 1, minExclusive: true, maxExclusive: true })!,
        balance: flags.balance,
        trees: flags.trees,
        max_depth: flags['max-depth'],
        eta: parseNumber('eta', flags.eta, { min: 0, max: 1, minExclusive: true })!,
        tree_method: flags['tree-method'] as 'exact' | 'approx' | 'hist',
        latency_ms: parseDuration('inference-latency', flags['inference-latency'], { allowZero: true })!,
        unseal_test: flags['unseal-test'],
      },
      ctx,
    );
  }

  protected present(r: Result): void {
    if (r.mode === 'retrain') {
      const d = r.decision;
      const rows = [
        { item: 'decision', value: `${d.decision}${r.repeated ? ' (decided before; nothing new recorded)' : ''}` },
        { item: 'reason', value: d.reason },
        { item: 'trigger', value: d.trigger.join('; ') || 'none' },
        { item: 'current', value: d.current },
        { item: 'candidate', value: d.candidate ?? '' },
      ];
      process.stdout.write(formatTable(rows, ['item', 'value']));
      return;
    }
    process.stdout.write(`model ${r.model_id} (${r.manifest.kind}, ${r.manifest.target} on ${r.manifest.label}, ${r.manifest.features.length} features)${r.existing ? ' [already in the registry: same data, code and configuration]' : ''}\n`);
    process.stdout.write(
      formatTable(
        r.windows.map((w) => ({
          window: w.window,
          test: `${w.test_from.slice(0, 10)} -> ${w.test_to.slice(0, 10)}`,
          train_rows: w.train_rows,
          test_rows: w.test_rows,
          auc: f4(w.model.auc),
          base_auc: f4(w.baseline.auc),
          log_loss: f4(w.model.log_loss),
          base_log_loss: f4(w.baseline.log_loss),
          rank_ic: f4(w.model.rank_ic),
          base_rank_ic: f4(w.baseline.rank_ic),
          hit: f4(w.model.hit_rate),
          base_hit: f4(w.baseline.hit_rate),
        })),
      ),
    );
    process.stdout.write('\nlift over the baseline (model - baseline; log loss: baseline - model), t-test over windows\n');
    process.stdout.write(formatTable(r.lift.map((l) => ({ metric: l.metric, mean: f4(l.mean), t: f4(l.t), p_value: f4(l.p_value), windows_better: `${l.windows_better}/${l.per_window.length}`, significant: l.significant ? 'yes' : 'no' }))));
    const top = [...r.importance].sort((a, b) => Math.abs(b.mean) - Math.abs(a.mean)).slice(0, 10);
    process.stdout.write(`\nimportance (${r.importance_kind === 'coefficient' ? 'standardised coefficient; SE of the last window' : 'total gain'}), top ${top.length}, stability over windows\n`);
    process.stdout.write(formatTable(top.map((i) => ({ feature: i.feature, mean: f4(i.mean), sd: f4(i.sd), same_sign: f4(i.same_sign_share), last: f4(i.last), last_se: f4(i.last_se) }))));
    process.stdout.write(`\npredictions: ${r.predictions.rows} rows (available_time = decision + ${r.predictions.latency_ms} ms); registry: ${r.dir}\n`);
    for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
  }
}
