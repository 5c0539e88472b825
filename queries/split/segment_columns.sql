-- The rows of one split segment (or fold side), as split/segment_unordered, with only the columns a
-- reader asks for ({{cols}}: always with symbol and event_time, which segment_counts reads), in no
-- particular order. research reads 6 of the 20 label columns and its features of the catalog's:
-- the wide rows it does not need are not materialised.
-- idents: table, cols
-- {{table}}                  the segment's temp table (unique per read)
-- {{cols}}                   columns of the dataset (checked against its files: common/file_columns)
-- $files LIST(VARCHAR)       features or labels Parquet files of the split's scope
-- $starts LIST(TIMESTAMP)    interval starts
-- $ends LIST(TIMESTAMP)      interval ends (same length; an empty list selects nothing)
-- $lo TIMESTAMP, $hi TIMESTAMP   the earliest start and the latest end (a pruning bound; NULL when no interval)
CREATE TEMP TABLE {{table}} AS
WITH iv AS (SELECT unnest($starts::TIMESTAMP[]) AS a, unnest($ends::TIMESTAMP[]) AS b)
SELECT {{cols}}
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true) t
WHERE t.event_time >= $lo AND t.event_time < $hi
  AND EXISTS (SELECT 1 FROM iv WHERE t.event_time >= iv.a AND t.event_time < iv.b);
