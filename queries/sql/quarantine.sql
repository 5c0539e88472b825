-- View quarantine: the rows `perpkit validate` found bad, by key, with check, severity and reason, read from <data-dir>/quarantine/ (Hive partitions as VARCHAR columns: venue, symbol).
-- Variables: perpkit_files_quarantine (VARCHAR glob or LIST(VARCHAR) of its Parquet files)
-- Reads: nothing else
-- Creates: view quarantine (the dataset's columns, see src/domain/datasets.ts)
CREATE OR REPLACE VIEW quarantine AS
SELECT * FROM read_parquet(getvariable('perpkit_files_quarantine'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true);
