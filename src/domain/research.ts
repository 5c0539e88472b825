import { z } from 'zod';
import type { ColumnSpec, DatasetName, DatasetSpec } from './datasets.js';
import { FEATURE_NAMES } from './features.js';

/**
 * perpkit research: configuration (every number with its default and reason), hypothesis specs
 * (hypotheses/H*.yaml) and the `research` dataset.
 */

/**
 * Regime dimensions and their cells. Each cell is a condition on a regime feature at the decision
 * time (point in time); thresholds that are not fixed by the feature's definition (liquidity,
 * activity) are fitted on the training segment only.
 */
export const REGIME_DIMENSIONS = ['vol', 'trend', 'funding_sign', 'liquidity', 'settlement', 'activity'] as const;
export type RegimeDimension = (typeof REGIME_DIMENSIONS)[number];

export const REGIME_CELLS: Record<RegimeDimension, readonly string[]> = {
  /** vol_regime -1/0/1 (rv_24 / rv_168 below 0.7, between, above 1.5) */
  vol: ['low', 'normal', 'high'],
  /** trend_regime: 24-bar SMA above / below the 168-bar SMA */
  trend: ['up', 'down'],
  /** sign of the last settled funding rate (zero counts as positive: longs do not receive) */
  funding_sign: ['positive', 'negative'],
  /** liquidity_stress above its training quantile `liquidity_stress_quantile` = stress */
  liquidity: ['normal', 'stress'],
  /** settle_in_window 1 = in the window before a settlement */
  settlement: ['out', 'in'],
  /** perp_spot_activity_24 above its training median = high */
  activity: ['low', 'high'],
};

/** The regime features the cells read (they must be in the features dataset). */
export const REGIME_FEATURES: Record<RegimeDimension, string> = {
  vol: 'vol_regime',
  trend: 'trend_regime',
  funding_sign: 'funding_rate',
  liquidity: 'liquidity_stress',
  settlement: 'settle_in_window',
  activity: 'perp_spot_activity_24',
};

/**
 * What a cell's label is: `perp`, the perp's forward return (labels.fwd_return); `relative`, the
 * perp's forward return minus its spot reference's over the same window (labels.rel_return), what
 * basis convergence and perp/spot lead-lag move while the common price move cancels.
 */
export const RESEARCH_TARGETS = ['perp', 'relative'] as const;
export type ResearchTarget = (typeof RESEARCH_TARGETS)[number];

/** IC periods: calendar days, weeks (from Monday), months, or a walk-forward split's folds (`--segment folds-test` only, its default). */
export const IC_PERIODS = ['day', 'week', 'month', 'fold'] as const;

