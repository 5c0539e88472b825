-- The time span of the bars of some venues, to place scheduled market closures (validate bars_gaps).
-- $files LIST(VARCHAR)    bars Parquet files
-- $venues LIST(VARCHAR)   the venues that declare closures
-- Returns one row: lo, hi (epoch milliseconds of the first and last event_time; NULL when none).
SELECT epoch_ms(min(event_time))::BIGINT AS lo, epoch_ms(max(event_time))::BIGINT AS hi
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE list_contains($venues, venue);
