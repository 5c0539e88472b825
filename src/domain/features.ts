import { z } from 'zod';
import { DATASETS, PRICE_TYPES, type ColumnSpec, type DatasetName, type DatasetSpec } from './datasets.js';

/**
 * The feature catalog: every feature perpkit computes, with its family, the input it reads, its
 * lookback, unit, meaning and the hypothesis it serves (H1-H6 of the research proposal 000; seed
 * sections of design 004). The SQL in queries/features/<family>.sql computes them; this list is
 * the allow-list of feature column names.
 */
export const FEATURE_FAMILIES = ['price', 'volume', 'derivatives', 'cross_asset', 'perp_spot', 'regime'] as const;
export type FeatureFamily = (typeof FEATURE_FAMILIES)[number];

/** The inputs a feature reads; each joined input reports its age as <input>_age_ms. */
export const FEATURE_INPUTS = ['perp_bars', 'funding', 'open_interest', 'spot_bars', 'btc_bars', 'trades', 'grid'] as const;
export type FeatureInput = (typeof FEATURE_INPUTS)[number];

export interface FeatureSpec {
  name: string;
  family: FeatureFamily;
  /** the computation that produces it: a window family of services/features/families.ts, or 'derived' (combined at the decision time) */
  query: 'price' | 'volume' | 'funding' | 'open_interest' | 'basis' | 'cross_asset' | 'trade_flow' | 'derived';
  input: FeatureInput;
  /**
   * window: consecutive rows of its input the value depends on (bars, or prints for funding/OI),
   * all of which must be present (warm-up and gaps give NULL); EMAs: their truncated window(s)
   */
  lookback: number;
  unit: string;
  meaning: string;
  hypothesis: string;
}

const f = (
  name: string,
  family: FeatureFamily,
  query: FeatureSpec['query'],
  input: FeatureInput,
  lookback: number,
  unit: string,
  meaning: string,
  hypothesis = '',
): FeatureSpec => ({ name, family, query, input, lookback, unit, meaning, hypothesis });

/**
 * Truncated EMA windows (rows): the neglected weight (1-alpha)^W is below 1e-6 for the slowest EMA
 * (Wilder's alpha 1/14). An EMA is NULL until W consecutive inputs exist; a missing input restarts it.
 */
export const EMA_WINDOW = 190;

