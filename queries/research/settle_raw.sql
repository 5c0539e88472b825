-- research/settlement: the funding settlements of the split's symbols inside the segment's intervals.
-- reads: research_settle_iv
-- creates: research_settle_raw
-- $files VARCHAR[]     the funding dataset's files
-- $symbols VARCHAR[]   the split's symbols
-- $lo TIMESTAMP        the first interval's start (bounds the scan; the intervals decide)
-- $hi TIMESTAMP        the last interval's end
-- Returns: symbol, s TIMESTAMP (settlement time), rate DOUBLE.
SELECT symbol, event_time AS s, funding_rate AS rate
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE list_contains($symbols, symbol) AND event_time >= $lo AND event_time < $hi
  AND EXISTS (SELECT 1 FROM research_settle_iv i WHERE event_time >= i.a AND event_time < i.b)
