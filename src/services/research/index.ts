import type { ServiceContext } from '../../domain/context.js';
import { timeframeSeconds } from '../../domain/datasets.js';
import { missingError, PerpkitError, usageError } from '../../domain/errors.js';
import { FEATURE_FAMILIES, FEATURES, FEATURE_NAMES } from '../../domain/features.js';
import {
  REGIME_DIMENSIONS,
  REGIME_FEATURES,
  RESEARCH_TARGETS,
  ResearchConfigSchema,
  researchSpec,
  type RegimeDimension,
  type ResearchConfig,
  type ResearchTarget,
} from '../../domain/research.js';
import { bhAdjust, holmAdjust } from '../../stats/multiple-testing.js';
import { neweyWestLags } from '../../stats/overlap.js';
import { writeRows } from '../../store/dataset.js';
import { ledgerSpec, sha256 } from '../../store/ledger.js';
import { loadSplit, newLook } from '../split.js';
import type { CellResult } from './cells.js';
import { gridCells, researchWorkers } from './grid-pool.js';
import { evalIntervals, foldOf, loadPanels, overlappingFolds, relativePanel, type EvalSegment, type SegmentRead } from './panel.js';
import { loadHypotheses, type LoadedSpec } from './specs.js';
import { judge, type Verdict } from './verdicts.js';
import { settlementStudy, type SettlementStudy } from './settlement.js';
import { otherVenues, recordVenues, secondVenueCells, type SecondVenue } from './venues.js';

export type { CellResult } from './cells.js';
export type { Verdict, Check } from './verdicts.js';
export type { EvalSegment } from './panel.js';
export type { SettlementStudy } from './settlement.js';

export interface ResearchOptions {
  root: string;
  split: string;
  segment: EvalSegment;
  /** exactly one of features, families, hypotheses (none = every hypothesis) */
  features?: string[];
  families?: string[];
  hypotheses?: string[];
  /** the labels of --features/--family runs: perp (default), relative, or both; a hypothesis run uses each spec's target */
  targets?: ResearchTarget[];
  /** label horizons; default: the specs' horizons that the split has (feature mode: all of the split's) */
  horizons?: string[];
  /** regime dimensions; default: the specs' (feature mode: all) */
  regimes?: string[];
  /** overrides of the research config (validated) */
  config?: Record<string, unknown>;
  /** reading the sealed test segment needs a reason, recorded in the ledger */
  unseal_reason?: string;
  /** read features and labels that changed since the split was written (recorded in the ledger) */
  allow_changed?: boolean;
  /** where the H*.yaml specs are (tests); default: the package's hypotheses/ */
  hypotheses_dir?: string;
  /** write the research dataset and the ledger trial (default true) */
  write?: boolean;
  /** worker threads for the cells (default: from 2 M rows x features, every core up to 8 that half the free memory holds; 1 below); the cells are the same for any number */
  workers?: number;
  /** for the ledger */
  args: unknown;
}

export interface ResearchResult {
  run_id: string;
  split: string;
  segment: EvalSegment;
  venue: string;
  timeframe: string;
  features: string[];
  /** the features evaluated on each target (perp: forward perp return; relative: perp minus spot) */
  targets: Partial<Record<ResearchTarget, string[]>>;
  horizons: string[];
  regimes: RegimeDimension[];
  config: ResearchConfig;
  spec_hashes: Record<string, string>;
  data_hashes: Record<string, string>;
  rows: number;
  cells_total: number;
  /** cells with a p-value: the m of Holm and BH */
  cells_tested: number;
  cells_insufficient: number;
  bh_significant: number;
  holm_significant: number;
  repeated_look: boolean;
  hypotheses: Verdict[];
  cells: CellResult[];
  /** H6 settlement event study (when H6 is judged); null when no funding or bars */
  settlement: SettlementStudy | null;
  rows_written: number;
  /**
   * wall-clock seconds of the steps (reading the segments, the cells, the settlement study, writing)
   * and the process's CPU seconds in each (user + system, every thread: DuckDB's too)
   */
  timings: { load_s: number; cells_s: number; settlement_s: number; write_s: number; load_cpu_s: number; cells_cpu_s: number; settlement_cpu_s: number; write_cpu_s: number };
}

