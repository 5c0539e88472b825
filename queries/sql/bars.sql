-- View bars: OHLCV bars (event_time = bar close), read from <data-dir>/bars/ (Hive partitions as VARCHAR columns:
-- venue, symbol, price, timeframe, month), without the rows `perpkit validate` quarantined for dataset 'bars' unless the variable
-- perpkit_include_quarantined is true (`perpkit sql --include-quarantined`).
-- Variables: perpkit_files_bars (VARCHAR glob or LIST(VARCHAR) of its Parquet files),
--            perpkit_include_quarantined (BOOLEAN)
-- Reads: view quarantine
-- Creates: view bars (the dataset's columns, see src/domain/datasets.ts)
CREATE OR REPLACE VIEW bars AS
SELECT t.*
FROM read_parquet(getvariable('perpkit_files_bars'), hive_partitioning = true, hive_types_autocast = false, union_by_name = true) t
WHERE coalesce(getvariable('perpkit_include_quarantined'), false)
   OR NOT EXISTS (
     SELECT 1 FROM quarantine q
     WHERE q.dataset = 'bars' AND q.venue = t.venue AND q.symbol = t.symbol AND q.event_time = t.event_time
       AND q.price IS NOT DISTINCT FROM t.price AND q.timeframe IS NOT DISTINCT FROM t.timeframe);
