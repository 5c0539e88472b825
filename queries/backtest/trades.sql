-- backtest: one symbol's trades with a positive price in [$from, $to), read column-wise, in
-- arrival order; epoch microseconds as DOUBLE; a missing size is NaN.
-- $files VARCHAR[]    the trades files
-- $from TIMESTAMP     first event time
-- $to TIMESTAMP       event times before this
-- Returns (in this order): event time, available time, price, size.
SELECT epoch_us(event_time)::DOUBLE, epoch_us(available_time)::DOUBLE, price, coalesce(size, 'NaN'::DOUBLE)
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE event_time >= $from AND event_time < $to AND price > 0
ORDER BY available_time, event_time
