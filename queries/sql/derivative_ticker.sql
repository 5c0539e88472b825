-- View derivative_ticker: mark, index, predicted funding, next funding time, OI as published, read from <data-dir>/derivative_ticker/ (Hive partitions as VARCHAR columns:
-- venue, symbol, date), without the rows `perpkit validate` quarantined for dataset 'derivative_ticker' unless the variable
-- perpkit_include_quarantined is true (`perpkit sql --include-quarantined`).
-- Variables: perpkit_files_derivative_ticker (VARCHAR glob or LIST(VARCHAR) of its Parquet files),
--            perpkit_include_quarantined (BOOLEAN)
-- Reads: view quarantine
-- Creates: view derivative_ticker (the dataset's columns, see src/domain/datasets.ts)
CREATE OR REPLACE VIEW derivative_ticker AS
SELECT t.*
FROM read_parquet(getvariable('perpkit_files_derivative_ticker'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true) t
WHERE coalesce(getvariable('perpkit_include_quarantined'), false)
   OR NOT EXISTS (
     SELECT 1 FROM quarantine q
     WHERE q.dataset = 'derivative_ticker' AND q.venue = t.venue AND q.symbol = t.symbol AND q.event_time = t.event_time
       AND q.row_available_time = t.available_time);
