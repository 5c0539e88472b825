-- research/settlement: the perps' bars inside the segment's intervals widened by $pad_min on each
-- side (the windows around an event near an interval's edge).
-- reads: research_settle_iv
-- creates: research_settle_perp
-- $files VARCHAR[]   the bars files (last price, the finest stored timeframe)
-- $lo TIMESTAMP      the first interval's start
-- $hi TIMESTAMP      the last interval's end
-- $pad_min BIGINT    minutes added on each side of every interval
-- Returns: symbol, t TIMESTAMP (bar close), close, high, low, volume; ordered by symbol, t.
SELECT symbol, event_time AS t, close, high, low, volume
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE event_time >= $lo - to_minutes($pad_min::BIGINT) AND event_time < $hi + to_minutes($pad_min::BIGINT)
  AND EXISTS (SELECT 1 FROM research_settle_iv i WHERE event_time >= i.a - to_minutes($pad_min::BIGINT) AND event_time < i.b + to_minutes($pad_min::BIGINT))
ORDER BY symbol, t
