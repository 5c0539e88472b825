import { z } from 'zod';

/**
 * Backtest configuration: every number that changes a result, with its default and the reason.
 * A run's resolved config is written into its manifest; `--rerun` reads it back from there.
 * Times are milliseconds in the config (people write them) and microseconds inside the engine.
 */

/** One fee tier: the 30-day volume from which it applies and its rates (fractions of notional). */
export const FeeTierSchema = z.object({
  name: z.string(),
  /** 30-day traded volume from which the tier applies, USD */
  min_volume_30d: z.number().nonnegative(),
  /** maker fee, fraction of notional (0.004 = 0.40 %) */
  maker: z.number().min(-0.001).max(0.05),
  /** taker fee, fraction of notional */
  taker: z.number().min(0).max(0.05),
});
export type FeeTier = z.infer<typeof FeeTierSchema>;

/**
 * Built-in fee schedules, used when the instruments dataset carries no `fee_tiers`.
 * coinbase: Coinbase Advanced Trade tiers as published (0.40 %/0.60 % below 10 K USD a month down
 * to 0 %/0.05 % above 400 M USD; the seed's table quotes an older 10-50 K row of 0.35 %/0.55 %).
 * binance-usdm: Binance USD-M futures VIP 0-9 (USDT margined, no BNB discount).
 */
/**
 * One maintenance-margin bracket: positions of notional (at mark) up to max_notional may use up to
 * max_leverage; maintenance margin = notional x mmr - cum (cum makes the margin continuous across
 * brackets: cum_k = cum_(k-1) + max_notional_(k-1) x (mmr_k - mmr_(k-1))). Brackets ascend.
 */
export const MarginTierSchema = z
  .object({
    max_notional: z.number().positive(),
    max_leverage: z.number().positive(),
    mmr: z.number().nonnegative().max(1),
    cum: z.number().nonnegative().default(0),
  })
  .strict();
export type MarginTier = z.infer<typeof MarginTierSchema>;

/**
 * Built-in bracket tables by venue and base asset (margin.tiers: venue). Provenance: Binance
 * USD-M's published leverage and margin table for BTCUSDT (the shape of the brackets as of 2023:
 * 0.4 % up to 50 k USDT at 125x ... 50 % above 300 M at 1x); the venue changes it from time to
 * time and the live table (GET /fapi/v1/leverageBracket) needs an API key, so check it against
 * the venue's page and give your own margin.tiers when it matters. Coinbase publishes initial and
 * maintenance margin per product without size brackets for its US perpetual-style futures: no
 * table here, maintenance_rate applies.
 */
export const MARGIN_TIERS: Record<string, Record<string, MarginTier[]>> = {
  'binance-usdm': {
    BTC: [
      { max_notional: 50_000, max_leverage: 125, mmr: 0.004, cum: 0 },
      { max_notional: 250_000, max_leverage: 100, mmr: 0.005, cum: 50 },
      { max_notional: 3_000_000, max_leverage: 50, mmr: 0.01, cum: 1_300 },
      { max_notional: 15_000_000, max_leverage: 20, mmr: 0.025, cum: 46_300 },
      { max_notional: 30_000_000, max_leverage: 10, mmr: 0.05, cum: 421_300 },
      { max_notional: 80_000_000, max_leverage: 5, mmr: 0.1, cum: 1_921_300 },
      { max_notional: 100_000_000, max_leverage: 4, mmr: 0.125, cum: 3_921_300 },
      { max_notional: 200_000_000, max_leverage: 3, mmr: 0.15, cum: 6_421_300 },
      { max_notional: 300_000_000, max_leverage: 2, mmr: 0.25, cum: 26_421_300 },
      { max_notional: 500_000_000, max_leverage: 1, mmr: 0.5, cum: 101_421_300 },
    ],
  },
};

/** The maintenance brackets of margin.tiers for one instrument, or null (maintenance_rate for every size). */
export function marginTiersFor(tiers: 'none' | 'venue' | MarginTier[], venue: string, symbol: string): MarginTier[] | null {
  if (tiers === 'none') return null;
  if (Array.isArray(tiers)) return tiers;
  const key = venue.startsWith('binance') ? 'binance-usdm' : venue;
  const base = symbol.toUpperCase().replace(/[-_/]?(PERP|USDT|USDC|USD|INTX)([-_/].*)?$/, '');
  return MARGIN_TIERS[key]?.[base] ?? null;
}