function resolveConfig(raw: Record<string, unknown> | undefined): ResearchConfig {
  const r = ResearchConfigSchema.safeParse(raw ?? {});
  if (!r.success) {
    throw usageError(`bad research config: ${r.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ')}`, {
      hint: `the keys are ${Object.keys(ResearchConfigSchema.shape).join(', ')} (docs/research.md, Config)`,
    });
  }
  for (const f of [...r.data.baseline_features, ...r.data.relative_baseline_features, r.data.stress_feature]) {
    if (!FEATURE_NAMES.includes(f)) throw usageError(`research config names ${JSON.stringify(f)}, not a feature of the catalog`);
  }
  return r.data;
}

/** The features the specs name, with their fallbacks, once each. */
function specFeatures(specs: readonly LoadedSpec[]): string[] {
  return [...new Set(specs.flatMap((s) => s.spec.features.flatMap((f) => [f.name, ...(f.fallback ? [f.fallback] : [])])))];
}

/** The features of each target: every target given for --features/--family, each spec's own for --hypothesis. */
function byTarget(features: string[], specs: readonly LoadedSpec[], targets: readonly ResearchTarget[] | undefined): Partial<Record<ResearchTarget, string[]>> {
  const out: Partial<Record<ResearchTarget, string[]>> = {};
  for (const t of RESEARCH_TARGETS) {
    const fs = specs.length ? specFeatures(specs.filter((s) => s.spec.target === t)) : (targets?.length ? targets : ['perp']).includes(t) ? features : [];
    if (fs.length) out[t] = fs;
  }
  return out;
}

function selection(o: ResearchOptions): { features: string[]; specs: LoadedSpec[] } {
  const given = [o.features, o.families, o.hypotheses].filter((x) => x && x.length).length;
  if (given > 1) throw usageError('give one of --features, --family, --hypothesis');
  const badT = (o.targets ?? []).filter((t) => !(RESEARCH_TARGETS as readonly string[]).includes(t));
  if (badT.length) throw usageError(`unknown target(s) ${badT.join(', ')}; targets: ${RESEARCH_TARGETS.join(', ')}`);
  if (o.targets?.length && !o.features?.length && !o.families?.length) {
    throw usageError('--target is for --features and --family runs: each hypothesis spec names its own target', { hint: 'drop --target, or evaluate the spec\'s features with --features ... --target relative' });
  }
  if (o.features?.length) {
    const bad = o.features.filter((f) => !FEATURE_NAMES.includes(f));
    if (bad.length) throw usageError(`unknown feature(s) ${bad.join(', ')}`, { hint: 'perpkit features --list shows the catalog' });
    return { features: [...new Set(o.features)], specs: [] };
  }
  if (o.families?.length) {
    const bad = o.families.filter((f) => !(FEATURE_FAMILIES as readonly string[]).includes(f));
    if (bad.length) {
      // a family named after a kind of feature (e.g. "basis"): the features of that name
      const like = FEATURES.filter((f) => bad.some((b) => f.name.startsWith(b))).map((f) => f.name);
      throw usageError(`unknown family ${bad.join(', ')}; families: ${FEATURE_FAMILIES.join(', ')}`, {
        hint: like.length ? `the features named ${bad.join(', ')}*: --features ${like.join(',')} (perpkit features --list shows each feature's family)` : 'perpkit features --list shows each feature\'s family',
      });
    }
    return { features: FEATURES.filter((f) => o.families!.includes(f.family)).map((f) => f.name), specs: [] };
  }
  const specs = loadHypotheses(o.hypotheses?.length ? o.hypotheses : ['all'], ...(o.hypotheses_dir ? [o.hypotheses_dir] : []));
  return { features: specFeatures(specs), specs };
}

