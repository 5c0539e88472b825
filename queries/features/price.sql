-- Price family (seed §7.1) on the perp's last-price bars. Rolling windows end at the current row
-- and are NULL unless they hold exactly their n consecutive bars (warm-up and gaps give NULL).
-- Input: temp tables perp_base (from features/bars_base) and perp_ema(series, symbol, rn, ema) with
-- series ema12, ema26, macd_signal (EMA9 of the MACD line ema12 - ema26), rsi_gain, rsi_loss
-- (Wilder, alpha 1/14). MACD values are divided by the current close to be comparable across assets.
-- $tf_us BIGINT   bar length, microseconds
-- Returns: symbol, rn, event_time, feat_available_time and the price features of the catalog.
WITH e AS (
  SELECT symbol, rn,
    max(ema) FILTER (WHERE series = 'ema12') AS ema12,
    max(ema) FILTER (WHERE series = 'ema26') AS ema26,
    max(ema) FILTER (WHERE series = 'macd_signal') AS macd_signal,
    max(ema) FILTER (WHERE series = 'rsi_gain') AS rsi_gain,
    max(ema) FILTER (WHERE series = 'rsi_loss') AS rsi_loss
  FROM perp_ema GROUP BY ALL
), b AS (
  SELECT p.*, e.ema12, e.ema26, e.macd_signal, e.rsi_gain, e.rsi_loss FROM perp_base p LEFT JOIN e USING (symbol, rn)
)
SELECT symbol, rn, event_time, feat_available_time,
  CASE WHEN t_us - lag(t_us, 1) OVER s = 1 * $tf_us THEN close / lag(close, 1) OVER s - 1 END AS roc_1,
  CASE WHEN t_us - lag(t_us, 4) OVER s = 4 * $tf_us THEN close / lag(close, 4) OVER s - 1 END AS roc_4,
  CASE WHEN t_us - lag(t_us, 12) OVER s = 12 * $tf_us THEN close / lag(close, 12) OVER s - 1 END AS roc_12,
  CASE WHEN t_us - lag(t_us, 24) OVER s = 24 * $tf_us THEN close / lag(close, 24) OVER s - 1 END AS roc_24,
  CASE WHEN t_us - lag(t_us, 48) OVER s = 48 * $tf_us THEN close / lag(close, 48) OVER s - 1 END AS roc_48,
  CASE WHEN t_us - lag(t_us, 168) OVER s = 168 * $tf_us THEN close / lag(close, 168) OVER s - 1 END AS roc_168,
  lr1 AS logret_1,
  CASE WHEN count(lr1) OVER w24 = 24 THEN stddev_samp(lr1) OVER w24 END AS rv_24,
  CASE WHEN count(lr1) OVER w168 = 168 THEN stddev_samp(lr1) OVER w168 END AS rv_168,
  (high - low) / close AS hl_range,
  CASE WHEN t_us - lag(t_us, 23) OVER s = 23 * $tf_us THEN close / avg(close) OVER w24 - 1 END AS dist_ma_24,
  CASE WHEN t_us - lag(t_us, 167) OVER s = 167 * $tf_us THEN close / avg(close) OVER w168 - 1 END AS dist_ma_168,
  CASE WHEN rsi_loss = 0 AND rsi_gain = 0 THEN 50 WHEN rsi_loss = 0 THEN 100
       ELSE 100 - 100 / (1 + rsi_gain / rsi_loss) END AS rsi_14,
  (ema12 - ema26) / close AS macd,
  macd_signal / close AS macd_signal,
  (ema12 - ema26 - macd_signal) / close AS macd_hist,
  CASE WHEN t_us - lag(t_us, 19) OVER s = 19 * $tf_us AND stddev_pop(close) OVER w20 > 0
       THEN (close - (avg(close) OVER w20 - 2 * stddev_pop(close) OVER w20)) / (4 * stddev_pop(close) OVER w20) END AS bb_pctb_20
FROM b
WINDOW s AS (PARTITION BY symbol ORDER BY rn),
       w20 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 19 PRECEDING AND CURRENT ROW),
       w24 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 23 PRECEDING AND CURRENT ROW),
       w168 AS (PARTITION BY symbol ORDER BY rn ROWS BETWEEN 167 PRECEDING AND CURRENT ROW)