export const FEATURES: readonly FeatureSpec[] = [
  ...[1, 4, 12, 24, 48, 168].map((k) =>
    f(`roc_${k}`, 'price', 'price', 'perp_bars', k + 1, 'fraction', `rate of change of the perp close over ${k} bars (close / close ${k} bars ago - 1)`, 'seed §7.1'),
  ),
  f('logret_1', 'price', 'price', 'perp_bars', 2, 'log return', 'log return of the last bar', 'seed §7.1'),
  f('rv_24', 'price', 'price', 'perp_bars', 25, 'per-bar stdev of log returns', 'realised volatility: sample stdev of the last 24 one-bar log returns', 'seed §7.1'),
  f('rv_168', 'price', 'price', 'perp_bars', 169, 'per-bar stdev of log returns', 'realised volatility: sample stdev of the last 168 one-bar log returns', 'seed §7.1'),
  f('hl_range', 'price', 'price', 'perp_bars', 1, 'fraction of close', 'high-low range of the last bar', 'seed §7.1'),
  f('dist_ma_24', 'price', 'price', 'perp_bars', 24, 'fraction', 'close over its 24-bar simple moving average, minus 1', 'seed §7.1'),
  f('dist_ma_168', 'price', 'price', 'perp_bars', 168, 'fraction', 'close over its 168-bar simple moving average, minus 1', 'seed §7.1'),
  f('rsi_14', 'price', 'price', 'perp_bars', EMA_WINDOW + 1, '0-100', `RSI 14 with Wilder's smoothing (EMA alpha 1/14) of the last ${EMA_WINDOW} consecutive close-to-close moves (${EMA_WINDOW + 1} bars; a missing bar restarts the warm-up)`, 'seed §7.1'),
  f('macd', 'price', 'price', 'perp_bars', EMA_WINDOW, 'fraction of close', `MACD line: EMA12 - EMA26 of the last ${EMA_WINDOW} consecutive closes, over the close`, 'seed §7.1'),
  f('macd_signal', 'price', 'price', 'perp_bars', 2 * EMA_WINDOW - 1, 'fraction of close', `MACD signal: EMA9 of the last ${EMA_WINDOW} consecutive MACD line values (${2 * EMA_WINDOW - 1} bars), over the close`, 'seed §7.1'),
  f('macd_hist', 'price', 'price', 'perp_bars', 2 * EMA_WINDOW - 1, 'fraction of close', 'MACD histogram: MACD line - signal', 'seed §7.1'),
  f('bb_pctb_20', 'price', 'price', 'perp_bars', 20, 'fraction of band width', 'Bollinger %b (20 bars, 2 population stdevs): 0 = lower band, 1 = upper', 'seed §7.1'),
  f('vol_ratio_24', 'volume', 'volume', 'perp_bars', 24, 'ratio', 'bar volume over its 24-bar mean (current bar included)', 'seed §7.2'),
  f('vwap_dist_24', 'volume', 'volume', 'perp_bars', 24, 'fraction', 'close over the 24-bar VWAP of the typical price, minus 1', 'seed §7.2'),
  f('rv_ratio_24_168', 'volume', 'volume', 'perp_bars', 169, 'ratio', 'short/long volatility ratio: rv_24 / rv_168', 'seed §7.2, §5.1.4'),
  f('parkinson_24', 'volume', 'volume', 'perp_bars', 24, 'per-bar volatility', 'Parkinson high-low volatility over 24 bars', 'seed §7.2'),
  f('volume_trend_24', 'volume', 'volume', 'perp_bars', 24, 'fraction of mean volume per bar', 'least-squares slope of volume over 24 bars, over the mean volume', 'seed §7.2'),
  f('taker_imb_24', 'volume', 'trade_flow', 'trades', 24, '-1..1', 'perp taker-flow imbalance from trades: (buy - sell) / (buy + sell) taker volume over 24 consecutive known bars; NULL without trades (see the trade-flow rule)', 'seed §7.2, H4'),
  f('funding_rate', 'derivatives', 'funding', 'funding', 1, 'fraction per settlement interval', 'last settled funding rate (longs pay when > 0)', 'seed §7.3, H2'),
  f('funding_mean_24', 'derivatives', 'funding', 'funding', 24, 'fraction per interval', 'mean of the last 24 settled rates', 'seed §7.3'),
  f('funding_z_168', 'derivatives', 'funding', 'funding', 168, 'z-score', 'last rate against the mean and stdev of the last 168', 'seed §7.3'),
  f('funding_cum_24', 'derivatives', 'funding', 'funding', 24, 'fraction', 'sum of the last 24 settled rates', 'seed §7.3'),
  f('funding_cum_168', 'derivatives', 'funding', 'funding', 168, 'fraction', 'sum of the last 168 settled rates', 'seed §7.3'),
  f('funding_pos_share_48', 'derivatives', 'funding', 'funding', 48, 'fraction', 'share of positive rates among the last 48 (persistence)', 'seed §7.3'),
  f('oi_chg_1', 'derivatives', 'open_interest', 'open_interest', 2, 'fraction', 'open-interest change over the last print', 'seed §7.3'),
  f('oi_chg_24', 'derivatives', 'open_interest', 'open_interest', 25, 'fraction', 'open-interest change over 24 prints', 'seed §7.3'),
  f('oi_dist_168', 'derivatives', 'open_interest', 'open_interest', 168, 'fraction', 'open interest over its 168-print mean, minus 1', 'seed §7.3'),
  f('price_oi_divergence', 'derivatives', 'derived', 'grid', 25, 'flag 0/1', '1 when the 24-bar price change and 24-print OI change have opposite signs', 'seed §7.3'),
  f('basis', 'perp_spot', 'basis', 'spot_bars', 1, 'fraction', 'perp close / spot close - 1 at the same bar close', 'H1, seed §7.3'),
  f('mark_basis', 'perp_spot', 'basis', 'spot_bars', 1, 'fraction', 'perp mark close / spot close - 1 (NULL without mark bars)', 'H1, seed §7.3'),
  f('basis_mean_24', 'perp_spot', 'basis', 'spot_bars', 24, 'fraction', 'mean basis over 24 bars', 'H1'),
  f('basis_z_168', 'perp_spot', 'basis', 'spot_bars', 168, 'z-score', 'basis against its 168-bar mean and stdev', 'H1'),
  f('basis_pctile_168', 'perp_spot', 'basis', 'spot_bars', 168, 'fraction', 'share of the last 168 basis values at or below the current one', 'H1'),
  f('basis_slope_24', 'perp_spot', 'basis', 'spot_bars', 24, 'fraction per bar', 'least-squares slope of the basis over 24 bars, against bar index in event-time order', 'H1'),
  f('basis_sign_run', 'perp_spot', 'basis', 'spot_bars', 168, 'bars', 'consecutive bars with the sign of the current basis, capped at 168 (a missing bar restarts the run)', 'H1'),
  f('basis_half_life_168', 'perp_spot', 'basis', 'spot_bars', 169, 'bars', 'half-life of an AR(1) fit on exactly 168 pairs (b_t, b_t-1) of consecutive bars (NULL unless 0 < phi < 1)', 'H1'),
  f('funding_basis_gap', 'perp_spot', 'derived', 'grid', 24, 'fraction per 8 h', 'carry alignment: 24-bar mean basis minus the last settled funding rate restated per 8 h (rate x 8 / interval hours), the premium convention funding tracks', 'H2'),
  f('funding_basis_gap_vel_8', 'perp_spot', 'derived', 'grid', 32, 'fraction per 8 h', 'change of funding_basis_gap over the last 8 decisions (each computed at its own decision time)', 'H2'),
  ...[1, 3, 6].map((k) =>
    f(`perp_spot_ret_delta_${k}`, 'perp_spot', 'basis', 'spot_bars', k + 1, 'fraction', `perp return minus spot return over ${k} bars (lead-lag)`, 'H3'),
  ),
  f('flow_div_barproxy_24', 'perp_spot', 'basis', 'spot_bars', 24, '-2..2', 'perp minus spot signed-flow imbalance over 24 bars; flow proxied by bar volume signed by bar direction (no trades)', 'H4'),
  f('taker_imb_spot_24', 'perp_spot', 'trade_flow', 'trades', 24, '-1..1', 'spot taker-flow imbalance from trades over 24 bars (as taker_imb_24, on the spot reference)', 'H4'),
  f('flow_div_trades_24', 'perp_spot', 'trade_flow', 'trades', 24, '-2..2', 'perp minus spot taker-flow imbalance from trades over 24 bars known on both legs (the signed flow the bar proxy stands in for)', 'H4'),
  f('perp_spot_activity_24', 'perp_spot', 'basis', 'spot_bars', 24, 'ratio', 'perp over spot quote volume over 24 bars', 'H5'),
  f('liquidity_stress', 'perp_spot', 'derived', 'grid', 24, 'ratio', "liquidity stress: the last bar's high-low range over rv_24 (range relative to volatility; no spreads in bar data)", 'H5'),
  f('settle_time_to_next_h', 'perp_spot', 'derived', 'grid', 0, 'hours', 'time to the next funding settlement (instrument cadence, from 00:00 UTC); exactly at a settlement the next one is a full interval away', 'H6'),
  f('settle_in_window', 'perp_spot', 'derived', 'grid', 0, 'flag 0/1', '1 when the next settlement is at most max(settlement window, one decision bar) away, so the decision before each settlement is flagged at every timeframe', 'H6'),
  f('beta_btc_168', 'cross_asset', 'cross_asset', 'btc_bars', 169, 'ratio', 'beta of 1-bar log returns to the BTC perp over 168 bars', 'seed §7.4'),
  f('corr_btc_168', 'cross_asset', 'cross_asset', 'btc_bars', 169, 'correlation', 'correlation of 1-bar log returns with the BTC perp over 168 bars', 'seed §7.4'),
  ...[1, 2, 4].map((k) =>
    f(`corr_btc_lag${k}_168`, 'cross_asset', 'cross_asset', 'btc_bars', 169 + k, 'correlation', `correlation with BTC's return ${k} bars earlier, over 168 bars`, 'seed §7.4'),
  ),
  f('rel_strength_btc_24', 'cross_asset', 'cross_asset', 'btc_bars', 25, 'fraction', '24-bar return minus the BTC perp 24-bar return', 'seed §7.4'),
  f('funding_diff_btc', 'cross_asset', 'derived', 'grid', 1, 'fraction per interval', 'last settled funding minus the BTC perp last settled funding', 'seed §7.4'),
  f('vol_regime', 'regime', 'derived', 'grid', 169, '-1/0/1', 'volatility regime from rv_ratio_24_168: low below 0.7, high above 1.5 (seed §5.1.4)', 'seed §5.1.4'),
  f('trend_regime', 'regime', 'derived', 'grid', 168, '-1/1', 'trend regime: 1 when the 24-bar SMA is above the 168-bar SMA', 'seed §5.1'),
  f('liq_cascade', 'regime', 'derived', 'grid', 24, 'flag 0/1', 'liquidation-cascade detector: 2 of 3 of |return| > 2 rv_24, volume > 3x mean, OI drop > 5%; NULL when open interest is unknown and the answer depends on it', 'seed §5.1.2'),
];

