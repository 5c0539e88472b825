-- Summary of one dataset: what is stored per venue, symbol and (for bars) price type and timeframe.
-- $files LIST(VARCHAR)  the dataset's Parquet files (from the store's pruned file listing)
-- $bars BOOLEAN          true for datasets partitioned by timeframe (bars: also price; features, labels)
-- Returns: venue, symbol, price, timeframe (NULL unless bars), first_event_time, last_event_time,
-- first_available_time, last_available_time (ISO text, UTC), rows, partitions (files), max_delay_ms
-- (largest available_time - event_time, milliseconds).
SELECT
  venue,
  symbol,
  CASE WHEN $bars THEN to_json(r) ->> 'price' END AS price,
  CASE WHEN $bars THEN to_json(r) ->> 'timeframe' END AS timeframe,
  strftime(min(event_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS first_event_time,
  strftime(max(event_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS last_event_time,
  strftime(min(available_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS first_available_time,
  strftime(max(available_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS last_available_time,
  count(*)::BIGINT AS "rows",
  count(DISTINCT filename)::BIGINT AS partitions,
  max(epoch_ms(available_time) - epoch_ms(event_time))::BIGINT AS max_delay_ms
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true, filename = true) r
GROUP BY ALL
ORDER BY venue, symbol, price, timeframe
