-- The last stored event_time of one venue/symbol (incremental venue fetch).
-- $files LIST(VARCHAR)   the dataset's Parquet files
-- $venue VARCHAR, $symbol VARCHAR
-- Returns one row: t (epoch microseconds; NULL when none).
SELECT epoch_us(max(event_time))::BIGINT AS t
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE venue = $venue AND symbol = $symbol;
