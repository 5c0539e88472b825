-- Validation: the two clocks of every row (any market dataset). Empty result = pass.
--   available_before_event  available_time < event_time (the row claims to be known before it happened)
--   event_in_future         event_time later than the row's ingest_time (its fetch time) + $future_tolerance_ms
--   implausible_time        event_time before $earliest or from 2100 on: a unit mix-up (seconds read as
--                           milliseconds, microseconds as nanoseconds...)
--   time_precision_loss     event_time or available_time ending in .xxx001 or .xxx999 (microseconds): the
--                           signature of a round trip through floating-point seconds, which loses the
--                           last digits (times are kept at exact milliseconds or microseconds otherwise)
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)         the dataset's Parquet files
-- $dataset VARCHAR              dataset name, copied to the output
-- $key_cols LIST(VARCHAR)       the dataset's natural key columns, in order
-- $future_tolerance_ms BIGINT   allowance between fetch time and event time, milliseconds
-- $earliest TIMESTAMP           earliest plausible event_time
-- Returns: check, dataset, venue, symbol, price, timeframe (NULL unless bars), event_time,
-- row_available_time, row_source, row_key (natural key as JSON text), reason, value (the measured
-- difference in milliseconds where there is one).
WITH t AS (
  -- Filtered first: only suspect rows are turned into JSON (for their key).
  SELECT to_json(r) AS j, r.event_time, r.available_time, r.ingest_time, r.source
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true) r
  WHERE r.available_time < r.event_time
     OR r.event_time > r.ingest_time + to_milliseconds($future_tolerance_ms)
     OR r.event_time < $earliest OR r.event_time >= TIMESTAMP '2100-01-01'
     OR epoch_us(r.event_time) % 1000 IN (1, 999, -1, -999) OR epoch_us(r.available_time) % 1000 IN (1, 999, -1, -999)
), k AS (
  SELECT *, to_json(map_from_entries(list_transform($key_cols, c -> struct_pack(k := c, v := j ->> c))))::VARCHAR AS row_key
  FROM t
), flagged AS (
  SELECT 'available_before_event' AS "check", k.*,
         format('available_time {} is {} ms before event_time {}', available_time, epoch_ms(event_time) - epoch_ms(available_time), event_time) AS reason,
         (epoch_ms(event_time) - epoch_ms(available_time))::DOUBLE AS value
  FROM k WHERE available_time < event_time
  UNION ALL
  SELECT 'event_in_future', k.*,
         format('event_time {} is {} ms after the row was fetched (ingest_time {})', event_time, epoch_ms(event_time) - epoch_ms(ingest_time), ingest_time),
         (epoch_ms(event_time) - epoch_ms(ingest_time))::DOUBLE
  FROM k WHERE event_time > ingest_time + to_milliseconds($future_tolerance_ms)
  UNION ALL
  SELECT 'implausible_time', k.*,
         format('event_time {} is outside [{}, 2100-01-01): a time unit mix-up?', event_time, $earliest),
         epoch_ms(event_time)::DOUBLE
  FROM k WHERE event_time < $earliest OR event_time >= TIMESTAMP '2100-01-01'
  UNION ALL
  SELECT 'time_precision_loss', k.*,
         format('{} ends in {} microseconds past the millisecond: float-seconds round trip',
                CASE WHEN epoch_us(event_time) % 1000 IN (1, 999, -1, -999) THEN 'event_time ' || event_time::VARCHAR ELSE 'available_time ' || available_time::VARCHAR END,
                CASE WHEN epoch_us(event_time) % 1000 IN (1, 999, -1, -999) THEN epoch_us(event_time) % 1000 ELSE epoch_us(available_time) % 1000 END),
         NULL
  FROM k WHERE epoch_us(event_time) % 1000 IN (1, 999, -1, -999) OR epoch_us(available_time) % 1000 IN (1, 999, -1, -999)
)
SELECT "check", $dataset AS dataset, j ->> 'venue' AS venue, j ->> 'symbol' AS symbol, j ->> 'price' AS price,
       j ->> 'timeframe' AS timeframe, event_time, available_time AS row_available_time, source AS row_source,
       row_key, reason, value
FROM flagged
ORDER BY "check", venue, symbol, price, timeframe, event_time
