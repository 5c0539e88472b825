-- Rows staged from the sample per series.
-- Reads: __stage_sample
-- idents: series
-- {{series}}   the series columns: venue, symbol (and price, timeframe for bars)
-- Returns: the series columns, n; ordered.
SELECT {{series}}, count(*)::BIGINT AS n FROM __stage_sample GROUP BY ALL ORDER BY ALL;
