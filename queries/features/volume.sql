-- Volume and volatility family (seed §7.2) on the perp's last-price bars. NULL unless the window
-- holds its n consecutive bars; ratios with a zero denominator are NULL, never Infinity.
-- Input: temp table perp_base (from features/bars_base)
-- $tf_us BIGINT   bar length, microseconds
-- Returns: symbol, rn, event_time, feat_available_time, vol_ratio_24, vwap_dist_24, rv_ratio_24_168,
-- parkinson_24, volume_trend_24.
WITH b AS (
  SELECT *, (t_us - lag(t_us, 23) OVER s = 23 * $tf_us) AS full24,
            (t_us - lag(t_us, 167) OVER s = 167 * $tf_us) AS full168,
            ln(high / low) AS hl_log,
            (high + low + close) / 3 AS typical
  FROM perp_base WINDOW s AS (PARTITION BY symbol ORDER BY rn)
)
SELECT symbol, rn, event_time, feat_available_time,
  CASE WHEN full24 AND avg(volume) OVER w24 > 0 THEN volume / avg(volume) OVER w24 END AS vol_ratio_24,
  CASE WHEN full24 AND sum(volume) OVER w24 > 0 THEN close / (sum(typical * volume) OVER w24 / sum(volume) OVER w24) - 1 END AS vwap_dist_24,
  CASE WHEN count(lr1) OVER w24 = 24 AND count(lr1) OVER w168 = 168 AND stddev_samp(lr1) OVER w168 > 0
       THEN stddev_samp(lr1) OVER w24 / stddev_samp(lr1) OVER w168 END AS rv_ratio_24_168,
  CASE WHEN full24 THEN sqrt(sum(hl_log * hl_log) OVER w24 / (4 * ln(2) * 24)) END AS parkinson_24,
  CASE WHEN full24 AND avg(volume) OVER w24 > 0 THEN regr_slope(volume, rn) OVER w24 / avg(volume) OVER w24 END AS volume_trend_24
FROM b
WINDOW w24 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 23 PRECEDING AND CURRENT ROW),
       w168 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 167 PRECEDING AND CURRENT ROW)