export const FEATURE_NAMES: readonly string[] = FEATURES.map((x) => x.name);

/** Age columns written next to the features: one per joined input. */
export const AGE_COLUMNS = ['perp_bars_age_ms', 'funding_age_ms', 'open_interest_age_ms', 'spot_bars_age_ms', 'btc_bars_age_ms'] as const;

/** Features configuration; every number with its default and reason. */
export const FeaturesConfigSchema = z.object({
  /** decision_time = bar close + this, ms; covers the default 2 s bar and 5 s funding publication delays */
  decision_latency_ms: z.number().int().nonnegative().default(5_000),
  /**
   * a bar-derived input is stale (NULL) when older than the decision latency plus this many bars:
   * 0.5 keeps only the bar that just closed; a missing, late or quarantined bar makes that
   * decision's bar features NULL rather than one bar old
   */
  bar_max_age_bars: z.number().positive().default(0.5),
  /** funding older than its settlement interval plus this grace is stale, hours */
  funding_grace_hours: z.number().nonnegative().default(1),
  /** settlement interval assumed when the instrument does not say, hours */
  default_funding_interval_hours: z.number().positive().default(8),
  /** open interest older than this is stale, ms */
  open_interest_max_age_ms: z.number().int().positive().default(2 * 3_600_000),
  /** two open-interest prints further apart than this are not consecutive (a window across them is incomplete), ms */
  open_interest_max_gap_ms: z.number().int().positive().default(2 * 3_600_000),
  /** rows loaded before --from for lookbacks, in bars (covers the longest window: the MACD signal's 379 bars) */
  warmup_bars: z.number().int().positive().default(600),
  /** funding prints loaded before --from for lookbacks */
  warmup_funding_prints: z.number().int().positive().default(200),
  vol_regime_low: z.number().default(0.7),
  vol_regime_high: z.number().default(1.5),
  /** settle_in_window is 1 this long before a settlement, ms */
  settle_window_ms: z.number().int().nonnegative().default(30 * 60_000),
  cascade_z: z.number().default(2),
  cascade_volume: z.number().default(3),
  cascade_oi_drop: z.number().default(0.05),
  /**
   * trade flow: a bar's taker flow is the snapshot of its trades available this long after its
   * close (later trades are counted as late and left out), ms; keep it below the decision latency
   * so that the bar that just closed is usable at its decision
   */
  trade_flow_grace_ms: z.number().int().nonnegative().default(2_000),
  /** labels priced on trades: an entry or exit trade later than intended by this much is a gap (NULL label), ms */
  label_trade_max_gap_ms: z.number().int().positive().default(60_000),
  /** the perp the cross-asset family compares against */
  btc_symbol: z.string().default('BTC-PERP'),
  /** price type of the bars the price and volume families read */
  price: z.enum(PRICE_TYPES).default('last'),
});
export type FeaturesConfig = z.infer<typeof FeaturesConfigSchema>;
export const DEFAULT_FEATURES_CONFIG: FeaturesConfig = FeaturesConfigSchema.parse({});

