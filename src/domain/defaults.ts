/**
 * Defaults of the fetch, record, stats and synthetic settings, in one table. Services and flag
 * descriptions read their numbers from here; test/domain/parsing.test.ts checks every row that
 * the README documents against README.md, so a default cannot change without its documentation.
 */
import { TRAIN_DEFAULTS } from './train.js';
import { DEFAULT_VENUE_FETCH_CONFIG, RATE_LIMITS_PER_S } from './venue-config.js';

/** Times perpkit accepts on the command line: a plausible range for crypto market data. */
export const TIME_BOUNDS = {
  /** the Bitcoin genesis block; nothing in any dataset can be older */
  min_iso: '2009-01-03',
  /** exclusive */
  max_iso: '2100-01-01',
} as const;

/** `perpkit optimize` (services/optimize/run.ts): walk-forward windows that fit the bundled sample's 27 months. */
export const OPTIMIZE_DEFAULTS = {
  windows: 'rolling',
  train: '90d',
  test: '30d',
  /** covers the regime strategy's slowest window (168 hourly decisions) */
  warmup: '14d',
  objective: 'sharpe',
} as const;

/** `perpkit record` (services/record.ts). */
export const RECORD_DEFAULTS = {
  /** no frame (heartbeats included) for this long -> the connection is dropped and renewed */
  stale_ms: 30_000,
  /** buffered rows are written at least this often */
  flush_ms: 10_000,
  /** ... and as soon as this many rows are buffered */
  flush_rows: 50_000,
  /** past this many buffered rows the socket is paused until the writer catches up */
  max_buffer_rows: 200_000,
  /** first reconnect delay (doubles per failed attempt, full jitter) and its cap */
  backoff_base_ms: 500,
  backoff_max_ms: 30_000,
  connect_timeout_ms: 10_000,
  /** recent trade ids remembered per run to drop trades re-sent after a resubscribe */
  trade_id_memory: 200_000,
  /** how long the recorder winds down (flushing) after the first Ctrl-C / SIGTERM */
  interrupt_grace_ms: 120_000,
} as const;

/** `perpkit train` (services/train/): defined with the train domain. */
export { TRAIN_DEFAULTS };

/** `perpkit stats` (services/stats.ts). */
export const STATS_DEFAULTS = {
  /** name of the returns column */
  column: 'returns',
  /** CSCV blocks S (the paper's example) */
  blocks: 16,
  /** confidence of the minimum track record length */
  confidence: 0.95,
  /** VaR / CVaR level */
  varLevel: 0.95,
  /** columns taken as the time column when --time-column is not given, first match wins */
  timeColumns: ['event_time', 'time', 'timestamp', 'date', 'datetime'],
} as const;

/** `perpkit fetch --source synthetic` (services/synthetic.ts). */
export const SYNTHETIC_DEFAULTS = {
  seed: 42,
  timeframe: '1m',
  effects: 'default',
  funding_cadence: 'coinbase',
  /** trades and quotes (--with-ticks) for spans of at most this many days */
  max_tick_days: 31,
  /**
   * The simulated market starts here and runs forward; every window is cut from this one path, so
   * the same seed gives the same series for any --from/--to (two overlapping fetches agree).
   */
  epoch_iso: '2025-01-01',
  /** exclusive end of the simulated market (bounds the run-up simulated before --from) */
  end_iso: '2031-01-01',
} as const;

export interface DefaultRow {
  /** the setting, as the README names it */
  setting: string;
  /** the value as documented */
  value: string;
  /** the flag that overrides it, if any */
  flag: string;
  /** where the value lives */
  where: string;
}

const s = (ms: number): string => (ms % 60_000 === 0 && ms >= 300_000 ? `${ms / 60_000} min` : `${ms / 1000} s`);
const n = (x: number): string => x.toLocaleString('en-US');

