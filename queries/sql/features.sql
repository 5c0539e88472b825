-- View features: point-in-time features per decision time (event_time), read from <data-dir>/features/ (Hive partitions as VARCHAR columns: venue, symbol, timeframe, month).
-- Variables: perpkit_files_features (VARCHAR glob or LIST(VARCHAR) of its Parquet files)
-- Reads: nothing else
-- Creates: view features (the dataset's columns, see src/domain/features.ts)
CREATE OR REPLACE VIEW features AS
SELECT * FROM read_parquet(getvariable('perpkit_files_features'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true);
