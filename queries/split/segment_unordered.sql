-- The rows of one split segment (or fold side), as split/segment, in no particular order: for
-- readers that order what they read themselves (research reads each column by symbol and time).
-- Sorting the wide rows of a year of features was most of the cost of a segment read.
-- idents: table
-- {{table}}                  the segment's temp table (unique per read)
-- $files LIST(VARCHAR)       features or labels Parquet files of the split's scope
-- $starts LIST(TIMESTAMP)    interval starts
-- $ends LIST(TIMESTAMP)      interval ends (same length; an empty list selects nothing)
-- $lo TIMESTAMP, $hi TIMESTAMP   the earliest start and the latest end (a pruning bound; NULL when no interval)
CREATE TEMP TABLE {{table}} AS
WITH iv AS (SELECT unnest($starts::TIMESTAMP[]) AS a, unnest($ends::TIMESTAMP[]) AS b)
SELECT t.*
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true) t
WHERE t.event_time >= $lo AND t.event_time < $hi
  AND EXISTS (SELECT 1 FROM iv WHERE t.event_time >= iv.a AND t.event_time < iv.b);
