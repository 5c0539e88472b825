-- Validation: predicted funding rates of the derivative ticker. Empty result = pass.
--   predicted_funding_stale  the predicted rate for one settlement has not changed for longer than
--                            $max_age_ms (a frozen feed): age = event_time - when the value first appeared
--   predicted_funding_mixup  a "predicted" rate whose next_funding_time is not after its event_time: it
--                            refers to a settlement already past, i.e. a settled rate stored as predicted
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)   derivative_ticker Parquet files
-- $max_age_ms BIGINT     largest age of an unchanged predicted rate, ms
-- Returns: check, dataset ('derivative_ticker'), venue, symbol, price, timeframe (NULL), event_time,
-- row_available_time, row_source, row_key (natural key as JSON text), reason, value (age in ms for stale rows).
WITH t AS (
  SELECT venue, symbol, event_time, available_time, source, predicted_funding_rate AS pr, next_funding_time
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
  WHERE predicted_funding_rate IS NOT NULL
), runs AS (
  SELECT *, sum(chg) OVER (PARTITION BY venue, symbol ORDER BY event_time, available_time) AS run_id
  FROM (SELECT *, CASE WHEN pr IS NOT DISTINCT FROM lag(pr) OVER w AND next_funding_time IS NOT DISTINCT FROM lag(next_funding_time) OVER w
                       THEN 0 ELSE 1 END AS chg
        FROM t WINDOW w AS (PARTITION BY venue, symbol ORDER BY event_time, available_time))
), aged AS (
  SELECT *, epoch_ms(event_time) - epoch_ms(min(event_time) OVER (PARTITION BY venue, symbol, run_id)) AS age_ms,
         min(event_time) OVER (PARTITION BY venue, symbol, run_id) AS since
  FROM runs
), flagged AS (
  SELECT 'predicted_funding_stale' AS "check", venue, symbol, event_time, available_time, source,
         format('predicted rate {} unchanged since {} ({} s, limit {} s)', pr, since, age_ms / 1000, $max_age_ms / 1000) AS reason, age_ms::DOUBLE AS value
  FROM aged WHERE age_ms > $max_age_ms
  UNION ALL
  SELECT 'predicted_funding_mixup', venue, symbol, event_time, available_time, source,
         format('predicted rate {} for next_funding_time {}, which is not after event_time {}: a settled rate?', pr, next_funding_time, event_time), pr
  FROM aged WHERE next_funding_time IS NOT NULL AND next_funding_time <= event_time
)
SELECT "check", 'derivative_ticker' AS dataset, venue, symbol, NULL::VARCHAR AS price, NULL::VARCHAR AS timeframe, event_time,
       available_time AS row_available_time, source AS row_source,
       to_json({'venue': venue, 'symbol': symbol, 'event_time': event_time::VARCHAR, 'available_time': available_time::VARCHAR})::VARCHAR AS row_key,
       reason, value
FROM flagged
ORDER BY "check", venue, symbol, event_time
