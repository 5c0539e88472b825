-- The labelled decision times a split is built on: per (symbol, decision time), the latest label end
-- and the horizons present.
-- $files LIST(VARCHAR)    labels Parquet files of the split's scope
-- $from TIMESTAMP         decisions from (NULL = no bound)
-- $to TIMESTAMP           decisions before (NULL = no bound)
-- $hz LIST(VARCHAR)       only these horizons (NULL = all)
-- Returns: symbol, d (decision time, epoch us), e (latest label_end_time, epoch us), hs (horizons, sorted),
-- hmax (longest horizon, ms); ordered by decision time, symbol.
SELECT symbol, epoch_us(event_time)::BIGINT AS d, epoch_us(max(label_end_time))::BIGINT AS e,
       list(DISTINCT horizon ORDER BY horizon) AS hs, max(horizon_ms)::BIGINT AS hmax
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE ($from IS NULL OR event_time >= $from) AND ($to IS NULL OR event_time < $to)
  AND ($hz IS NULL OR list_contains($hz, horizon))
GROUP BY symbol, event_time ORDER BY event_time, symbol;
