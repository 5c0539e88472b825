-- backtest: one symbol's top-of-book quotes in [$from, $to), read column-wise, in arrival
-- order; epoch microseconds as DOUBLE; a missing price or size is NaN.
-- $files VARCHAR[]    the quotes files
-- $from TIMESTAMP     first event time
-- $to TIMESTAMP       event times before this
-- Returns (in this order): event time, available time, bid, ask, bid size, ask size.
SELECT epoch_us(event_time)::DOUBLE, epoch_us(available_time)::DOUBLE, coalesce(bid_price, 'NaN'::DOUBLE), coalesce(ask_price, 'NaN'::DOUBLE),
       coalesce(bid_size, 'NaN'::DOUBLE), coalesce(ask_size, 'NaN'::DOUBLE)
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE event_time >= $from AND event_time < $to
ORDER BY available_time, event_time
