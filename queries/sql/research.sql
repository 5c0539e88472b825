-- View research: perpkit research's cells, one row per (run, feature, horizon, target, regime cell) with every statistic, read from <data-dir>/research/ (Hive partitions as VARCHAR columns: venue, timeframe, month).
-- Variables: perpkit_files_research (VARCHAR glob or LIST(VARCHAR) of its Parquet files)
-- Reads: nothing else
-- Creates: view research (the dataset's columns, see researchSpec in src/domain/research.ts)
CREATE OR REPLACE VIEW research AS
SELECT * FROM read_parquet(getvariable('perpkit_files_research'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true);
