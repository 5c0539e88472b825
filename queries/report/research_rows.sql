-- One research run's result rows, in report order.
-- $files LIST(VARCHAR)   the research dataset's Parquet files
-- $id VARCHAR            the run id
-- Returns: every research column, and at (event_time as ISO text, seconds).
SELECT *, strftime(event_time, '%Y-%m-%dT%H:%M:%SZ') AS at
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE run_id = $id ORDER BY feature, horizon_ms, regime_dim, regime_cell;
