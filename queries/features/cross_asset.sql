-- Cross-asset family (seed §7.4): each perp against the BTC perp, bar by bar at the same close
-- (the pair is usable once both bars have arrived). For BTC itself beta and correlation are 1.
-- Input: temp tables perp_base and btc_base (features/bars_base on the BTC perp's bars)
-- $tf_us BIGINT   bar length, microseconds
-- Returns: symbol, rn, event_time, feat_available_time, beta_btc_168, corr_btc_168,
-- corr_btc_lag1_168, corr_btc_lag2_168, corr_btc_lag4_168, rel_strength_btc_24.
WITH j AS (
  SELECT p.symbol, p.event_time, p.t_us, greatest(p.available_time, b.available_time) AS pair_available_time,
         p.lr1 AS x, b.lr1 AS y, p.close AS px, b.close AS pb
  FROM perp_base p JOIN btc_base b ON b.event_time = p.event_time
), o AS (
  SELECT *, row_number() OVER (PARTITION BY symbol ORDER BY pair_available_time, event_time) - 1 AS rn,
    max(pair_available_time) OVER (PARTITION BY symbol ORDER BY pair_available_time, event_time ROWS UNBOUNDED PRECEDING) AS feat_available_time
  FROM j
), l AS (
  SELECT *,
    CASE WHEN t_us - lag(t_us, 1) OVER s = 1 * $tf_us THEN lag(y, 1) OVER s END AS y1,
    CASE WHEN t_us - lag(t_us, 2) OVER s = 2 * $tf_us THEN lag(y, 2) OVER s END AS y2,
    CASE WHEN t_us - lag(t_us, 4) OVER s = 4 * $tf_us THEN lag(y, 4) OVER s END AS y4,
    CASE WHEN t_us - lag(t_us, 24) OVER s = 24 * $tf_us THEN (px / lag(px, 24) OVER s) - (pb / lag(pb, 24) OVER s) END AS rel_strength_btc_24
  FROM o WINDOW s AS (PARTITION BY symbol ORDER BY rn)
)
SELECT symbol, rn, event_time, feat_available_time,
  CASE WHEN regr_count(x, y) OVER w = 168 AND var_samp(y) OVER w > 0 THEN regr_slope(x, y) OVER w END AS beta_btc_168,
  CASE WHEN regr_count(x, y) OVER w = 168 AND stddev_samp(x) OVER w > 0 AND stddev_samp(y) OVER w > 0 THEN corr(x, y) OVER w END AS corr_btc_168,
  CASE WHEN regr_count(x, y1) OVER w = 168 THEN corr(x, y1) OVER w END AS corr_btc_lag1_168,
  CASE WHEN regr_count(x, y2) OVER w = 168 THEN corr(x, y2) OVER w END AS corr_btc_lag2_168,
  CASE WHEN regr_count(x, y4) OVER w = 168 THEN corr(x, y4) OVER w END AS corr_btc_lag4_168,
  rel_strength_btc_24
FROM l
WINDOW w AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 167 PRECEDING AND CURRENT ROW)
