-- View predictions: out-of-sample model predictions per decision time (event_time; available_time = decision + inference latency), read from <data-dir>/predictions/ (Hive partitions as VARCHAR columns: venue, symbol, timeframe, month).
-- Variables: perpkit_files_predictions (VARCHAR glob or LIST(VARCHAR) of its Parquet files)
-- Reads: nothing else
-- Creates: view predictions (the dataset's columns, see src/services/train/predictions.ts)
CREATE OR REPLACE VIEW predictions AS
SELECT * FROM read_parquet(getvariable('perpkit_files_predictions'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true);