/** The features dataset: one row per (venue, symbol, timeframe, decision time = event_time). */
export function featuresSpec(): DatasetSpec {
  const clocks = DATASETS.bars.columns.filter((c) => ['event_time', 'available_time', 'source', 'ingest_time'].includes(c.name));
  const cols: ColumnSpec[] = [
    ...clocks.map((c) =>
      c.name === 'event_time'
        ? { ...c, doc: 'decision time: bar close + decision latency, UTC' }
        : c.name === 'available_time'
          ? { ...c, doc: 'equal to the decision time: every value was computed from rows available then' }
          : c,
    ),
    ...AGE_COLUMNS.map((a) => ({ name: a, type: 'BIGINT' as const, nullable: true, doc: 'age of the input at the decision time (decision_time - its event_time), ms; NULL if none yet' })),
    ...FEATURES.map((x) => ({ name: x.name, type: 'DOUBLE' as const, nullable: true, doc: `${x.meaning} [${x.unit}]` })),
  ];
  return {
    // Derived dataset: same store, its own spec (not a raw dataset of DATASET_NAMES).
    name: 'features' as DatasetName,
    doc: 'point-in-time features on the decision grid',
    partitionKeys: ['venue', 'symbol', 'timeframe'],
    timeKey: 'month',
    columns: cols,
    naturalKey: ['venue', 'symbol', 'timeframe', 'event_time'],
    bulkNumbers: true,
  };
}


