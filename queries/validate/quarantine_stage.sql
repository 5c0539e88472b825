-- The new quarantine rows of one (venue, symbol): this run's quarantining findings, one per flagged row
-- (dataset, check, row_key), in the quarantine dataset's shape.
-- Reads: __flagged
-- Creates: temp table __q_stage
-- $ingest TIMESTAMP   the run's time (ingest_time of the rows)
-- $venue VARCHAR, $symbol VARCHAR   the series
CREATE OR REPLACE TEMP TABLE __q_stage AS
SELECT DISTINCT ON (venue, symbol, dataset, "check", row_key)
  venue, symbol, event_time, greatest(coalesce(row_available_time, event_time), event_time) AS available_time,
  'perpkit-' || replace(query, '/', ':') AS source, $ingest AS ingest_time, dataset, price, timeframe, "check",
  severity, reason, row_key, row_available_time, row_source
FROM __flagged
WHERE quarantine AND event_time IS NOT NULL AND venue = $venue AND symbol = $symbol
ORDER BY venue, symbol, dataset, "check", row_key, event_time;
