-- Validation: bar timestamps on their timeframe's grid. Empty result = pass.
--   misaligned_time  event_time (the bar close) not a whole multiple of the timeframe since the epoch
--                    (a 1h bar not on the hour), open_time not event_time - timeframe, or an unknown timeframe
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)      bars Parquet files
-- $tf_names LIST(VARCHAR)   known timeframes, e.g. ['1m', '5m', '1h']
-- $tf_secs LIST(BIGINT)     their lengths in seconds, same order
-- Returns: check, dataset ('bars'), venue, symbol, price, timeframe, event_time, row_available_time,
-- row_source, row_key (natural key as JSON text), reason, value (seconds past the grid).
WITH b AS (
  SELECT venue, symbol, price, timeframe, event_time, open_time, available_time, source,
         CAST($tf_secs[list_position($tf_names, timeframe)] AS BIGINT) AS tf
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
)
SELECT
  'misaligned_time' AS "check", 'bars' AS dataset, venue, symbol, price, timeframe, event_time,
  available_time AS row_available_time, source AS row_source,
  to_json({'venue': venue, 'symbol': symbol, 'price': price, 'timeframe': timeframe, 'event_time': event_time::VARCHAR})::VARCHAR AS row_key,
  CASE
    WHEN tf IS NULL THEN format('unknown timeframe {}', timeframe)
    WHEN epoch_us(event_time) % (tf * 1000000) <> 0
      THEN format('close {} is {} s past the {} grid', event_time, (epoch_us(event_time) % (tf * 1000000)) / 1e6, timeframe)
    ELSE format('open_time {} is not close {} minus {}', open_time, event_time, timeframe)
  END AS reason,
  CASE WHEN tf IS NULL THEN NULL ELSE (epoch_us(event_time) % (tf * 1000000)) / 1e6 END AS value
FROM b
WHERE tf IS NULL
   OR epoch_us(event_time) % (tf * 1000000) <> 0
   OR open_time IS DISTINCT FROM event_time - to_seconds(tf)
ORDER BY venue, symbol, price, timeframe, event_time
