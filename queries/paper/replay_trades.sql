-- Paper replay: the recorded trades from the run's start, one row per trade (its earliest arrival).
-- $files LIST(VARCHAR)   trades Parquet files of the run's venue and symbols
-- $from TIMESTAMP        the run's start
-- Returns: symbol, trade_id, price, size, et (event time, epoch us), at (earliest available time, epoch us).
SELECT symbol, trade_id, price, size, epoch_us(event_time)::DOUBLE AS et, min(epoch_us(available_time))::DOUBLE AS at
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE event_time >= $from GROUP BY ALL;
