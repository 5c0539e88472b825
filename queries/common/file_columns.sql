-- The columns of a dataset's files (their footers only: no row is read), as a segment read sees
-- them (hive partitions included, union by name).
-- $files LIST(VARCHAR)  Parquet files
-- Returns: column_name VARCHAR, one row per column.
SELECT column_name
FROM (DESCRIBE SELECT * FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true));
