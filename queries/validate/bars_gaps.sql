-- Validation: holes between consecutive bars of a series (venue, symbol, price, timeframe). Empty = pass.
-- The row reported is the bar after the hole. The hole is [previous close, this open).
--   bar_gap        more than $max_gap_bars bar intervals between two closes (seed §2.3: gaps over
--                  5 minutes in 1m data, scaled to the timeframe)
--   bar_missing    a shorter hole (at least one bar missing)
--   known_closure  a hole inside a known recurring closure of the venue (widened by one bar each side)
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)       bars Parquet files
-- $tf_names LIST(VARCHAR)    known timeframes
-- $tf_secs LIST(BIGINT)      their lengths in seconds, same order
-- $max_gap_bars DOUBLE       holes longer than this many intervals are gaps
-- $closures VARCHAR          JSON text: [{"venue": "...", "start": "ISO time", "end": "ISO time"}], every
--                            occurrence of every closure over the data's range (UTC)
-- Returns: check, dataset ('bars'), venue, symbol, price, timeframe, event_time, row_available_time,
-- row_source, row_key (natural key as JSON text), reason, value (bars missing).
WITH b AS (
  SELECT DISTINCT venue, symbol, price, timeframe, event_time, available_time, source,
         CAST($tf_secs[list_position($tf_names, timeframe)] AS BIGINT) AS tf
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
), s AS (
  SELECT *, lag(event_time) OVER (PARTITION BY venue, symbol, price, timeframe ORDER BY event_time) AS prev_close
  FROM b WHERE tf IS NOT NULL
), h AS (
  SELECT *, (epoch(event_time) - epoch(prev_close)) / tf AS intervals
  FROM s WHERE prev_close IS NOT NULL AND event_time - prev_close > to_seconds(tf)
), cl AS (
  SELECT unnest(from_json($closures, '[{"venue":"VARCHAR","start":"TIMESTAMP","end":"TIMESTAMP"}]'), recursive := true)
), x AS (
  SELECT h.*, EXISTS (
    SELECT 1 FROM cl
    WHERE cl.venue = h.venue
      AND h.prev_close >= cl.start - to_seconds(h.tf)
      AND h.event_time - to_seconds(h.tf) <= cl."end" + to_seconds(h.tf)
  ) AS in_closure
  FROM h
)
SELECT
  CASE WHEN in_closure THEN 'known_closure' WHEN intervals > $max_gap_bars THEN 'bar_gap' ELSE 'bar_missing' END AS "check",
  'bars' AS dataset, venue, symbol, price, timeframe, event_time,
  available_time AS row_available_time, source AS row_source,
  to_json({'venue': venue, 'symbol': symbol, 'price': price, 'timeframe': timeframe, 'event_time': event_time::VARCHAR})::VARCHAR AS row_key,
  format('no bars from close {} to close {}: {} interval(s) of {}, {} bar(s) missing{}', prev_close, event_time,
         round(intervals, 3), timeframe, round(intervals - 1, 3), CASE WHEN in_closure THEN ' (inside a known closure of the venue)' ELSE '' END) AS reason,
  intervals - 1 AS value
FROM x
ORDER BY venue, symbol, price, timeframe, event_time