/** The defaults table (the README documents these values). */
export function defaultsTable(): DefaultRow[] {
  const v = DEFAULT_VENUE_FETCH_CONFIG;
  const r = RECORD_DEFAULTS;
  return [
    { setting: 'staleness (no frame → reconnect)', value: s(r.stale_ms), flag: '--stale-timeout', where: 'record' },
    { setting: 'flush interval / size', value: `${s(r.flush_ms)} / ${n(r.flush_rows)} rows`, flag: '--flush-interval, --flush-rows', where: 'record' },
    { setting: 'buffer bound (socket paused above it)', value: `${n(r.max_buffer_rows)} rows`, flag: '--max-buffer-rows', where: 'record' },
    { setting: 'reconnect backoff', value: `${s(r.backoff_base_ms)} doubling to ${s(r.backoff_max_ms)}, jitter`, flag: '', where: 'record' },
    { setting: 'wind-down after Ctrl-C', value: `${s(r.interrupt_grace_ms)} (a second Ctrl-C ends at once)`, flag: '', where: 'record' },
    { setting: 'venue request rate', value: `Coinbase ${RATE_LIMITS_PER_S.coinbase}/s, Coinbase International ${RATE_LIMITS_PER_S['coinbase-intx']}/s, Binance USD-M ${RATE_LIMITS_PER_S['binance-usdm']}/s, Binance spot ${RATE_LIMITS_PER_S['binance-spot']}/s`, flag: '--rate-limit', where: 'fetch --venue' },
    { setting: 'retries of one request', value: `up to ${v.retry.max_retries}`, flag: '--max-retries', where: 'fetch --venue' },
    { setting: 'retry backoff', value: `exponential backoff from ${s(v.retry.base_delay_ms)} (capped at ${s(v.retry.max_delay_ms)}, with jitter), honouring Retry-After up to ${s(v.retry.max_retry_after_ms)}`, flag: '', where: 'fetch --venue' },
    { setting: 'request timeout', value: `${s(v.retry.timeout_ms)}`, flag: '', where: 'fetch --venue' },
    { setting: 'first fetch with nothing stored', value: `${v.initial_lookback_ms / 86_400_000} day back`, flag: '--from', where: 'fetch --venue' },
    { setting: 'bar publication delay (REST)', value: `close + ${s(v.delays.bars_ms)}`, flag: '--bar-delay', where: 'fetch --venue' },
    { setting: 'funding publication delay (REST)', value: `settlement + ${s(v.delays.funding_ms)}`, flag: '--funding-delay', where: 'fetch --venue' },
    { setting: 'trade publication delay (REST)', value: `trades + ${s(v.delays.trades_ms)}`, flag: '--trade-delay', where: 'fetch --venue' },
    { setting: 'Binance OI history delay', value: `+ ${s(v.delays.open_interest_ms)}`, flag: '--oi-delay', where: 'fetch --venue' },
    { setting: 'synthetic seed', value: String(SYNTHETIC_DEFAULTS.seed), flag: '--seed', where: 'fetch --source synthetic' },
    { setting: 'synthetic timeframe', value: SYNTHETIC_DEFAULTS.timeframe, flag: '--timeframe', where: 'fetch --source synthetic' },
    { setting: 'synthetic ticks span', value: `at most ${SYNTHETIC_DEFAULTS.max_tick_days} days`, flag: '--with-ticks', where: 'fetch --source synthetic' },
    { setting: 'synthetic market span', value: `${SYNTHETIC_DEFAULTS.epoch_iso} to ${SYNTHETIC_DEFAULTS.end_iso}`, flag: '--from, --to', where: 'fetch --source synthetic' },
    { setting: 'stats returns column', value: STATS_DEFAULTS.column, flag: '--column', where: 'stats' },
    { setting: 'stats CSCV blocks', value: String(STATS_DEFAULTS.blocks), flag: '--blocks', where: 'stats' },
    { setting: 'stats MinTRL confidence', value: String(STATS_DEFAULTS.confidence), flag: '--confidence', where: 'stats' },
    { setting: 'optimize windows', value: `${OPTIMIZE_DEFAULTS.windows}, train ${OPTIMIZE_DEFAULTS.train}, test ${OPTIMIZE_DEFAULTS.test}`, flag: '--windows, --train, --test', where: 'optimize' },
    { setting: 'optimize objective', value: OPTIMIZE_DEFAULTS.objective, flag: '--objective', where: 'optimize' },
    { setting: 'train walk-forward windows', value: `${TRAIN_DEFAULTS.train_ms / 86_400_000} d train / ${TRAIN_DEFAULTS.test_ms / 86_400_000} d test, step = test, purge = label horizon, embargo ${TRAIN_DEFAULTS.embargo_bars} bars`, flag: '--train, --test, --step, --purge, --embargo', where: 'train' },
    { setting: 'train label / target', value: `${TRAIN_DEFAULTS.label} / ${TRAIN_DEFAULTS.target}`, flag: '--label, --target', where: 'train' },
    { setting: 'logistic L2 penalty', value: String(TRAIN_DEFAULTS.l2), flag: '--l2', where: 'train' },
    { setting: 'winsorising quantile (training part)', value: String(TRAIN_DEFAULTS.winsor), flag: '--winsor', where: 'train' },
    { setting: 'three-class neutral band', value: `quantile ${TRAIN_DEFAULTS.neutral_quantile} of training abs(return)`, flag: '--neutral-quantile', where: 'train' },
    { setting: 'inference latency (prediction available_time)', value: s(TRAIN_DEFAULTS.inference_latency_ms), flag: '--inference-latency', where: 'train' },
    { setting: 'XGBoost trees / depth / eta', value: `${TRAIN_DEFAULTS.xgb_trees} / ${TRAIN_DEFAULTS.xgb_depth} / ${TRAIN_DEFAULTS.xgb_eta}`, flag: '--trees, --max-depth, --eta', where: 'train' },
    { setting: 'retraining schedule', value: `every ${TRAIN_DEFAULTS.retrain_every_ms / 86_400_000} d`, flag: '--every', where: 'train --retrain' },
    { setting: 'paper capital / duration / bar', value: `${n(PAPER_DEFAULTS.capital)} / ${PAPER_DEFAULTS.duration_ms / 86_400_000} d / ${PAPER_DEFAULTS.bar}`, flag: '--capital, --duration, --bar', where: 'paper' },
    { setting: 'paper bar close (after its end)', value: s(PAPER_DEFAULTS.bar_grace_ms), flag: '--bar-grace', where: 'paper' },
    { setting: 'paper outputs and checkpoint written every', value: s(PAPER_DEFAULTS.flush_ms), flag: '--flush-interval', where: 'paper' },
    { setting: 'paper replay tolerance (fill price / final equity)', value: `${PAPER_DEFAULTS.fill_tolerance_bps} bps / ${PAPER_DEFAULTS.equity_tolerance * 100}%`, flag: '--fill-tolerance', where: 'paper --replay' },
    { setting: 'monitor period / horizon', value: `${MONITOR_DEFAULTS.window} decisions / ${MONITOR_DEFAULTS.horizon} bar`, flag: '--window, --horizon', where: 'monitor' },
    { setting: 'monitor minimum IC / IC decay', value: `${MONITOR_DEFAULTS.min_ic} / down ${MONITOR_DEFAULTS.max_ic_drop * 100}% from its history`, flag: '--min-ic, --max-ic-drop', where: 'monitor' },
    { setting: 'monitor stale stream', value: `no bar for ${MONITOR_DEFAULTS.stale_bars} bars`, flag: '--stale-bars', where: 'monitor' },
    { setting: 'report chart points per series', value: `${REPORT_DEFAULTS.display_buckets} buckets (min and max of each kept)`, flag: '', where: 'report' },
    { setting: 'accepted times', value: `${TIME_BOUNDS.min_iso} to before ${TIME_BOUNDS.max_iso}`, flag: '--from, --to', where: 'every command' },
  ];
}

