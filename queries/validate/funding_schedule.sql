-- Validation: settled funding rates against their instrument's cadence and plausible bounds. Empty = pass.
-- The interval of a row is its own funding_interval_hours, else the instrument's, else $default_interval_hours;
-- settlements fall on whole multiples of the interval since 00:00 UTC.
--   funding_nonfinite      funding_rate NULL, NaN or infinite
--   funding_off_schedule   more than $tolerance_ms from a settlement time: settled rates exist only at
--                          settlements, so this is usually a predicted (indicative) rate stored as settled
--   funding_out_of_bounds  |rate| > $max_abs_rate_per_hour * interval hours
--   funding_missing        settlements missing before this one (consecutive on-schedule rows more than one
--                          interval apart); value = settlements missing
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)              funding Parquet files
-- $cadence VARCHAR                  JSON text [{"venue","symbol","interval_hours"}] from instruments
-- $default_interval_hours DOUBLE    interval when neither the row nor the instrument gives one
-- $tolerance_ms BIGINT              allowed distance of a settlement stamp from its schedule, ms
-- $max_abs_rate_per_hour DOUBLE     plausible bound of |rate| per hour of interval, fraction
-- Returns: check, dataset ('funding'), venue, symbol, price, timeframe (NULL), event_time,
-- row_available_time, row_source, row_key (natural key as JSON text), reason, value.
WITH cad AS (
  SELECT unnest(from_json($cadence, '[{"venue":"VARCHAR","symbol":"VARCHAR","interval_hours":"DOUBLE"}]'), recursive := true)
), f AS (
  SELECT r.venue, r.symbol, r.event_time, r.available_time, r.source, r.funding_rate,
         coalesce(r.funding_interval_hours, cad.interval_hours, $default_interval_hours) AS ih
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true) r
  LEFT JOIN cad ON cad.venue = r.venue AND cad.symbol = r.symbol
), g AS (
  SELECT *, epoch_ms(event_time) % (ih * 3600000)::BIGINT AS off_ms, (ih * 3600000)::BIGINT AS ims FROM f
), o AS (
  SELECT *, least(off_ms, ims - off_ms) <= $tolerance_ms AS on_schedule FROM g
), sched AS (
  SELECT *, lag(event_time) OVER (PARTITION BY venue, symbol ORDER BY event_time) AS prev_settle FROM o WHERE on_schedule
), flagged AS (
  SELECT 'funding_nonfinite' AS "check", venue, symbol, event_time, available_time, source,
         format('funding_rate is {}', coalesce(funding_rate::VARCHAR, 'NULL')) AS reason, NULL::DOUBLE AS value
  FROM o WHERE NOT coalesce(isfinite(funding_rate), false)
  UNION ALL
  SELECT 'funding_off_schedule', venue, symbol, event_time, available_time, source,
         format('{} is {} s from the nearest {} h settlement: settled rates exist only at settlements (a predicted rate stored as settled?)',
                event_time, round(least(off_ms, ims - off_ms) / 1000.0, 3), ih), least(off_ms, ims - off_ms) / 1000.0
  FROM o WHERE NOT on_schedule
  UNION ALL
  SELECT 'funding_out_of_bounds', venue, symbol, event_time, available_time, source,
         format('rate {} per {} h is beyond the plausible bound {}', funding_rate, ih, round($max_abs_rate_per_hour * ih, 8)), funding_rate
  FROM o WHERE isfinite(funding_rate) AND abs(funding_rate) > $max_abs_rate_per_hour * ih
  UNION ALL
  SELECT 'funding_missing', venue, symbol, event_time, available_time, source,
         format('{} settlement(s) missing between {} and {} (every {} h)', round((epoch(event_time) - epoch(prev_settle)) / (ih * 3600) - 1),
                prev_settle, event_time, ih),
         round((epoch(event_time) - epoch(prev_settle)) / (ih * 3600) - 1)
  FROM sched WHERE prev_settle IS NOT NULL AND epoch_ms(event_time) - epoch_ms(prev_settle) > ims + $tolerance_ms
)
SELECT "check", 'funding' AS dataset, venue, symbol, NULL::VARCHAR AS price, NULL::VARCHAR AS timeframe, event_time,
       available_time AS row_available_time, source AS row_source,
       to_json({'venue': venue, 'symbol': symbol, 'event_time': event_time::VARCHAR})::VARCHAR AS row_key, reason, value
FROM flagged
ORDER BY "check", venue, symbol, event_time
