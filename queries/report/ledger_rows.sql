-- Ledger entries for the report's honesty section, in time order.
-- $files LIST(VARCHAR)   the ledger's Parquet files
-- Returns: kind, command, split_name, detail.
SELECT kind, command, split_name, detail
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
ORDER BY event_time;
