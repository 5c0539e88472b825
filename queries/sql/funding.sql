-- View funding: settled funding rates at their settlement time, read from <data-dir>/funding/ (Hive partitions as VARCHAR columns:
-- venue, symbol, month), without the rows `perpkit validate` quarantined for dataset 'funding' unless the variable
-- perpkit_include_quarantined is true (`perpkit sql --include-quarantined`).
-- Variables: perpkit_files_funding (VARCHAR glob or LIST(VARCHAR) of its Parquet files),
--            perpkit_include_quarantined (BOOLEAN)
-- Reads: view quarantine
-- Creates: view funding (the dataset's columns, see src/domain/datasets.ts)
CREATE OR REPLACE VIEW funding AS
SELECT t.*
FROM read_parquet(getvariable('perpkit_files_funding'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true) t
WHERE coalesce(getvariable('perpkit_include_quarantined'), false)
   OR NOT EXISTS (
     SELECT 1 FROM quarantine q
     WHERE q.dataset = 'funding' AND q.venue = t.venue AND q.symbol = t.symbol AND q.event_time = t.event_time);
