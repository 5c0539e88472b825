-- research/settlement: one spot reference's bar closes inside the padded intervals, under its perp's symbol.
-- $files VARCHAR[]   the spot's bars files (last price, its finest stored timeframe)
-- $perp VARCHAR      the perp's symbol
-- $lo TIMESTAMP      the first interval's start
-- $hi TIMESTAMP      the last interval's end
-- $pad_min BIGINT    minutes added on each side of every interval
INSERT INTO research_settle_spot
SELECT $perp, event_time, close
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE event_time >= $lo - to_minutes($pad_min::BIGINT) AND event_time < $hi + to_minutes($pad_min::BIGINT)
  AND EXISTS (SELECT 1 FROM research_settle_iv i WHERE event_time >= i.a - to_minutes($pad_min::BIGINT) AND event_time < i.b + to_minutes($pad_min::BIGINT))
