-- View ledger: the append-only trial ledger: every evaluation, access and unsealing, read from <data-dir>/ledger/ (Hive partitions as VARCHAR columns: month).
-- Variables: perpkit_files_ledger (VARCHAR glob or LIST(VARCHAR) of its Parquet files)
-- Reads: nothing else
-- Creates: view ledger (the dataset's columns: event_time, kind, command, args, config_hash, data_hashes, split_name, segment, detail, ...)
CREATE OR REPLACE VIEW ledger AS
SELECT * FROM read_parquet(getvariable('perpkit_files_ledger'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true);
