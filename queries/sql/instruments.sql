-- View instruments: contract specifications, every stored version (latest: the greatest event_time per venue, symbol), read from <data-dir>/instruments/ (Hive partitions as VARCHAR columns: venue, symbol).
-- Variables: perpkit_files_instruments (VARCHAR glob or LIST(VARCHAR) of its Parquet files)
-- Reads: nothing else
-- Creates: view instruments (the dataset's columns, see src/domain/datasets.ts)
CREATE OR REPLACE VIEW instruments AS
SELECT * FROM read_parquet(getvariable('perpkit_files_instruments'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true);
