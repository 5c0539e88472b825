/**
 * Marginal calibration of the synthetic market, measured on the real Binance candles in
 * ../shared/data/binance-candles by scripts/calibrate-synthetic.ts (numbers and method in
 * README.md next to this file). The generator never reads those files: the numbers live here.
 * XRP and DOGE have no overlapping perp/spot history in that folder: their volatility comes from
 * the short XRP file (XRP) or is assumed (DOGE), their correlation to BTC is assumed (marked).
 */

export interface AssetCalibration {
  /** base asset, e.g. BTC */
  base: string;
  /** standard deviation of 1-minute log returns (fraction), calm/stress mix and intraday profile averaged out */
  vol_per_minute: number;
  /** correlation of 1-minute returns with BTC's (1 for BTC) */
  corr_to_btc: number;
  /** mean perp-minus-spot log basis, basis points */
  basis_mean_bps: number;
  /** stationary standard deviation of the basis process, basis points (calm regime) */
  basis_std_bps: number;
  /** price on the first simulated minute, quote currency (USD) */
  start_price: number;
  /** minimum price increment of perp and spot, quote currency */
  tick_size: number;
  /** mean spot volume per minute, base units */
  spot_volume_per_minute: number;
  /** median perp/spot volume ratio */
  perp_spot_volume_ratio: number;
  /** mean spot trade size, base units (trade_count = volume / size; perp trades are larger by the volume ratio, so both see ~20 trades a minute) */
  trade_size: number;
  /** open interest at the start, base units */
  open_interest: number;
  /** mean settled funding per 8 hours, fraction */
  funding_mean_8h: number;
  /** standard deviation of the funding noise per 8 hours, fraction */
  funding_noise_std_8h: number;
}

/**
 * Per-asset numbers. vol_per_minute: std of 15m perp log returns / sqrt(15), 2024-01 .. 2026-04
 * (BTC 6.80e-4, ETH 9.40e-4, SOL 1.22e-3); XRP from its 1h file (1.10e-3, 4 days in 2021); DOGE
 * assumed 1.3e-3. corr_to_btc: 15m perp returns (ETH 0.81, SOL 0.75); XRP 0.65 and DOGE 0.70
 * assumed. Basis: 15m perp close vs spot close at the same instant, 2026-03-14 .. 2026-04-13
 * (mean -5.06 / -5.06 / -6.00 bps, std 0.86 / 0.91 / 1.81 bps for BTC/ETH/SOL); the generator's
 * basis_std is lower because the lead-lag term adds its own noise to perp - spot. Volume ratio:
 * median 1h perp/spot volume (BTC 8.9, ETH 14.7, SOL 8.1). Funding: 8h settled rates 2024-01 ..
 * 2026-04 (mean 6.7e-5 / 7.0e-5 / 5.0e-5, std 9.3e-5 / 9.7e-5 / 1.66e-4).
 */
export const ASSETS: Record<string, AssetCalibration> = {
  BTC: {
    base: 'BTC', vol_per_minute: 6.8e-4, corr_to_btc: 1, basis_mean_bps: -5.06, basis_std_bps: 0.6,
    start_price: 94_000, tick_size: 0.1, spot_volume_per_minute: 12, perp_spot_volume_ratio: 8.9,
    trade_size: 0.6, open_interest: 80_000, funding_mean_8h: 6.7e-5, funding_noise_std_8h: 7e-5,
  },
  ETH: {
    base: 'ETH', vol_per_minute: 9.4e-4, corr_to_btc: 0.81, basis_mean_bps: -5.06, basis_std_bps: 0.65,
    start_price: 3_350, tick_size: 0.01, spot_volume_per_minute: 220, perp_spot_volume_ratio: 14.7,
    trade_size: 11, open_interest: 2_000_000, funding_mean_8h: 7e-5, funding_noise_std_8h: 7.3e-5,
  },
  SOL: {
    base: 'SOL', vol_per_minute: 1.22e-3, corr_to_btc: 0.75, basis_mean_bps: -6.0, basis_std_bps: 1.4,
    start_price: 190, tick_size: 0.01, spot_volume_per_minute: 2_200, perp_spot_volume_ratio: 8.1,
    trade_size: 110, open_interest: 9_000_000, funding_mean_8h: 5e-5, funding_noise_std_8h: 1.3e-4,
  },
  XRP: {
    base: 'XRP', vol_per_minute: 1.1e-3, corr_to_btc: 0.65, basis_mean_bps: -5.5, basis_std_bps: 1.2,
    start_price: 2.1, tick_size: 0.0001, spot_volume_per_minute: 350_000, perp_spot_volume_ratio: 6,
    trade_size: 17_500, open_interest: 600_000_000, funding_mean_8h: 8e-5, funding_noise_std_8h: 1.2e-4,
  },
  DOGE: {
    base: 'DOGE', vol_per_minute: 1.3e-3, corr_to_btc: 0.7, basis_mean_bps: -6.0, basis_std_bps: 1.4,
    start_price: 0.32, tick_size: 0.00001, spot_volume_per_minute: 2_500_000, perp_spot_volume_ratio: 7,
    trade_size: 125_000, open_interest: 5_000_000_000, funding_mean_8h: 8e-5, funding_noise_std_8h: 1.3e-4,
  },
};

