-- View quarantine when nothing has been quarantined yet (no <data-dir>/quarantine/): the same
-- columns, no rows, so the dataset views that exclude quarantined rows work before any validate run.
-- Variables: none
-- Reads: nothing
-- Creates: view quarantine (venue, symbol, event_time, available_time, source, ingest_time, dataset,
-- price, timeframe, check, severity, reason, row_key, row_available_time, row_source)
CREATE OR REPLACE VIEW quarantine AS
SELECT
  NULL::VARCHAR AS venue, NULL::VARCHAR AS symbol, NULL::TIMESTAMP AS event_time, NULL::TIMESTAMP AS available_time,
  NULL::VARCHAR AS source, NULL::TIMESTAMP AS ingest_time, NULL::VARCHAR AS dataset, NULL::VARCHAR AS price,
  NULL::VARCHAR AS timeframe, NULL::VARCHAR AS "check", NULL::VARCHAR AS severity, NULL::VARCHAR AS reason,
  NULL::VARCHAR AS row_key, NULL::TIMESTAMP AS row_available_time, NULL::VARCHAR AS row_source
WHERE false;