export function labelsSpec(): DatasetSpec {
  const clocks = DATASETS.bars.columns.filter((c) => ['event_time', 'available_time', 'source', 'ingest_time'].includes(c.name));
  const t = (name: string, doc: string): ColumnSpec => ({ name, type: 'TIMESTAMP', nullable: false, doc });
  const d = (name: string, doc: string, nullable = false): ColumnSpec => ({ name, type: 'DOUBLE', nullable, doc });
  return {
    name: 'labels' as DatasetName,
    doc: 'forward-return labels on the decision grid, one row per horizon; never joined to features outside split/research/train/backtest',
    partitionKeys: ['venue', 'symbol', 'timeframe'],
    timeKey: 'month',
    columns: [
      ...clocks.map((c) =>
        c.name === 'event_time'
          ? { ...c, doc: 'decision time the label belongs to, UTC' }
          : c.name === 'available_time'
            ? { ...c, doc: 'when the label is known: when its exit price was available (with rel_return: the later of the perp and spot exit prices)' }
            : c,
      ),
      { name: 'horizon', type: 'VARCHAR', nullable: false, doc: 'label horizon, e.g. 4h' },
      { name: 'horizon_ms', type: 'BIGINT', nullable: false, doc: 'label horizon, ms' },
      t('entry_time', 'time of the entry price: first trade, else first bar open of the finest bars present, at or after decision + execution latency'),
      d('entry_price', 'entry price (a trade price or a bar open), quote currency'),
      { name: 'entry_source', type: 'VARCHAR', nullable: false, doc: 'what priced the entry: trades, or bars:<timeframe>' },
      t('exit_time', 'time of the exit price: first trade or finest bar open at or after decision + execution latency + horizon'),
      d('exit_price', 'exit price, quote currency'),
      { name: 'exit_source', type: 'VARCHAR', nullable: false, doc: 'what priced the exit: trades, or bars:<timeframe>' },
      t('label_end_time', "end of the label window (the exit time; the spot leg's prices are at or before it); purging uses [event_time, label_end_time]"),
      d('fwd_return', 'exit_price / entry_price - 1 (a long position), fraction'),
      d('round_trip_cost', 'cost of entering and leaving, fraction of notional'),
      d('cost_return', 'fwd_return - round_trip_cost, fraction'),
      d('spot_entry_price', "the perp's spot reference at the entry: its last price at or before the perp's entry_time (the open of the spot bar under way, or the last trade), younger than the perp's and the spot's granularity; NULL without a spot reference or on a spot gap", true),
      d('spot_exit_price', "the spot reference at the exit: its last price at or before the perp's exit_time, as spot_entry_price (and later than it)", true),
      d('rel_return', "perp minus spot return over the same window: fwd_return - (spot_exit_price / spot_entry_price - 1), fraction; what basis convergence and lead-lag move; NULL without a spot reference, on a spot gap, or where the spot data is coarser than the perp's or the horizon", true),
    ],
    naturalKey: ['venue', 'symbol', 'timeframe', 'event_time', 'horizon'],
  };
}


/** Derived datasets written by perpkit steps (besides the raw datasets of DATASETS). */
export function derivedSpecs(): DatasetSpec[] {
  return [featuresSpec(), labelsSpec()];
}
