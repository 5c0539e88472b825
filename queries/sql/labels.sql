-- View labels: forward-return labels per decision time and horizon, with label_end_time, read from <data-dir>/labels/ (Hive partitions as VARCHAR columns: venue, symbol, timeframe, month).
-- Variables: perpkit_files_labels (VARCHAR glob or LIST(VARCHAR) of its Parquet files)
-- Reads: nothing else
-- Creates: view labels (the dataset's columns, see src/domain/features.ts)
CREATE OR REPLACE VIEW labels AS
SELECT * FROM read_parquet(getvariable('perpkit_files_labels'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true);
