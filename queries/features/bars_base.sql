-- Per-bar basics shared by the bar families: arrival order, one-bar log return, and the time a
-- feature computed on this row can be used.
-- Input: temp table in_bars(symbol, event_time, available_time, open_time, open, high, low, close, volume)
-- $tf_us BIGINT   bar length, microseconds
-- Returns: symbol, rn (0.. in arrival order: available_time, then event_time), t_us (event_time in
-- microseconds), feat_available_time (running max of available_time: a row's features need every
-- earlier row, so they are usable only once all of them have arrived), the bar columns, lr1 (log
-- return over one bar; NULL when the previous row is not the previous bar, i.e. across a gap).
WITH o AS (
  SELECT *, row_number() OVER (PARTITION BY symbol ORDER BY available_time, event_time) - 1 AS rn,
         epoch_us(event_time) AS t_us
  FROM in_bars
)
SELECT symbol, rn, t_us, event_time, available_time,
  max(available_time) OVER (PARTITION BY symbol ORDER BY rn ROWS UNBOUNDED PRECEDING) AS feat_available_time,
  open_time, open, high, low, close, volume,
  CASE WHEN t_us - lag(t_us) OVER (PARTITION BY symbol ORDER BY rn) = $tf_us
       THEN ln(close / lag(close) OVER (PARTITION BY symbol ORDER BY rn)) END AS lr1
FROM o