/**
 * Relative mean |1h return| by UTC hour (BTC 1h perp, 2024-01 .. 2026-04): the volatility
 * profile of a day. Normalised in the generator so that its mean square is 1.
 */
export const ABS_RETURN_PROFILE_BY_UTC_HOUR = [
  0.988, 1.069, 0.963, 0.829, 0.765, 0.75, 0.821, 0.848, 0.85, 0.8, 0.772, 0.779,
  0.868, 1.286, 1.662, 1.498, 1.191, 1.233, 1.118, 1.1, 1.032, 0.952, 0.991, 0.837,
] as const;

/**
 * Relative share of a day's volume by UTC hour (BTC/ETH/SOL 1h perps averaged, 2024-01 ..
 * 2026-04; mean 1): the US session (13-17 UTC) trades about twice the Asian night.
 */
export const VOLUME_PROFILE_BY_UTC_HOUR = [
  0.952, 0.932, 0.848, 0.765, 0.717, 0.722, 0.743, 0.829, 0.907, 0.868, 0.839, 0.851,
  1.073, 1.447, 1.865, 1.687, 1.436, 1.224, 1.076, 0.97, 0.914, 0.762, 0.803, 0.789,
] as const;

/**
 * Volatility dynamics not tied to one asset. GARCH(1,1) on the common (BTC) shock at 1-minute
 * steps, unit mean variance: h' = (1 - alpha - beta) + alpha h z^2 + beta h. Chosen with the
 * calm/stress regimes so that 15m and 1h returns show the measured clustering (autocorrelation
 * of |r| at lag 1: 0.32 at 15m, 0.27 at 1h for BTC) and fat tails (excess kurtosis 17 at 15m, 9
 * at 1h for BTC); see README.md for what the generator reaches.
 */
export const VOL_DYNAMICS = {
  garch_alpha: 0.04,
  garch_beta: 0.955,
  /** cap of the GARCH variance multiplier, so a t4 outlier cannot explode the path */
  garch_cap: 30,
  /** probability per minute of a jump (news), and its size in units of the minute's volatility */
  jump_probability: 1 / 4000,
  jump_size_sigmas: 8,
  /** standard deviation of log volume noise per minute, and the loading of volume on |shock| */
  volume_noise_std: 0.45,
  volume_abs_shock_loading: 0.5,
  /** half-life (minutes) and std of the log perp/spot volume ratio around its median */
  volume_ratio_half_life_minutes: 360,
  volume_ratio_std: 0.33,
  /** index = spot plus a small AR(1) composite noise (bps, half-life minutes) */
  index_noise_bps: 0.3,
  index_noise_half_life_minutes: 5,
  /** mark = index x exp(EMA of perp - index basis) with this EMA span (minutes) */
  mark_basis_ema_minutes: 5,
  /** open interest: AR(1) on log OI, half-life (minutes) and stationary std */
  oi_half_life_minutes: 1440,
  oi_log_std: 0.12,
  /** intra-minute high/low excursion beyond open/close, in units of the minute's volatility */
  wick_sigmas: 0.35,
} as const;
