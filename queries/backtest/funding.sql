-- backtest: one symbol's funding prints in [$from, $to), read column-wise, in arrival order;
-- epoch microseconds as DOUBLE; a missing interval or mark price is NaN.
-- $files VARCHAR[]    the funding files
-- $from TIMESTAMP     first event time
-- $to TIMESTAMP       event times before this
-- Returns (in this order): event time, available time, funding_rate, interval hours, mark price.
SELECT epoch_us(event_time)::DOUBLE, epoch_us(available_time)::DOUBLE, funding_rate,
       coalesce(funding_interval_hours, 'NaN'::DOUBLE), coalesce(mark_price, 'NaN'::DOUBLE)
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE event_time >= $from AND event_time < $to
ORDER BY available_time, event_time
