-- Perp-spot structure (proposal 000, H1/H3/H4/H5) and the basis of seed §7.3: the perp's bars joined
-- to its spot reference's bars of the same close (both must have arrived: the pair's availability is
-- the later of the two, carried as a running max). Optional mark bars give the mark basis.
-- Input: temp tables perp_base, spot_base (features/bars_base on the spot reference, symbol = the
-- perp it serves), mark_base (same, mark price; may be empty)
-- $tf_us BIGINT   bar length, microseconds
-- Returns: symbol, rn, event_time, feat_available_time and the basis / lead-lag / flow / activity features.
WITH j AS (
  SELECT p.symbol, p.event_time, p.t_us,
    greatest(p.available_time, s.available_time) AS pair_available_time,
    p.close AS perp_close, s.close AS spot_close, p.open AS perp_open, s.open AS spot_open,
    p.volume AS perp_volume, s.volume AS spot_volume, p.lr1 AS perp_lr1, s.lr1 AS spot_lr1,
    m.close AS mark_close
  FROM perp_base p
  JOIN spot_base s ON s.symbol = p.symbol AND s.event_time = p.event_time
  LEFT JOIN mark_base m ON m.symbol = p.symbol AND m.event_time = p.event_time
    AND m.available_time <= greatest(p.available_time, s.available_time)
), o AS (
  SELECT *, row_number() OVER (PARTITION BY symbol ORDER BY pair_available_time, event_time) - 1 AS rn,
    max(pair_available_time) OVER (PARTITION BY symbol ORDER BY pair_available_time, event_time ROWS UNBOUNDED PRECEDING) AS feat_available_time,
    perp_close / spot_close - 1 AS basis,
    mark_close / spot_close - 1 AS mark_basis,
    -- signed-flow proxy from bars: volume signed by the bar's direction (no trades in bar data)
    perp_volume * sign(perp_close - perp_open) AS perp_flow,
    spot_volume * sign(spot_close - spot_open) AS spot_flow
  FROM j
), r AS (
  SELECT *,
    (t_us - lag(t_us, 23) OVER s = 23 * $tf_us) AS full24,
    (t_us - lag(t_us, 167) OVER s = 167 * $tf_us) AS full168,
    lag(basis) OVER s AS basis_prev,
    CASE WHEN t_us - lag(t_us) OVER s = $tf_us THEN basis - lag(basis) OVER s END AS basis_chg
  FROM o WINDOW s AS (PARTITION BY symbol ORDER BY rn)
), runs AS (
  SELECT *, sum(CASE WHEN sign(basis) = sign(basis_prev) THEN 0 ELSE 1 END) OVER (PARTITION BY symbol ORDER BY rn ROWS UNBOUNDED PRECEDING) AS run_id
  FROM r
)
SELECT symbol, rn, event_time, feat_available_time,
  basis,
  mark_basis,
  CASE WHEN full24 THEN avg(basis) OVER w24 END AS basis_mean_24,
  CASE WHEN full168 AND stddev_samp(basis) OVER w168 > 0 THEN (basis - avg(basis) OVER w168) / stddev_samp(basis) OVER w168 END AS basis_z_168,
  -- share of the last 168 basis values (this one included) at or below the current one
  CASE WHEN full168 AND count(basis) OVER w168 = 168
       THEN len(list_filter(list(basis) OVER w168, x -> x <= basis)) / 168.0 END AS basis_pctile_168,
  CASE WHEN full24 THEN regr_slope(basis, rn) OVER w24 END AS basis_slope_24,
  row_number() OVER (PARTITION BY symbol, run_id ORDER BY rn) AS basis_sign_run,
  CASE WHEN full168 AND regr_slope(basis, basis_prev) OVER w168 > 0 AND regr_slope(basis, basis_prev) OVER w168 < 1
       THEN -ln(2) / ln(regr_slope(basis, basis_prev) OVER w168) END AS basis_half_life_168,
  CASE WHEN t_us - lag(t_us, 1) OVER s = 1 * $tf_us THEN (perp_close / lag(perp_close, 1) OVER s) - (spot_close / lag(spot_close, 1) OVER s) END AS perp_spot_ret_delta_1,
  CASE WHEN t_us - lag(t_us, 3) OVER s = 3 * $tf_us THEN (perp_close / lag(perp_close, 3) OVER s) - (spot_close / lag(spot_close, 3) OVER s) END AS perp_spot_ret_delta_3,
  CASE WHEN t_us - lag(t_us, 6) OVER s = 6 * $tf_us THEN (perp_close / lag(perp_close, 6) OVER s) - (spot_close / lag(spot_close, 6) OVER s) END AS perp_spot_ret_delta_6,
  CASE WHEN full24 AND sum(abs(perp_flow)) OVER w24 > 0 AND sum(abs(spot_flow)) OVER w24 > 0
       THEN sum(perp_flow) OVER w24 / sum(abs(perp_flow)) OVER w24 - sum(spot_flow) OVER w24 / sum(abs(spot_flow)) OVER w24 END AS flow_div_barproxy_24,
  CASE WHEN full24 AND sum(spot_volume * spot_close) OVER w24 > 0
       THEN sum(perp_volume * perp_close) OVER w24 / sum(spot_volume * spot_close) OVER w24 END AS perp_spot_activity_24
FROM runs
WINDOW s AS (PARTITION BY symbol ORDER BY rn),
       w24 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 23 PRECEDING AND CURRENT ROW),
       w168 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 167 PRECEDING AND CURRENT ROW)
