-- Features combining several inputs at the decision time, computed on the assembled grid (each row
-- already holds only what was available at its decision_time, so windows over earlier grid rows
-- stay point-in-time). Regimes of seed §5.1, carry alignment (H2), settlement proximity (H6),
-- liquidity stress (H5 control), price-OI divergence and the liquidation-cascade detector of seed §5.1.2.
-- Input: temp table feat_grid(symbol, decision_time, funding_interval_hours, btc_funding_rate, and the
-- base feature columns: roc_24, rv_24, rv_ratio_24_168, dist_ma_168, dist_ma_24, logret_1, vol_ratio_24,
-- oi_chg_1, oi_chg_24, funding_rate, basis_mean_24, hl_range)
-- $vol_low DOUBLE          rv_ratio_24_168 below this: low-volatility regime (seed: 0.7)
-- $vol_high DOUBLE         above this: high-volatility regime (seed: 1.5)
-- $settle_window_ms BIGINT the "in settlement window" flag is 1 this long before a settlement
-- $cascade_z DOUBLE        |1-bar return| / rv_24 above this counts as a price shock (seed: 2)
-- $cascade_volume DOUBLE   vol_ratio_24 above this counts as a volume shock (seed: 3)
-- $cascade_oi_drop DOUBLE  oi_chg_1 below minus this counts as an OI flush (seed: 0.05)
-- Returns: symbol, decision_time and vol_regime (-1 low, 0 normal, 1 high), trend_regime (-1/1),
-- funding_basis_gap, funding_basis_gap_vel_8, funding_diff_btc, settle_time_to_next_h, settle_in_window,
-- liquidity_stress, price_oi_divergence, liq_cascade.
WITH g AS (
  SELECT *,
    basis_mean_24 - funding_rate AS gap,
    -- settlements fall on multiples of the interval from 00:00 UTC
    CASE WHEN funding_interval_hours > 0 THEN
      (funding_interval_hours * 3600000 - (epoch_ms(decision_time) % (funding_interval_hours * 3600000)::BIGINT)) / 3600000.0 END AS to_next_h
  FROM feat_grid
)
SELECT symbol, decision_time,
  CASE WHEN rv_ratio_24_168 IS NULL THEN NULL WHEN rv_ratio_24_168 < $vol_low THEN -1
       WHEN rv_ratio_24_168 > $vol_high THEN 1 ELSE 0 END AS vol_regime,
  CASE WHEN dist_ma_168 IS NULL OR dist_ma_24 IS NULL THEN NULL
       -- (1 + dist_ma_168) / (1 + dist_ma_24) = sma_24 / sma_168: above 1 is an uptrend
       WHEN (1 + dist_ma_168) / (1 + dist_ma_24) > 1 THEN 1 ELSE -1 END AS trend_regime,
  gap AS funding_basis_gap,
  gap - lag(gap, 8) OVER (PARTITION BY symbol ORDER BY decision_time) AS funding_basis_gap_vel_8,
  funding_rate - btc_funding_rate AS funding_diff_btc,
  to_next_h AS settle_time_to_next_h,
  CASE WHEN to_next_h IS NULL THEN NULL WHEN to_next_h * 3600000 <= $settle_window_ms THEN 1 ELSE 0 END AS settle_in_window,
  CASE WHEN rv_24 > 0 THEN hl_range / rv_24 END AS liquidity_stress,
  CASE WHEN roc_24 IS NULL OR oi_chg_24 IS NULL THEN NULL
       WHEN sign(roc_24) <> 0 AND sign(oi_chg_24) <> 0 AND sign(roc_24) <> sign(oi_chg_24) THEN 1 ELSE 0 END AS price_oi_divergence,
  CASE WHEN logret_1 IS NULL OR rv_24 IS NULL OR vol_ratio_24 IS NULL THEN NULL
       WHEN (CASE WHEN rv_24 > 0 AND abs(logret_1) / rv_24 > $cascade_z THEN 1 ELSE 0 END)
          + (CASE WHEN vol_ratio_24 > $cascade_volume THEN 1 ELSE 0 END)
          + (CASE WHEN oi_chg_1 < -$cascade_oi_drop THEN 1 ELSE 0 END) >= 2 THEN 1 ELSE 0 END AS liq_cascade
FROM g
