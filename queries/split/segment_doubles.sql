-- The chosen columns of one symbol's rows of one or more segment reads (split/segment_columns' rows:
-- the same files and intervals), as doubles, streamed to the caller (services/split.ts
-- readSegmentColumns) instead of copied into a table first: the decision time in epoch ms, again in
-- epoch microseconds (exact: the intervals are in microseconds), then each column. In the files'
-- order (no sort of the wide rows: the caller puts them in time order if they are not).
-- idents: cols
-- {{cols}}                   columns of the dataset (checked against its files by the reads)
-- $files LIST(VARCHAR)       features or labels Parquet files of the split's scope
-- $starts LIST(TIMESTAMP)    interval starts
-- $ends LIST(TIMESTAMP)      interval ends (same length; an empty list selects nothing)
-- $lo TIMESTAMP, $hi TIMESTAMP   the earliest start and the latest end (a pruning bound; NULL when no interval)
-- $symbol VARCHAR           the symbol (its files only are read: hive partition pruning)
WITH iv AS (SELECT unnest($starts::TIMESTAMP[]) AS a, unnest($ends::TIMESTAMP[]) AS b)
SELECT epoch_ms(t.event_time)::DOUBLE AS t, epoch_us(t.event_time)::DOUBLE AS us, {{cols}}
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true) t
WHERE t.symbol = $symbol AND t.event_time >= $lo AND t.event_time < $hi
  AND EXISTS (SELECT 1 FROM iv WHERE t.event_time >= iv.a AND t.event_time < iv.b);
