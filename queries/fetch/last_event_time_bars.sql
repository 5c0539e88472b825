-- The last stored event_time of one bars series venue/symbol/price/timeframe (incremental venue fetch).
-- $files LIST(VARCHAR)   bars Parquet files
-- $venue VARCHAR, $symbol VARCHAR, $price VARCHAR, $timeframe VARCHAR
-- Returns one row: t (epoch microseconds; NULL when none).
SELECT epoch_us(max(event_time))::BIGINT AS t
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE venue = $venue AND symbol = $symbol AND price = $price AND timeframe = $timeframe;
