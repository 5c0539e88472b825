-- Stages one dataset of the bundled sample for writing into a data dir, rows as they are.
-- idents: cols
-- Creates: temp table __stage_sample ({{cols}})
-- {{cols}}              the dataset's partition keys and columns
-- $files LIST(VARCHAR)  the sample's Parquet files of the dataset (already filtered by symbol)
-- $from TIMESTAMP       keep event_time >= $from (NULL = no bound)
-- $to TIMESTAMP         keep event_time < $to (NULL = no bound)
CREATE OR REPLACE TEMP TABLE __stage_sample AS
SELECT {{cols}} FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE ($from IS NULL OR event_time >= $from) AND ($to IS NULL OR event_time < $to);