export const FEE_SCHEDULES: Record<string, FeeTier[]> = {
  coinbase: [
    { name: '0', min_volume_30d: 0, maker: 0.004, taker: 0.006 },
    { name: '1', min_volume_30d: 10_000, maker: 0.0025, taker: 0.004 },
    { name: '2', min_volume_30d: 50_000, maker: 0.0015, taker: 0.0025 },
    { name: '3', min_volume_30d: 100_000, maker: 0.001, taker: 0.002 },
    { name: '4', min_volume_30d: 1_000_000, maker: 0.0008, taker: 0.0018 },
    { name: '5', min_volume_30d: 15_000_000, maker: 0.0006, taker: 0.0016 },
    { name: '6', min_volume_30d: 75_000_000, maker: 0.0003, taker: 0.0012 },
    { name: '7', min_volume_30d: 250_000_000, maker: 0, taker: 0.0008 },
    { name: '8', min_volume_30d: 400_000_000, maker: 0, taker: 0.0005 },
  ],
  'binance-usdm': [
    { name: 'VIP0', min_volume_30d: 0, maker: 0.0002, taker: 0.0005 },
    { name: 'VIP1', min_volume_30d: 15_000_000, maker: 0.00016, taker: 0.0004 },
    { name: 'VIP2', min_volume_30d: 50_000_000, maker: 0.00014, taker: 0.00035 },
    { name: 'VIP3', min_volume_30d: 100_000_000, maker: 0.00012, taker: 0.00032 },
    { name: 'VIP4', min_volume_30d: 600_000_000, maker: 0.0001, taker: 0.0003 },
    { name: 'VIP5', min_volume_30d: 1_000_000_000, maker: 0.00008, taker: 0.00027 },
    { name: 'VIP6', min_volume_30d: 3_000_000_000, maker: 0.00006, taker: 0.00025 },
    { name: 'VIP7', min_volume_30d: 5_000_000_000, maker: 0.00004, taker: 0.00022 },
    { name: 'VIP8', min_volume_30d: 12_500_000_000, maker: 0.00002, taker: 0.0002 },
    { name: 'VIP9', min_volume_30d: 25_000_000_000, maker: 0, taker: 0.00017 },
  ],
};

export const SLIPPAGE_MODES = ['none', 'fixed', 'formula'] as const;
export const SIZING_MODES = ['fixed_notional', 'fixed_fraction', 'vol_target'] as const;
export const FUNDING_MISSING = ['error', 'zero', 'last'] as const;
export type FundingMissing = (typeof FUNDING_MISSING)[number];