/** Research configuration; defaults are documented here and nowhere else. */
export const ResearchConfigSchema = z.object({
  /** a regime cell (per feature and horizon) with fewer pooled observations says "insufficient", never a number */
  min_obs_per_cell: z.number().int().positive().default(200),
  /** magnitude buckets (quintiles); edges from the training segment, per asset */
  buckets: z.number().int().min(2).max(8).default(5),
  /** false discovery rate for Benjamini-Hochberg; a cell is "BH-significant" when its BH-adjusted p <= this */
  fdr: z.number().positive().max(0.5).default(0.05),
  /** family-wise level for Holm */
  fwer: z.number().positive().max(0.5).default(0.05),
  /**
   * Newey-West lags = multiplier x (horizon / bar - 1). Bartlett weights at exactly horizon/bar - 1
   * lags understate the variance of overlapping sums by about 1.5x (test/stats/research-stats);
   * 2x brings it to about 1.2x
   */
  nw_lag_multiplier: z.number().min(1).default(2),
  /** period of the IC-over-time series (IC IR, IC trend, sign stability, rolling std); `fold` (the default of --segment folds-test, refused elsewhere): a walk-forward split's folds */
  ic_period: z.enum(IC_PERIODS).default('month'),
  /** a period's IC needs this many observations per asset */
  min_obs_per_period: z.number().int().positive().default(30),
  /** rare-stress check: drop the decisions whose stress measure is in the top this share (training quantile) */
  stress_drop_share: z.number().positive().max(0.5).default(0.05),
  /** the point-in-time stress measure of the rare-stress check (a feature) */
  stress_feature: z.string().default('rv_24'),
  /** sign instability: fail when the share of adjacent periods with the same IC sign is below this */
  min_sign_stability: z.number().min(0).max(1).default(0.6),
  /** fewer adjacent period pairs than this make the sign check inconclusive */
  min_sign_pairs: z.number().int().positive().default(3),
  /** regime stability: share of sufficient cells of each dimension whose IC has the overall sign */
  min_regime_agreement: z.number().min(0).max(1).default(0.66),
  /** incrementality: walk-forward folds inside the evaluated segment (expanding, embargo = horizon) */
  incremental_folds: z.number().int().min(1).default(4),
  /** baseline stack of the partial IC: recent returns, realised volatility, funding level */
  baseline_features: z.array(z.string()).default(['roc_1', 'roc_12', 'rv_24', 'funding_rate']),
  /**
   * the baseline stack on the relative target (in place of baseline_features): recent returns,
   * realised volatility and the basis level, whose reversion (H1) moves every perp-minus-spot
   * return, so a feature is incremental there only beyond it; not the funding level, which is what
   * H2 says predicts the basis beyond its level
   */
  relative_baseline_features: z.array(z.string()).default(['roc_1', 'roc_12', 'rv_24', 'basis']),
  /** liquidity cell: liquidity_stress above this training quantile = stress */
  liquidity_stress_quantile: z.number().min(0.5).max(0.99).default(0.8),
  /** confidence of the bucket spread interval */
  confidence: z.number().min(0.5).max(0.999).default(0.95),
  /** a not-significant hypothesis fails only when its best cell had at least this effective N; below, inconclusive (also the modulation check's, on the smaller cell) */
  min_effective_n_to_reject: z.number().positive().default(300),
  /** the settlement event study (H6) fails on no move only with at least this many events in its best row; below, inconclusive */
  min_events_to_reject: z.number().int().positive().default(100),
  /** seed §5.2 viability rule */
  viability: z
    .object({ ic: z.number().default(0.02), ic_ir: z.number().default(0.5), ic_trend: z.number().default(-0.001) })
    .strict()
    .prefault({}),
  /** settlement event study (H6): near window on each side of a settlement, minutes (the settlement window of the features) */
  settlement_near_minutes: z.number().int().positive().default(30),
  /** far window on each side, minutes (issue: -120 to +120) */
  settlement_far_minutes: z.number().int().positive().default(120),
  /** round-trip cost of the first tradability screen, fraction of notional (null: the labels' round_trip_cost) */
  round_trip_cost: z.number().nonnegative().nullable().default(null),
})
  // a misspelt key is an error, not a default silently used
  .strict();
export type ResearchConfig = z.infer<typeof ResearchConfigSchema>;
export const DEFAULT_RESEARCH_CONFIG: ResearchConfig = ResearchConfigSchema.parse({});

const featureName = z.string().refine((s) => FEATURE_NAMES.includes(s), { message: 'not a feature of the catalog (perpkit features --list)' });