export async function runResearch(o: ResearchOptions, ctx: ServiceContext): Promise<ResearchResult> {
  // every fold's test side: the IC periods are the folds unless the config says otherwise
  const cfg = resolveConfig(o.segment === 'folds-test' ? { ic_period: 'fold', ...o.config } : o.config);
  if (cfg.ic_period === 'fold' && o.segment !== 'folds-test') {
    throw usageError(`ic_period fold needs every fold of a walk-forward split (--segment folds-test); this run evaluates ${o.segment}`, { hint: 'use ic_period day, week or month, or --segment folds-test on a walk-forward split' });
  }
  const { features, specs } = selection(o);
  const split = loadSplit(o.root, o.split);
  if (o.unseal_reason !== undefined && o.unseal_reason.trim() === '') {
    throw usageError('--unseal needs a reason', { hint: 'say why you read the sealed test segment, e.g. --unseal "final check of H1": the reason is recorded in the ledger' });
  }
  if (o.segment === 'test' && !o.unseal_reason) {
    throw usageError(`the test segment of split ${o.split} is sealed`, { hint: 'pass --unseal "<reason>" to read it; the reading and the reason are recorded in the ledger' });
  }
  // A holdout split's segments, or one fold of a walk-forward split (its training side precedes its
  // test side, so what is fitted on it never saw the evaluated rows' future; purged k-fold and CPCV
  // folds train on later data too).
  const fold = foldOf(o.segment);
  if (split.scheme === 'holdout' && (fold || o.segment === 'folds-test')) {
    throw usageError(`split ${o.split} is a holdout split: it has no ${fold ? `fold ${fold.fold}` : 'folds'}`, { hint: 'evaluate --segment train, validation, train+validation or test' });
  }
  if (split.scheme !== 'holdout') {
    if (split.scheme !== 'walk-forward') {
      throw usageError(`split ${o.split} is ${split.scheme}; research evaluates holdout segments or walk-forward folds (whose training side comes before their test side)`, {
        hint: `make a holdout split of the same data for research: perpkit split --name ${o.split}-holdout --scheme holdout --timeframe ${split.timeframe}`,
      });
    }
    const folds = (split.folds ?? []).map((f) => f.index);
    const overlap = o.segment === 'folds-test' ? overlappingFolds(split) : [];
    if (overlap.length) {
      const pairs = overlap.slice(0, 3).map(([a, b]) => `${a} and ${b}`).join(', ') + (overlap.length > 3 ? ` (${overlap.length} pairs in all)` : '');
      throw usageError(`split ${o.split}'s folds ${pairs} have test sides that overlap in time: pooled, their shared rows would count once per fold`, {
        hint: `evaluate one fold at a time (--segment fold-N-test), or make a walk-forward split with --step at least --test-window`,
      });
    }
    if (!(o.segment === 'folds-test' && folds.length) && (!fold || !folds.includes(fold.fold))) {
      throw usageError(`split ${o.split} is walk-forward: evaluate one of its folds, or every fold's test side${fold ? `; it has no fold ${fold.fold}` : ''}`, {
        hint: `--segment fold-N-test with N in ${folds.length ? `${Math.min(...folds)}..${Math.max(...folds)}` : '(none: the split has no folds)'}, or --segment folds-test (each fold's training side fits bucket edges, medians and thresholds)`,
      });
    }
  }
  // Horizons: given ones must be stored; defaults are what the specs ask and the split has. Both are
  // checked before any read (a look at a sealed test segment must not be spent on a run that cannot start).
  const noLabels = (what: string, absent: readonly string[]): Error =>
    missingError(`no labels for ${what} ${absent.join(', ')} in split ${o.split} (it has ${split.horizons.join(', ')})`, {
      hint: `pass --horizons ${split.horizons.join(',')}, or build labels for ${absent.join(',')} ("perpkit features --labels --horizons ${[...new Set([...split.horizons, ...absent])].join(',')}") and re-create the split with them (its buffers are sized by its longest horizon)`,
    });
  let horizons: string[];
  if (o.horizons?.length) {
    const bad = o.horizons.filter((h) => !/^\d+(m|h|d)$/.test(h));
    if (bad.length) throw usageError(`bad horizon(s) ${bad.join(', ')}: a horizon is a number and a unit (m, h or d), e.g. 15m, 1h, 4h`, { hint: `split ${o.split} has labels for ${split.horizons.join(', ')}` });
    const absent = o.horizons.filter((h) => !split.horizons.includes(h));
    if (absent.length) throw noLabels('horizon(s)', absent);
    horizons = o.horizons;
  }
  else if (specs.length) {
    const wanted = [...new Set(specs.flatMap((s) => s.spec.horizons))];
    horizons = wanted.filter((h) => split.horizons.includes(h));
    const dropped = wanted.filter((h) => !split.horizons.includes(h));
    if (!horizons.length) throw noLabels("the specs' horizon(s)", wanted);
    if (dropped.length) ctx.log.warn(`horizon(s) ${dropped.join(', ')} of the specs have no labels in split ${o.split}; evaluating ${horizons.join(', ')}`);
  } else horizons = split.horizons;
  const regimeNames = o.regimes?.length ? o.regimes : specs.length ? [...new Set(specs.flatMap((s) => [...s.spec.regimes, ...(s.spec.modulation ? [s.spec.modulation.dimension] : [])]))] : [...REGIME_DIMENSIONS];
  const badR = regimeNames.filter((r) => !(REGIME_DIMENSIONS as readonly string[]).includes(r));
  if (badR.length) throw usageError(`unknown regime dimension(s) ${badR.join(', ')}; known: ${REGIME_DIMENSIONS.join(', ')}`);
  const dims = regimeNames as RegimeDimension[];
  const tLoad = performance.now();
  const cpuSeconds = (from: NodeJS.CpuUsage): number => {
    const c = process.cpuUsage(from);
    return (c.user + c.system) / 1e6;
  };
  let cpu0 = process.cpuUsage();
  // one look at a sealed test segment per run: the features, labels and other venues' reads share it
  const read: SegmentRead = {
    command: 'research',
    args: { ...(o.args as object), unseal_reason: o.unseal_reason ?? null },
    unseal_test: o.segment === 'test',
    look: newLook(),
    flags: { unseal: '--unseal "<reason>"', allow_changed: '--allow-changed' },
    ...(o.allow_changed ? { allow_changed: true } : {}),
  };
  const targets = byTarget(features, specs, o.targets);
  // the relative target has its own baseline stack (with the basis level, whose reversion moves every perp-minus-spot return)
  const cfgOf = (t: ResearchTarget): ResearchConfig => (t === 'relative' ? { ...cfg, baseline_features: cfg.relative_baseline_features } : cfg);
  const baselines = [...new Set(Object.keys(targets).flatMap((t) => cfgOf(t as ResearchTarget).baseline_features))];
  const needed = [...new Set([...features, ...dims.map((d) => REGIME_FEATURES[d]), ...baselines, cfg.stress_feature])];
  const loaded = await loadPanels(
    {
      root: o.root,
      split: o.split,
      segment: o.segment,
      features: needed,
      horizons,
      read,
      relative: targets.relative !== undefined,
    },
    ctx,
  ).catch((err: unknown) => {
    // labels built before their spot leg: name what still runs on them (the perp target)
    if (err instanceof PerpkitError && err.kind === 'missing' && (err.details?.['columns'] as string[] | undefined)?.includes('rel_return')) {
      const perpSpecs = specs.filter((s) => s.spec.target === 'perp').map((s) => s.spec.id);
      const instead = specs.length ? (perpSpecs.length ? `, or judge the perp-target hypotheses only: --hypothesis ${perpSpecs.join(',')}` : '') : ', or drop --target relative';
      throw missingError(`${err.message} (the relative target${specs.length ? ` of ${specs.filter((s) => s.spec.target === 'relative').map((s) => s.spec.id).join(', ')}` : ''} reads it)`, { hint: `${err.hint ?? ''}${instead}` });
    }
    throw err;
  });
  const loadS = (performance.now() - tLoad) / 1000;
  const loadCpu = cpuSeconds(cpu0);
  cpu0 = process.cpuUsage();
  const tCells = performance.now();
  const barMs = timeframeSeconds(split.timeframe) * 1000;
  // The panel laid out once in typed arrays per worker; each column is sorted once (research/grid.ts).
  const horizonJobs = loaded.horizons.map((h) => ({ horizon: h.horizon, horizon_ms: h.horizon_ms, lags: Math.ceil(cfg.nw_lag_multiplier * neweyWestLags(h.horizon_ms, barMs)) }));
  const workers = researchWorkers(loaded.panel.rows, features.length, o.workers);
  const cells: CellResult[] = [];
  for (const t of RESEARCH_TARGETS) {
    const fs = targets[t];
    if (!fs) continue;
    const on = Object.keys(targets).length > 1 || t !== 'perp' ? ` on the ${t} target` : '';
    ctx.log.progress(`research: ${fs.length} feature(s) x ${horizonJobs.length} horizon(s)${on}${workers > 1 ? ` on ${workers} workers` : ''}`);
    const got = await gridCells(
      { panel: t === 'relative' ? relativePanel(loaded.panel) : loaded.panel, train: loaded.train, dims, cfg: cfgOf(t), features: fs, horizons: horizonJobs },
      { workers, signal: ctx.signal, onFeature: (f, done) => ctx.log.progress(`research: ${f} (${done} of ${fs.length} features${on})`) },
    );
    ctx.log.progressDone();
    for (const c of got) c.target = t;
    cells.push(...got);
  }
  const cellsS = (performance.now() - tCells) / 1000;
  const cellsCpu = cpuSeconds(cpu0);
  cpu0 = process.cpuUsage();
  const tSettle = performance.now();
  // Multiple-testing control across every cell of the run that has a p-value.
  const holm = holmAdjust(cells.map((c) => c.p_value));
  const bh = bhAdjust(cells.map((c) => c.p_value));
  cells.forEach((c, i) => {
    c.p_holm = holm[i] ?? null;
    c.p_bh = bh[i] ?? null;
  });
  const settlement = specs.some((s) => s.spec.event_study)
    ? await settlementStudy(
        ctx,
        o.root,
        split,
        evalIntervals(split, o.segment),
        { near_minutes: cfg.settlement_near_minutes, far_minutes: cfg.settlement_far_minutes },
      )
    : null;
  const settlementS = (performance.now() - tSettle) / 1000;
  const settlementCpu = cpuSeconds(cpu0);
  // Venue robustness (lead-lag hypotheses): the same cells on every other venue with features at
  // this timeframe, over the split's own intervals (research/venues.ts).
  const venueSpecs = specs.filter((s) => s.spec.requires_second_venue);
  const others = venueSpecs.length ? await otherVenues(o.root, split.venue, split.timeframe) : [];
  const venueTargets = RESEARCH_TARGETS.flatMap((t) => {
    const vf = specFeatures(venueSpecs.filter((s) => s.spec.target === t));
    return vf.length ? [{ target: t, features: vf, cfg: cfgOf(t) }] : [];
  });
  const venueTests: SecondVenue[] = [];
  for (const [k, venue] of others.entries()) {
    const tVenue = performance.now();
    ctx.log.progress(`research: venue robustness on ${venue} (${k + 1}/${others.length})`);
    const second = await secondVenueCells(
      { root: o.root, split: o.split, segment: o.segment, venue, targets: venueTargets, stress_feature: cfg.stress_feature, horizons: horizonJobs, read },
      ctx,
    );
    ctx.log.progressDone();
    ctx.log.info(`research: venue robustness: ${second.error ?? `${second.cells.length} cells of ${second.venue} (${second.rows} rows) in ${((performance.now() - tVenue) / 1000).toFixed(1)} s`}`);
    venueTests.push(second);
  }
  const verdicts = specs.map((s) => judge(s.spec, cells, cfg, loaded.panel.round_trip_cost, settlement, { venue: split.venue, others, timeframe: split.timeframe, tested: venueTests }));
  const specHashes = Object.fromEntries(specs.map((s) => [s.spec.id, s.hash]));
  const dataHashes = Object.fromEntries(Object.entries(split.inputs).map(([k, v]) => [k, v.hash]));
  const nowMs = ctx.clock.now();
  const configHash = sha256(cfg);
  const runId = sha256({ configHash, specHashes, dataHashes, split: o.split, segment: o.segment, features, targets, horizons, dims, nowMs }).slice(0, 16);
  const tested = cells.filter((c) => c.p_value !== null).length;
  const result: ResearchResult = {
    run_id: runId,
    split: o.split,
    segment: o.segment,
    venue: split.venue,
    timeframe: split.timeframe,
    features,
    targets,
    horizons: loaded.horizons.map((h) => h.horizon),
    regimes: dims,
    config: cfg,
    spec_hashes: specHashes,
    data_hashes: dataHashes,
    rows: loaded.panel.rows,
    cells_total: cells.length,
    cells_tested: tested,
    cells_insufficient: cells.filter((c) => c.status === 'insufficient').length,
    bh_significant: cells.filter((c) => c.p_bh !== null && c.p_bh <= cfg.fdr).length,
    holm_significant: cells.filter((c) => c.p_holm !== null && c.p_holm <= cfg.fwer).length,
    repeated_look: loaded.repeated_look,
    hypotheses: verdicts,
    cells,
    settlement,
    rows_written: 0,
    timings: { load_s: loadS, cells_s: cellsS, settlement_s: settlementS, write_s: 0, load_cpu_s: loadCpu, cells_cpu_s: cellsCpu, settlement_cpu_s: settlementCpu, write_cpu_s: 0 },
  };
  if (o.write !== false) {
    const tWrite = performance.now();
    cpu0 = process.cpuUsage();
    const us = nowMs * 1000;
    const rows = cells.map((c) => ({
      venue: split.venue,
      timeframe: split.timeframe,
      event_time: us,
      available_time: us,
      source: 'perpkit research',
      ingest_time: us,
      run_id: runId,
      split_name: o.split,
      segment: o.segment,
      feature: c.feature,
      horizon: c.horizon,
      horizon_ms: c.horizon_ms,
      target: c.target,
      regime_dim: c.regime_dim,
      regime_cell: c.regime_cell,
      status: c.status,
      n: c.n,
      assets: c.assets,
      effective_n: c.effective_n,
      ic: c.ic,
      ic_panel: c.ic_panel,
      ic_by_asset: JSON.stringify(c.ic_by_asset),
      t_naive: c.t_naive,
      t_nw: c.t_nw,
      nw_lags: c.nw_lags,
      p_value: c.p_value,
      p_holm: c.p_holm,
      p_bh: c.p_bh,
      hit_rate: c.hit_rate,
      ic_periods: c.ic_periods,
      ic_ir: c.ic_ir,
      ic_rolling_std: c.ic_rolling_std,
      ic_trend: c.ic_trend,
      sign_stability: c.sign_stability,
      turnover: c.turnover,
      buckets: c.buckets ? JSON.stringify(c.buckets) : null,
      monotonicity: c.monotonicity,
      monotonicity_p: c.monotonicity_p,
      spread: c.spread,
      spread_ci_low: c.spread_ci_low,
      spread_ci_high: c.spread_ci_high,
      round_trip_cost: cfg.round_trip_cost ?? loaded.panel.round_trip_cost,
      partial_ic: c.partial_ic,
      partial_t_nw: c.partial_t_nw,
      r2_lift: c.r2_lift,
      ic_ex_stress: c.ic_ex_stress,
      p_ex_stress: c.p_ex_stress,
      cs_ic: c.cs_ic,
      cs_t_nw: c.cs_t_nw,
      cs_times: c.cs_times,
      viable: c.viable,
      config_hash: configHash,
      spec_hashes: JSON.stringify(specHashes),
      data_hashes: JSON.stringify(dataHashes),
    }));
    const w = await writeRows(ctx, { root: o.root, spec: researchSpec() }, rows);
    result.rows_written = w.rows_in;
    // The ledger: one evaluation row for the run (verdicts, spec hashes; the report reads it) and one
    // trial per cell tested (detail.trials = 1: what the ledger's research trial count sums), written
    // in one append. The cells' rows are 1 microsecond later, so the run's row is the first of the run.
    const dataHashesJson = JSON.stringify(dataHashes);
    const runRow = {
      event_time: us,
      available_time: us,
      source: 'perpkit',
      ingest_time: us,
      kind: 'evaluation',
      command: 'research',
      args: JSON.stringify(o.args),
      config_hash: sha256({ config: cfg, spec_hashes: specHashes }),
      data_hashes: dataHashesJson,
      split_name: o.split,
      segment: o.segment,
      detail: JSON.stringify({
        run_id: runId,
        cells_tested: tested,
        cells_total: cells.length,
        bh_significant: result.bh_significant,
        holm_significant: result.holm_significant,
        spec_hashes: specHashes,
        verdicts: Object.fromEntries(verdicts.map((v) => [v.id, v.verdict])),
        unseal_reason: o.unseal_reason ?? null,
        // the resolved config (the report judges with it)
        config: cfg,
        // the other venues' cells the venue-robustness check judged (the report judges with them)
        ...(venueSpecs.length ? { venues: recordVenues(others, venueTests) } : {}),
      }),
    };
    const cellRows = cells
      .filter((c) => c.p_value !== null)
      .map((c) => ({
        ...runRow,
        event_time: us + 1,
        available_time: us + 1,
        args: JSON.stringify({ run_id: runId, feature: c.feature, horizon: c.horizon, target: c.target, regime_dim: c.regime_dim, regime_cell: c.regime_cell }),
        config_hash: configHash,
        detail: JSON.stringify({ run_id: runId, trials: 1, feature: c.feature, horizon: c.horizon, target: c.target, regime_dim: c.regime_dim, regime_cell: c.regime_cell, ic: c.ic, t_nw: c.t_nw, p_value: c.p_value, p_bh: c.p_bh, n: c.n, effective_n: c.effective_n }),
      }));
    await writeRows(ctx, { root: o.root, spec: ledgerSpec() }, [runRow, ...cellRows]);
    result.timings.write_s = (performance.now() - tWrite) / 1000;
    result.timings.write_cpu_s = cpuSeconds(cpu0);
  }
  return result;
}
