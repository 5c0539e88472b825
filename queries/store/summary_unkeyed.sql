-- Summary of a dataset with no venue/symbol partitions (the ledger): one row for the whole dataset.
-- $files LIST(VARCHAR)  the dataset's Parquet files
-- Returns the columns of store/summary with venue, symbol, price and timeframe NULL.
SELECT
  CAST(NULL AS VARCHAR) AS venue,
  CAST(NULL AS VARCHAR) AS symbol,
  CAST(NULL AS VARCHAR) AS price,
  CAST(NULL AS VARCHAR) AS timeframe,
  strftime(min(event_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS first_event_time,
  strftime(max(event_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS last_event_time,
  strftime(min(available_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS first_available_time,
  strftime(max(available_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS last_available_time,
  count(*)::BIGINT AS "rows",
  count(DISTINCT filename)::BIGINT AS partitions,
  max(epoch_ms(available_time) - epoch_ms(event_time))::BIGINT AS max_delay_ms
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true, filename = true)
