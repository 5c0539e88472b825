/**
 * Benchmark of walk-forward retraining (services/train/walkforward.ts) on the shape of W1 at the
 * 1h grid: 5 symbols x one year of hourly decisions (43,800 rows) x the 60 catalog features, a
 * planted effect on three of them, 1 h labels; 12 windows (90 d train, 23 d test, purge 1 h), the
 * logistic regression and 200-tree XGBoost (depth 4, hist with 64 bins), each with its baseline. The panel is
 * generated in memory (no feature build: that has its own bench), so this times the training,
 * preprocessing, prediction and scoring only.
 *
 * Run: npm run bench -- train [-- logistic|xgboost]   (writes bench/results/train.json)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BASELINE_FEATURES } from '../src/domain/train.js';
import { FEATURE_NAMES } from '../src/domain/features.js';
import { walkForwardTrain, type Panel, type WalkForwardConfig } from '../src/services/train/walkforward.js';
import { normalArray } from '../src/stats/random.js';

const H = 3_600_000_000;
const D = 24 * H;
const SYMBOLS = 5;
const HOURS = 365 * 24;
const TARGETS_S: Record<string, number> = { logistic: 5, xgboost: 90 };

function panel(): Panel {
  const n = SYMBOLS * HOURS;
  const k = FEATURE_NAMES.length;
  const noise = normalArray(n * (k + 1), 7, 0, 1);
  const cols = Array.from({ length: k }, (_, j) => Float64Array.from({ length: n }, (_, i) => noise[i * (k + 1) + j]!));
  const t0 = Date.UTC(2025, 0, 1) * 1000;
  const time = Float64Array.from({ length: n }, (_, i) => t0 + Math.floor(i / SYMBOLS) * H);
  const ret = Float64Array.from({ length: n }, (_, i) => 0.01 * (0.08 * cols[3]![i]! - 0.05 * cols[10]![i]! + 0.04 * cols[30]![i]! + noise[i * (k + 1) + k]!));
  return {
    symbols: Array.from({ length: SYMBOLS }, (_, s) => `S${s}-PERP`),
    time,
    sym: Int32Array.from({ length: n }, (_, i) => i % SYMBOLS),
    features: [...FEATURE_NAMES],
    cols,
    ret,
    label_end: Float64Array.from(time, (t) => t + H),
    label_avail: Float64Array.from(time, (t) => t + H + 2_000_000),
  };
}

const kinds = (process.argv.slice(2).filter((a) => a === 'logistic' || a === 'xgboost') as Array<'logistic' | 'xgboost'>);
const run = kinds.length ? kinds : (['logistic', 'xgboost'] as const);
const p = panel();
const results: Array<Record<string, unknown> & { kind: string }> = [];
for (const kind of run) {
  const cfg: WalkForwardConfig = {
    kind,
    target: 'sign',
    features: [...FEATURE_NAMES],
    baseline_features: [...BASELINE_FEATURES],
    train_us: 90 * D,
    test_us: 23 * D,
    step_us: 23 * D,
    purge_us: H,
    embargo_us: 0,
    winsor: 0.01,
    neutral_quantile: 0.33,
    balance: false,
    params: { logistic: { l2: 1 }, xgboost: { trees: 200, max_depth: 4, eta: 0.1, tree_method: 'hist', max_bin: 64 } },
  };
  const load0 = loadavg()[0]!;
  const t = performance.now();
  const r = await walkForwardTrain(p, cfg, (m) => process.stderr.write(`${kind}: ${m}\n`));
  const s = (performance.now() - t) / 1000;
  const ics = r.windows.map((w) => w.model.rank_ic ?? 0);
  results.push({
    kind,
    rows: p.time.length,
    features: FEATURE_NAMES.length,
    windows: r.windows.length,
    seconds: s,
    target_s: TARGETS_S[kind],
    load_before: load0,
    load_after: loadavg()[0],
    mean_rank_ic: ics.reduce((a, b) => a + b, 0) / ics.length,
    windows_positive_ic: ics.filter((x) => x > 0).length,
  });
  console.log(`${kind}: ${r.windows.length} windows on ${p.time.length} rows x ${FEATURE_NAMES.length} features in ${s.toFixed(1)} s (target ${TARGETS_S[kind]} s: ${s <= TARGETS_S[kind]! ? 'met' : 'missed'}), load ${load0.toFixed(1)}`);
}
const here = dirname(fileURLToPath(import.meta.url));
mkdirSync(join(here, 'results'), { recursive: true });
// one kind per run is allowed: keep the other kind's last result
const file = join(here, 'results', 'train.json');
let previous: Array<{ kind: string }> = [];
try {
  previous = (JSON.parse(readFileSync(file, 'utf8')) as { results: Array<{ kind: string }> }).results;
} catch {
  previous = [];
}
const merged = [...previous.filter((r) => !results.some((x) => x.kind === r.kind)), ...results];
writeFileSync(file, `${JSON.stringify({ at: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model }, results: merged }, null, 2)}\n`);