/** The table as Markdown, as the README should carry it. */
export function defaultsMarkdown(): string {
  const rows = defaultsTable().map((d) => `| ${d.setting} | ${d.value} | ${d.flag ? `\`${d.flag.split(', ').join('`, `')}\`` : ''} | ${d.where} |`);
  return ['| setting | default | flag | command |', '|---|---|---|---|', ...rows].join('\n');
}

/** Defaults of `perpkit paper` and `perpkit monitor` (docs/paper.md). */
export const PAPER_DEFAULTS = {
  capital: 100_000,
  duration_ms: 30 * 86_400_000,
  bar: '1m',
  /** a bar closes this long after its end (trades still in flight are counted) */
  bar_grace_ms: 2_000,
  /** outputs, checkpoint and status written at least this often */
  flush_ms: 60_000,
  /** how often the loop checks for closed bars */
  tick_ms: 250,
  /** trailing bar slots of the features' tail recompute (>= BLOCK + the longest window: bit-identical to a full recompute) */
  tail_slots: 1024 + 400,
  /** replay tolerance of a fill's price vs the paper's, bps (latency jitter) */
  fill_tolerance_bps: 5,
  /** replay tolerance of the final equity, fraction */
  equity_tolerance: 0.001,
  interrupt_grace_ms: 30_000,
} as const;

export const REPORT_DEFAULTS = {
  /** charts keep the first/last point and each bucket's min and max of a long series (a year of 1m bars -> about 1,200 points) */
  display_buckets: 600,
} as const;

export const MONITOR_DEFAULTS = {
  /** observations (decision rows) per IC / Sharpe / hit-rate period */
  window: 50,
  /** seed §11.3: rolling_window: the recent IC is the mean of this many last periods */
  recent: 30,
  /** seed §11.3: the IC trend is the slope over this many last periods */
  trend: 30,
  /** forward horizon of the realised return, bars */
  horizon: 1,
  /** seed §11.3: minimum_ic: a recent IC below it is critical */
  min_ic: 0.01,
  /** seed §11.3: decay_threshold: recent IC down more than this fraction from its history is a warning */
  max_ic_drop: 0.5,
  /** a stream with no bar for this many bars is stale */
  stale_bars: 3,
} as const;
