-- Validation: two sources of the same perp's settled funding compared settlement by settlement.
-- Empty result = pass.
--   funding_cross_source  |rate - other source's rate| > $tolerance for the same symbol and a settlement
--                         within $tolerance_ms, where the pair of venues is declared in $pairs
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)   funding Parquet files of both venues of each pair
-- $pairs VARCHAR         JSON text [{"venue","other_venue"}]: venues carrying the same perps under the same symbols
-- $tolerance DOUBLE      allowed |difference| of the rates, fraction
-- $tolerance_ms BIGINT   settlement stamps this close are the same settlement, ms
-- Returns: check, dataset ('funding'), venue, symbol, price, timeframe (NULL), event_time (of the row
-- of `venue`), row_available_time, row_source, row_key (natural key as JSON text), reason, value (difference).
WITH p AS (
  SELECT unnest(from_json($pairs, '[{"venue":"VARCHAR","other_venue":"VARCHAR"}]'), recursive := true)
), f AS (
  SELECT venue, symbol, event_time, available_time, source, funding_rate
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
  WHERE isfinite(funding_rate)
)
SELECT 'funding_cross_source' AS "check", 'funding' AS dataset, a.venue, a.symbol, NULL::VARCHAR AS price, NULL::VARCHAR AS timeframe,
       a.event_time, a.available_time AS row_available_time, a.source AS row_source,
       to_json({'venue': a.venue, 'symbol': a.symbol, 'event_time': a.event_time::VARCHAR})::VARCHAR AS row_key,
       format('rate {} ({}) differs from {} ({}, {}) by {} (tolerance {})', a.funding_rate, a.source, b.funding_rate, b.venue, b.source,
              round(a.funding_rate - b.funding_rate, 10), $tolerance) AS reason,
       a.funding_rate - b.funding_rate AS value
FROM p
JOIN f a ON a.venue = p.venue
JOIN f b ON b.venue = p.other_venue AND b.symbol = a.symbol
        AND abs(epoch_ms(b.event_time) - epoch_ms(a.event_time)) <= $tolerance_ms
WHERE abs(a.funding_rate - b.funding_rate) > $tolerance
ORDER BY a.venue, a.symbol, a.event_time
