-- The ledger's research evaluations (all, or one run's), in time order.
-- $files LIST(VARCHAR)   the ledger's Parquet files
-- $id VARCHAR            a research run id (NULL = every run)
-- Returns: at (ISO text, microseconds), args, detail.
SELECT strftime(event_time, '%Y-%m-%dT%H:%M:%S.%fZ') AS at, args, detail
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE command = 'research' AND kind = 'evaluation' AND ($id IS NULL OR json_extract_string(detail, '$.run_id') = $id)
ORDER BY event_time;
