-- Open-interest part of the derivatives family (seed §7.3), per OI print in arrival order.
-- Input: temp table in_oi(symbol, event_time, available_time, open_interest)
-- Returns: symbol, rn, event_time, feat_available_time, oi_chg_1, oi_chg_24, oi_dist_168.
WITH o AS (
  SELECT *, row_number() OVER (PARTITION BY symbol ORDER BY available_time, event_time) - 1 AS rn FROM in_oi
)
SELECT symbol, rn, event_time,
  max(available_time) OVER (PARTITION BY symbol ORDER BY rn ROWS UNBOUNDED PRECEDING) AS feat_available_time,
  CASE WHEN lag(open_interest, 1) OVER s > 0 THEN open_interest / lag(open_interest, 1) OVER s - 1 END AS oi_chg_1,
  CASE WHEN lag(open_interest, 24) OVER s > 0 THEN open_interest / lag(open_interest, 24) OVER s - 1 END AS oi_chg_24,
  CASE WHEN count(*) OVER w168 = 168 AND avg(open_interest) OVER w168 > 0
       THEN open_interest / avg(open_interest) OVER w168 - 1 END AS oi_dist_168
FROM o
WINDOW s AS (PARTITION BY symbol ORDER BY rn),
       w168 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 167 PRECEDING AND CURRENT ROW)
