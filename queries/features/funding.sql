-- Funding part of the derivatives family (seed §7.3) over settled funding prints, in arrival order.
-- Windows count prints (not bars): 24 prints = 8 days at Binance's 8h cadence, 1 day at hourly.
-- Input: temp table in_funding(symbol, event_time, available_time, funding_rate)
-- Returns: symbol, rn, event_time, feat_available_time, funding_rate, funding_mean_24,
-- funding_z_168, funding_cum_24, funding_cum_168, funding_pos_share_48.
WITH o AS (
  SELECT *, row_number() OVER (PARTITION BY symbol ORDER BY available_time, event_time) - 1 AS rn
  FROM in_funding
)
SELECT symbol, rn, event_time,
  max(available_time) OVER (PARTITION BY symbol ORDER BY rn ROWS UNBOUNDED PRECEDING) AS feat_available_time,
  funding_rate,
  CASE WHEN count(*) OVER w24 = 24 THEN avg(funding_rate) OVER w24 END AS funding_mean_24,
  CASE WHEN count(*) OVER w168 = 168 AND stddev_samp(funding_rate) OVER w168 > 0
       THEN (funding_rate - avg(funding_rate) OVER w168) / stddev_samp(funding_rate) OVER w168 END AS funding_z_168,
  CASE WHEN count(*) OVER w24 = 24 THEN sum(funding_rate) OVER w24 END AS funding_cum_24,
  CASE WHEN count(*) OVER w168 = 168 THEN sum(funding_rate) OVER w168 END AS funding_cum_168,
  CASE WHEN count(*) OVER w48 = 48 THEN avg(CASE WHEN funding_rate > 0 THEN 1.0 ELSE 0.0 END) OVER w48 END AS funding_pos_share_48
FROM o
WINDOW w24 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 23 PRECEDING AND CURRENT ROW),
       w48 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 47 PRECEDING AND CURRENT ROW),
       w168 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 167 PRECEDING AND CURRENT ROW)