/** A hypothesis spec: hypotheses/H1.yaml ... H6.yaml. */
export const HypothesisSpecSchema = z
  .object({
    id: z.string().regex(/^H[0-9]+$/),
    /** version of the spec (a changed spec is a new version and, by its hash, a new trial); earlier versions stay in hypotheses/versions/ */
    version: z.number().int().positive().default(1),
    title: z.string().min(1),
    /** the statement of proposal 000 and how perpkit tests it */
    statement: z.string().min(1),
    features: z
      .array(
        z.object({
          name: featureName,
          /** expected sign of the IC with the spec's target (forward perp, or perp-minus-spot, return); either = mean reversion or continuation */
          expected_sign: z.enum(['positive', 'negative', 'either']),
          /**
           * the feature judged instead when this one has no data in the run (no cell with a t), with
           * the same expected sign: e.g. the bar-volume proxy of a trade-flow feature on data
           * without trades; the verdict says which one it read
           */
          fallback: featureName.optional(),
        }),
      )
      .min(1),
    horizons: z.array(z.string().regex(/^\d+[mhd]$/)).min(1),
    /** the label the features are judged on: perp (forward perp return) or relative (perp minus spot, labels.rel_return) */
    target: z.enum(RESEARCH_TARGETS).default('perp'),
    /** regime dimensions over which the effect must be stable (proposal 000: major regimes) */
    regimes: z.array(z.enum(REGIME_DIMENSIONS)).default(['vol']),
    /** the effect is expected to differ between the cells of this dimension (H5) */
    modulation: z.object({ dimension: z.enum(REGIME_DIMENSIONS), low: z.string(), high: z.string() }).optional(),
    /** the primary test is the settlement event study (H6): perp-minus-spot around settlements vs placebo times */
    event_study: z.boolean().default(false),
    /** the claim needs a venue-robustness check (lead-lag, proposal 000 default question 3) */
    requires_second_venue: z.boolean().default(false),
    acceptance: z
      .object({
        /** BH-adjusted p of the best cell must be at or below this */
        alpha: z.number().positive().max(0.5).default(0.05),
        stable_across_regimes: z.boolean().default(true),
        incremental: z.boolean().default(true),
      })
      .prefault({}),
    failure: z
      .object({
        rare_stress: z.boolean().default(true),
        sign_instability: z.boolean().default(true),
        no_incrementality: z.boolean().default(true),
      })
      .prefault({}),
  })
  .strict();
export type HypothesisSpec = z.infer<typeof HypothesisSpecSchema>;

export const HYPOTHESIS_IDS = ['H1', 'H2', 'H3', 'H4', 'H5', 'H6'] as const;

