-- Validation: values of each bar. Empty result = pass. A bar fails at most one of these, in this order:
--   nonfinite_value    open, high, low or close NULL/NaN/infinite, or volume/quote_volume NaN/infinite
--   nonpositive_price  a price <= 0
--   ohlc_inconsistent  high < max(open, close), low > min(open, close) or high < low
--   negative_volume    volume, quote_volume or trade_count < 0
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)   bars Parquet files
-- Returns: check, dataset ('bars'), venue, symbol, price, timeframe, event_time, row_available_time,
-- row_source, row_key (natural key as JSON text), reason (with the values), value (NULL).
WITH b AS (
  SELECT venue, symbol, price, timeframe, event_time, available_time, source,
         "open", high, low, "close", volume, quote_volume, trade_count
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
), c AS (
  SELECT *,
    CASE
      WHEN NOT coalesce(isfinite("open") AND isfinite(high) AND isfinite(low) AND isfinite("close"), false)
        OR NOT coalesce(isfinite(volume), true) OR NOT coalesce(isfinite(quote_volume), true) THEN 'nonfinite_value'
      WHEN least("open", high, low, "close") <= 0 THEN 'nonpositive_price'
      WHEN high < greatest("open", "close") OR low > least("open", "close") OR high < low THEN 'ohlc_inconsistent'
      WHEN volume < 0 OR quote_volume < 0 OR trade_count < 0 THEN 'negative_volume'
    END AS "check"
  FROM b
)
SELECT "check", 'bars' AS dataset, venue, symbol, price, timeframe, event_time,
       available_time AS row_available_time, source AS row_source,
       to_json({'venue': venue, 'symbol': symbol, 'price': price, 'timeframe': timeframe, 'event_time': event_time::VARCHAR})::VARCHAR AS row_key,
       format('open {} high {} low {} close {} volume {}', "open", high, low, "close", coalesce(volume::VARCHAR, 'NULL')) AS reason,
       CAST(NULL AS DOUBLE) AS value
FROM c
WHERE "check" IS NOT NULL
ORDER BY "check", venue, symbol, price, timeframe, event_time
