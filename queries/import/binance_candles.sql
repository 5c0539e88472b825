-- Binance candle CSV (freqtrade download format: date,open,high,low,close[,volume]) -> bars rows.
-- `date` is the bar OPEN time (ISO-8601 UTC); event_time is the bar close = open + timeframe;
-- available_time = close + the documented publication delay of the source.
-- Run as a step by fetch (one file at a time); it reads only the CSV.
-- reads: -
-- creates: __import_rows
-- $path VARCHAR         the CSV (gzip ok)
-- $venue VARCHAR        e.g. binance-usdm
-- $symbol VARCHAR       e.g. BTC-PERP
-- $price VARCHAR        last | mark
-- $timeframe VARCHAR    e.g. 1h
-- $tf_seconds INTEGER   seconds in the timeframe
-- $delay_ms BIGINT      publication delay after the close, milliseconds
-- $source VARCHAR       lineage tag stored in `source`
-- $ingest_time TIMESTAMP
-- $from TIMESTAMP       keep bars with event_time >= $from (NULL = no bound)
-- $to TIMESTAMP         keep bars with event_time < $to (NULL = no bound)
-- Returns the bars columns: venue, symbol, price, timeframe, event_time, available_time, source,
-- ingest_time, open_time, open, high, low, close, volume, quote_volume, trade_count.
-- Columns are read by name through to_json so that files without volume (mark price) share this
-- query; a missing or unparsable value comes out NULL and the store refuses it with its name.
WITH raw AS (
  SELECT to_json(r) AS j
  FROM read_csv($path, header = true, all_varchar = true) r
), parsed AS (
  SELECT
    coalesce(try_strptime(j ->> 'date', '%Y-%m-%dT%H:%M:%S.%gZ'),
             try_strptime(j ->> 'date', '%Y-%m-%dT%H:%M:%SZ'),
             try_strptime(j ->> 'date', '%Y-%m-%d %H:%M:%S')) AS open_time,
    TRY_CAST(j ->> 'open' AS DOUBLE) AS "open",
    TRY_CAST(j ->> 'high' AS DOUBLE) AS high,
    TRY_CAST(j ->> 'low' AS DOUBLE) AS low,
    TRY_CAST(j ->> 'close' AS DOUBLE) AS "close",
    TRY_CAST(j ->> 'volume' AS DOUBLE) AS volume
  FROM raw
)
SELECT
  $venue AS venue,
  $symbol AS symbol,
  $price AS price,
  $timeframe AS timeframe,
  open_time + to_seconds($tf_seconds) AS event_time,
  open_time + to_seconds($tf_seconds) + to_milliseconds($delay_ms) AS available_time,
  $source AS source,
  $ingest_time AS ingest_time,
  open_time,
  "open", high, low, "close",
  volume,
  CAST(NULL AS DOUBLE) AS quote_volume,
  CAST(NULL AS BIGINT) AS trade_count
FROM parsed
WHERE ($from IS NULL OR open_time IS NULL OR open_time + to_seconds($tf_seconds) >= $from)
  AND ($to IS NULL OR open_time IS NULL OR open_time + to_seconds($tf_seconds) < $to)