/** The research dataset: one row per (run, feature, horizon, regime cell). */
export function researchSpec(): DatasetSpec {
  const c = (name: string, type: ColumnSpec['type'], doc: string, nullable = true): ColumnSpec => ({ name, type, nullable, doc });
  return {
    name: 'research' as DatasetName,
    doc: 'research statistics: one row per feature x horizon x regime cell of a run',
    partitionKeys: ['venue', 'timeframe'],
    timeKey: 'month',
    columns: [
      c('event_time', 'TIMESTAMP', 'when the run happened, UTC', false),
      c('available_time', 'TIMESTAMP', 'equal to event_time', false),
      c('source', 'VARCHAR', 'perpkit research', false),
      c('ingest_time', 'TIMESTAMP', 'when the row was written, UTC', false),
      c('run_id', 'VARCHAR', 'id of the run (sha256 prefix of config, specs, data hashes and time)', false),
      c('split_name', 'VARCHAR', 'the split evaluated', false),
      c('segment', 'VARCHAR', 'train, validation, train+validation or test', false),
      c('feature', 'VARCHAR', 'feature column', false),
      c('horizon', 'VARCHAR', 'label horizon, e.g. 1h', false),
      c('horizon_ms', 'BIGINT', 'label horizon, ms', false),
      c('target', 'VARCHAR', 'the label: perp (forward perp return) or relative (perp minus spot return); NULL in rows written before targets existed: perp'),
      c('regime_dim', 'VARCHAR', 'regime dimension, or all', false),
      c('regime_cell', 'VARCHAR', 'regime cell, or all', false),
      c('status', 'VARCHAR', 'ok, or insufficient (fewer observations than min_obs_per_cell: no statistics)', false),
      c('n', 'BIGINT', 'pooled observations (asset x decision) with feature and label', false),
      c('assets', 'BIGINT', 'assets with an IC', false),
      c('effective_n', 'DOUBLE', 'independent time points worth of information: T x gamma_0 / Newey-West long-run variance of the pooled IC contributions'),
      c('ic', 'DOUBLE', 'pooled IC: mean over assets of the time-series Spearman IC'),
      c('ic_panel', 'DOUBLE', 'Spearman IC of the stacked panel (all assets together)'),
      c('ic_by_asset', 'VARCHAR', 'time-series Spearman IC per asset, JSON {symbol: ic} (folds-test: {"<symbol>@fold-N": ic})'),
      c('t_naive', 'DOUBLE', 'naive t of the pooled IC (overstates significance with overlapping labels)'),
      c('t_nw', 'DOUBLE', 'Newey-West t of the pooled IC'),
      c('nw_lags', 'BIGINT', 'Newey-West lags used'),
      c('p_value', 'DOUBLE', 'two-sided p of t_nw'),
      c('p_holm', 'DOUBLE', 'Holm-adjusted p across every cell of the run'),
      c('p_bh', 'DOUBLE', 'Benjamini-Hochberg-adjusted p across every cell of the run'),
      c('hit_rate', 'DOUBLE', 'share of decisions where sign(feature - its training median) x sign(IC) = sign(forward return)'),
      c('ic_periods', 'BIGINT', 'periods with an IC (ic_period of the config)'),
      c('ic_ir', 'DOUBLE', 'IC information ratio: mean / std of the per-period ICs'),
      c('ic_rolling_std', 'DOUBLE', 'std of the per-period ICs'),
      c('ic_trend', 'DOUBLE', 'least-squares slope of the per-period IC per period (seed ic_trend)'),
      c('sign_stability', 'DOUBLE', 'share of adjacent periods with the same IC sign'),
      c('turnover', 'DOUBLE', "mean absolute change per decision of the feature's training-quantile position (0..1)"),
      c('buckets', 'VARCHAR', 'magnitude buckets (regime all): JSON [{bucket, count, mean_return, hit_rate}]'),
      c('monotonicity', 'DOUBLE', 'Spearman of bucket rank vs bucket mean return'),
      c('monotonicity_p', 'DOUBLE', 'exact permutation p of monotonicity'),
      c('spread', 'DOUBLE', 'top minus bottom bucket mean forward return, fraction'),
      c('spread_ci_low', 'DOUBLE', 'lower end of the spread confidence interval (HAC)'),
      c('spread_ci_high', 'DOUBLE', 'upper end of the spread confidence interval (HAC)'),
      c('round_trip_cost', 'DOUBLE', 'round-trip cost used for the tradability screen, fraction'),
      c('partial_ic', 'DOUBLE', 'IC of feature and label residualised on the baseline stack, walk-forward (regime all)'),
      c('partial_t_nw', 'DOUBLE', 'Newey-West t of the partial IC'),
      c('r2_lift', 'DOUBLE', 'out-of-sample R^2 of baseline + feature minus baseline'),
      c('ic_ex_stress', 'DOUBLE', 'pooled IC without the decisions whose stress measure is in the top stress_drop_share (training quantile)'),
      c('p_ex_stress', 'DOUBLE', 'Newey-West p of ic_ex_stress'),
      c('cs_ic', 'DOUBLE', 'cross-sectional Spearman IC per decision time, mean (regime all); weak with 3-5 assets: reported, not judged'),
      c('cs_t_nw', 'DOUBLE', 'Newey-West t of the mean cross-sectional IC'),
      c('cs_times', 'BIGINT', 'decision times with a cross-sectional IC (>= 3 assets)'),
      c('viable', 'BOOLEAN', 'seed 5.2 viability rule (|IC| > ic, IC IR > ic_ir in the IC direction, trend > ic_trend)'),
      c('config_hash', 'VARCHAR', 'sha256 of the resolved research config', false),
      c('spec_hashes', 'VARCHAR', 'sha256 of each hypothesis spec file used, JSON', false),
      c('data_hashes', 'VARCHAR', 'content hashes of the features and labels (from the split), JSON', false),
    ],
    naturalKey: ['venue', 'timeframe', 'run_id', 'feature', 'horizon', 'target', 'regime_dim', 'regime_cell'],
  };
}
