-- Binance funding-rate CSV (freqtrade format: date,funding_rate) -> funding rows.
-- `date` is the settlement time (some stamps carry milliseconds: kept as they are); the settled
-- rate is not known before it, so available_time = settlement + the documented delay.
-- Run as a step by fetch (one file at a time); it reads only the CSV.
-- reads: -
-- creates: __import_rows
-- $path VARCHAR, $venue VARCHAR, $symbol VARCHAR, $delay_ms BIGINT, $source VARCHAR,
-- $ingest_time TIMESTAMP, $interval_hours DOUBLE (hours per settlement),
-- $from TIMESTAMP / $to TIMESTAMP (event_time bounds, [from, to), NULL = none)
-- Returns the funding columns: venue, symbol, event_time, available_time, source, ingest_time,
-- funding_rate, funding_interval_hours, mark_price.
WITH parsed AS (
  SELECT
    coalesce(try_strptime(j ->> 'date', '%Y-%m-%dT%H:%M:%S.%gZ'),
             try_strptime(j ->> 'date', '%Y-%m-%dT%H:%M:%SZ'),
             try_strptime(j ->> 'date', '%Y-%m-%d %H:%M:%S')) AS event_time,
    TRY_CAST(j ->> 'funding_rate' AS DOUBLE) AS funding_rate
  FROM (SELECT to_json(r) AS j FROM read_csv($path, header = true, all_varchar = true) r)
)
SELECT
  $venue AS venue,
  $symbol AS symbol,
  event_time,
  event_time + to_milliseconds($delay_ms) AS available_time,
  $source AS source,
  $ingest_time AS ingest_time,
  funding_rate,
  $interval_hours AS funding_interval_hours,
  CAST(NULL AS DOUBLE) AS mark_price
FROM parsed
WHERE ($from IS NULL OR event_time IS NULL OR event_time >= $from)
  AND ($to IS NULL OR event_time IS NULL OR event_time < $to)
