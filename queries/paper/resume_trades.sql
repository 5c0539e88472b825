-- Paper run resumed: the stored trades of bars still open when it stopped.
-- $files LIST(VARCHAR)   trades Parquet files of the run's venue and symbols
-- $from TIMESTAMP        the earliest open bar's start
-- Returns: symbol, trade_id, price, size, et (event time, epoch us), at (available time, epoch us).
SELECT symbol, trade_id, price, size, epoch_us(event_time)::DOUBLE AS et, epoch_us(available_time)::DOUBLE AS at
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE event_time >= $from;
