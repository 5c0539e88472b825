-- Validation: what a perp's features need alongside its traded (last) bars, by time bucket. Empty = pass.
-- A bucket of $bucket_minutes is covered by a series when one of its bars overlaps it. One row per
-- run of consecutive uncovered buckets (event_time = the first perp bar close in the run).
--   spot_reference_missing  the perp's spot reference (instruments spot_venue/spot_symbol) has no bars
--   mark_index_missing      the perp has no bars of a required price type ($required_prices, e.g. mark)
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)            bars Parquet files of the perps to check (any price type)
-- $ref_files LIST(VARCHAR)        bars Parquet files of the perps and their spot references
-- $perps VARCHAR                  JSON text [{"venue","symbol","spot_venue","spot_symbol"}] (spot fields may be null)
-- $bucket_minutes INTEGER         bucket length, minutes
-- $required_prices LIST(VARCHAR)  price types a perp needs besides last, e.g. ['mark']
-- $spot_reference BOOLEAN         whether to check the spot reference
-- Returns: check, dataset ('bars'), venue, symbol, price (the missing price type, or 'last' of the
-- spot), timeframe (NULL), event_time, row_available_time, row_source (NULL), row_key (JSON: venue,
-- symbol, what, from, to), reason, value (buckets uncovered).
WITH pp AS (
  SELECT unnest(from_json($perps, '[{"venue":"VARCHAR","symbol":"VARCHAR","spot_venue":"VARCHAR","spot_symbol":"VARCHAR"}]'), recursive := true)
), perp_bars AS (
  SELECT b.venue, b.symbol, time_bucket(to_minutes($bucket_minutes), b.open_time) AS bucket, min(b.event_time) AS first_close
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true) b
  JOIN pp ON pp.venue = b.venue AND pp.symbol = b.symbol
  WHERE b.price = 'last'
  GROUP BY ALL
), ref AS (
  SELECT DISTINCT venue, symbol, price, unnest(range(time_bucket(to_minutes($bucket_minutes), open_time), event_time, to_minutes($bucket_minutes))) AS bucket
  FROM read_parquet($ref_files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
), needs AS (
  SELECT pp.venue, pp.symbol, 'spot_reference_missing' AS "check", pp.spot_venue AS r_venue, pp.spot_symbol AS r_symbol, 'last' AS r_price
  FROM pp WHERE $spot_reference AND pp.spot_symbol IS NOT NULL
  UNION ALL
  SELECT pp.venue, pp.symbol, 'mark_index_missing', pp.venue, pp.symbol, unnest($required_prices) FROM pp
), missing AS (
  SELECT n."check", n.venue, n.symbol, n.r_venue, n.r_symbol, n.r_price, b.bucket, b.first_close
  FROM needs n JOIN perp_bars b ON b.venue = n.venue AND b.symbol = n.symbol
  WHERE NOT EXISTS (SELECT 1 FROM ref r WHERE r.venue = n.r_venue AND r.symbol = n.r_symbol AND r.price = n.r_price AND r.bucket = b.bucket)
), islands AS (
  SELECT *, epoch(bucket) / ($bucket_minutes * 60) - row_number() OVER (PARTITION BY "check", venue, symbol, r_price ORDER BY bucket) AS grp
  FROM missing
), ranges AS (
  SELECT "check", venue, symbol, r_venue, r_symbol, r_price, min(bucket) AS from_b, max(bucket) + to_minutes($bucket_minutes) AS to_b,
         min(first_close) AS first_close, count(*) AS n
  FROM islands GROUP BY "check", venue, symbol, r_venue, r_symbol, r_price, grp
)
SELECT "check", 'bars' AS dataset, venue, symbol, r_price AS price, NULL::VARCHAR AS timeframe, first_close AS event_time,
       first_close AS row_available_time, NULL::VARCHAR AS row_source,
       to_json({'venue': venue, 'symbol': symbol, 'missing': r_venue || '/' || r_symbol || ' ' || r_price, 'from': from_b::VARCHAR, 'to': to_b::VARCHAR})::VARCHAR AS row_key,
       format('no {}/{} {} bars from {} to {} ({} buckets of {} min with {} last bars)', r_venue, r_symbol, r_price, from_b, to_b, n, $bucket_minutes, symbol) AS reason,
       n::DOUBLE AS value
FROM ranges
ORDER BY "check", venue, symbol, price, event_time