export const BacktestConfigSchema = z
  .object({
    /** starting cash, quote currency (USD/USDT) */
    initial_cash: z.number().positive().default(100_000),
    /** seed of the only random generator (slippage noise); named in the manifest */
    seed: z.number().int().nonnegative().default(42),
    execution: z
      .object({
        /**
         * time from decision to arrival at the venue, ms. The decision itself is already the bar
         * close + the features' decision latency (5 s), so a market order arrives 5.25 s after the
         * close of the bar that produced its signal and fills at the next price after that.
         */
        latency_ms: z.number().nonnegative().default(250),
        /** share of a bar's volume that the fills of one symbol may take in that bar (flash crashes, thin bars) */
        max_volume_share: z.number().positive().max(1).default(0.1),
        /** price ticks a limit must be traded through before it fills (touching it is not enough) */
        limit_penetration_ticks: z.number().int().nonnegative().default(1),
        /** tick size used when the instruments dataset gives none, quote currency */
        default_tick_size: z.number().positive().default(0.01),
        /**
         * what orders execute on: trades = the trade prints of the trades dataset (an error when a
         * symbol has none), bars = the bars only, auto = prints where the trades dataset has them,
         * else bars (the fills' source column says which)
         */
        source: z.enum(['auto', 'trades', 'bars']).default('auto'),
      })
      .strict()
      .prefault({}),
    fees: z
      .object({
        /**
         * tier name (e.g. "0", "8", "VIP0") or index into the venue's schedule; "auto": the tier
         * follows the account's trailing 30-day traded notional as the run goes (fills already done)
         */
        tier: z.string().default('0'),
        /** override the schedule of every venue (else instruments.fee_tiers, else the built-in one) */
        schedule: z.array(FeeTierSchema).optional(),
      })
      .strict()
      .prefault({}),
    slippage: z
      .object({
        mode: z.enum(SLIPPAGE_MODES).default('formula'),
        /** fixed mode: slippage of every taker fill, bps */
        fixed_bps: z.number().nonnegative().default(2),
        /** formula: half-spread estimate when there are no quotes, bps */
        half_spread_bps: z.number().nonnegative().default(1),
        /** formula: base bps scaled by sigma_t / sigma_ref */
        base_bps: z.number().nonnegative().default(2),
        /** formula: impact coefficient k in k x sigma_t x sqrt(q / ADV) (converted to bps) */
        impact_k: z.number().nonnegative().default(1),
        /** completed bars in sigma_t (per-bar stdev of log returns) */
        sigma_bars: z.number().int().min(2).default(24),
        /** completed bars in sigma_ref */
        sigma_ref_bars: z.number().int().min(2).default(168),
        /** days of completed bars averaged into ADV (quote volume per day) */
        adv_days: z.number().positive().default(1),
        /** multiplicative noise: slippage x max(0, 1 + noise x N(0,1)); 0 = deterministic */
        noise: z.number().nonnegative().default(0),
      })
      .strict()
      .prefault({}),
    funding: z
      .object({
        /** a settlement missing while a position is open: error (exit 3), or charge zero, or the last rate */
        missing: z.enum(FUNDING_MISSING).default('error'),
        /** a print is missing when nothing has arrived this long after its scheduled time, ms */
        grace_ms: z.number().nonnegative().default(3_600_000),
        /** settlement interval when neither the rows nor the instrument say, hours */
        default_interval_hours: z.number().positive().default(8),
      })
      .strict()
      .prefault({}),
    margin: z
      .object({
        /**
         * isolated: each position's loss is capped at its own margin, liquidated on its own price;
         * cross: the account's equity backs every position, all are liquidated together when it
         * falls to the total maintenance margin (loss capped at the account's equity)
         */
        mode: z.enum(['isolated', 'cross']).default('isolated'),
        /** leverage of each position: initial margin = notional / leverage */
        leverage: z.number().positive().default(3),
        /** maintenance margin, fraction of notional at mark (Binance BTC tier 1: 0.4 %) */
        maintenance_rate: z.number().nonnegative().max(0.5).default(0.005),
        /**
         * maintenance margin by position size: none = maintenance_rate for every size; venue =
         * the built-in bracket table of the venue and base asset where one is known
         * (MARGIN_TIERS), else maintenance_rate; or a table of brackets given here
         */
        tiers: z.union([z.enum(['none', 'venue']), z.array(MarginTierSchema).min(1)]).default('none'),
        /** liquidation fee, fraction of the liquidated notional */
        liquidation_fee_rate: z.number().nonnegative().default(0.005),
      })
      .strict()
      .prefault({}),
    sizing: z
      .object({
        mode: z.enum(SIZING_MODES).default('vol_target'),
        /** fixed_notional: notional per symbol at weight 1, quote currency */
        notional: z.number().positive().default(10_000),
        /** fixed_fraction: fraction of equity per symbol at weight 1 */
        fraction: z.number().positive().default(0.1),
        /** vol_target: annualised volatility targeted per position (0.15 = 15 %, seed §9.1) */
        target_vol: z.number().positive().default(0.15),
        /** vol_target: completed bars in the asset volatility estimate */
        vol_bars: z.number().int().min(2).default(168),
        /** max position notional, fraction of equity (seed §9.1: 0.2) */
        max_position_pct: z.number().positive().default(0.2),
        /** max gross notional over equity (seed §9.1: 3) */
        max_gross_leverage: z.number().positive().default(3),
        /** orders below this notional are not sent, quote currency (seed §9.1: 100) */
        min_order_notional: z.number().nonnegative().default(100),
        /** a target change smaller than this share of the position is not traded (keeps vol targeting from churning) */
        rebalance_threshold: z.number().nonnegative().default(0.1),
      })
      .strict()
      .prefault({}),
    drawdown: z
      .object({
        enabled: z.boolean().default(true),
        /** drawdown from the peak at which sizes are reduced (seed §9.2: 10 %) */
        warning: z.number().positive().default(0.1),
        /** drawdown at which everything is flattened and trading halts (seed §9.2: 15 %) */
        max: z.number().positive().default(0.15),
        /** hours after a halt before trading resumes, with the peak reset to equity then */
        cooldown_hours: z.number().nonnegative().default(24),
        /** size multiplier in the reduced state */
        reduced_size: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .prefault({}),
    regime_filter: z
      .object({
        enabled: z.boolean().default(true),
        /** no new exposure when sigma_24 / sigma_168 of completed bars exceeds this (seed §9.3: 3) */
        vol_shutdown: z.number().positive().default(3),
        /** cross-asset strategies: no new exposure when |corr_btc_168| is below this */
        min_correlation: z.number().min(0).max(1).default(0.3),
        /** carry/funding strategies: no new exposure when |last funding rate| exceeds this, bps */
        max_funding_bps: z.number().positive().default(50),
      })
      .strict()
      .prefault({}),
    kill_switch: z
      .object({
        enabled: z.boolean().default(true),
        /** loss since the start of the UTC day, fraction of that day's opening equity */
        daily_loss: z.number().positive().default(0.05),
        /** no bar of a held symbol for this long, ms */
        stale_data_ms: z.number().positive().default(3 * 3_600_000),
        /** this many order rejections in a row */
        max_consecutive_rejects: z.number().int().positive().default(20),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type BacktestConfig = z.infer<typeof BacktestConfigSchema>;
export const DEFAULT_BACKTEST_CONFIG: BacktestConfig = BacktestConfigSchema.parse({});

/** Deep-merges a partial config (from YAML/JSON or flags) over the defaults and validates it. */
export function parseBacktestConfig(input: unknown): BacktestConfig {
  return BacktestConfigSchema.parse(input ?? {});
}
