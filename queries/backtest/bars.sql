-- backtest: one bar series for the engine, read column-wise, in arrival order. Bars closing in
-- ($from, $to]; epoch microseconds as DOUBLE; a missing volume is NaN.
-- $files VARCHAR[]    the series' bars files
-- $from TIMESTAMP     bars closing after this
-- $to TIMESTAMP       bars closing at or before this
-- Returns (in this order): ot, ct, av (open, close, available time), open, high, low, close, volume.
SELECT epoch_us(open_time)::DOUBLE AS ot, epoch_us(event_time)::DOUBLE AS ct, epoch_us(available_time)::DOUBLE AS av,
       open, high, low, close, coalesce(volume, 'NaN'::DOUBLE) AS volume
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE event_time > $from AND event_time <= $to
ORDER BY available_time, event_time
