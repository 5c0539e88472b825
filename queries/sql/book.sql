-- View book: L2 book snapshots, diffs and gap markers, read from <data-dir>/book/ (Hive partitions as VARCHAR columns:
-- venue, symbol, date), without the rows `perpkit validate` quarantined for dataset 'book' unless the variable
-- perpkit_include_quarantined is true (`perpkit sql --include-quarantined`).
-- Variables: perpkit_files_book (VARCHAR glob or LIST(VARCHAR) of its Parquet files),
--            perpkit_include_quarantined (BOOLEAN)
-- Reads: view quarantine
-- Creates: view book (the dataset's columns, see src/domain/datasets.ts)
CREATE OR REPLACE VIEW book AS
SELECT t.*
FROM read_parquet(getvariable('perpkit_files_book'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true) t
WHERE coalesce(getvariable('perpkit_include_quarantined'), false)
   OR NOT EXISTS (
     SELECT 1 FROM quarantine q
     WHERE q.dataset = 'book' AND q.venue = t.venue AND q.symbol = t.symbol AND q.event_time = t.event_time
       AND q.row_available_time = t.available_time);
