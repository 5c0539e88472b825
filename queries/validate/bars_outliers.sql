-- Validation: price moves too large for their series, cross-checked against other price types so that
-- a real move is told apart from a bad print. Empty result = pass.
-- A bar is a candidate when its largest excursion from the previous close, max |ln(p / prev close)|
-- over high, low and close, exceeds
--   least($max_move_1m * sqrt(timeframe in minutes),                      -- seed §2.3, scaled by time
--         greatest($min_move, $vol_multiple * trailing median excursion)) -- scaled by volatility
-- (trailing median over the $vol_window bars before it, the bar itself excluded). Its extreme price
-- (the high for an up move, the low for a down move) is then compared with the reference series: the
-- other price types of the same market (last vs mark vs index), its spot reference (perp -> spot) or
-- the perps referencing it (spot -> perp), over their bars overlapping the candidate's interval. The
-- move is confirmed when a reference went at least $confirm_ratio of the way in the same direction
-- from the same previous close (a smoothed mark price or a spot market does not follow every
-- liquidation wick of a perp, but a real crash moves them too; a bad print moves nothing else):
--   price_outlier              references exist and none confirms the move: a bad print
--   price_outlier_unconfirmed  no reference series covers the bar: cannot tell
--   outlier_confirmed          a reference confirms it: a real move (reported, not quarantined)
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)       bars Parquet files to check
-- $ref_files LIST(VARCHAR)   bars Parquet files usable as references (includes $files)
-- $tf_names LIST(VARCHAR)    known timeframes
-- $tf_secs LIST(BIGINT)      their lengths in seconds, same order
-- $spot_refs VARCHAR         JSON text [{"venue","symbol","spot_venue","spot_symbol"}] from instruments
-- $max_move_1m DOUBLE        seed threshold for 1m bars, fraction (0.10)
-- $min_move DOUBLE           smallest excursion ever flagged, fraction
-- $vol_multiple DOUBLE       multiple of the trailing median excursion
-- $vol_window INTEGER        trailing window, bars
-- $confirm_ratio DOUBLE      share of the move a reference must show to confirm it (0..1)
-- Returns: check, dataset ('bars'), venue, symbol, price, timeframe, event_time, row_available_time,
-- row_source, row_key (natural key as JSON text), reason, value (the excursion, fraction, as ln ratio).
WITH b AS (
  SELECT venue, symbol, price, timeframe, event_time, open_time, available_time, source, "open", high, low, "close",
         CAST($tf_secs[list_position($tf_names, timeframe)] AS BIGINT) AS tf
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
  WHERE isfinite("open") AND isfinite(high) AND isfinite(low) AND isfinite("close") AND least("open", high, low, "close") > 0
), s AS (
  SELECT *, lag("close") OVER (PARTITION BY venue, symbol, price, timeframe ORDER BY event_time) AS pc FROM b WHERE tf IS NOT NULL
), m AS (
  SELECT *, greatest(abs(ln("close" / pc)), abs(ln(high / pc)), abs(ln(low / pc))) AS mv,
         CASE WHEN ln(high / pc) >= -ln(low / pc) THEN high ELSE low END AS extreme
  FROM s WHERE pc IS NOT NULL
), v AS (
  SELECT *, median(mv) OVER (PARTITION BY venue, symbol, price, timeframe ORDER BY event_time
                             ROWS BETWEEN $vol_window PRECEDING AND 1 PRECEDING) AS med
  FROM m
), cand AS (
  SELECT *, least($max_move_1m * sqrt(tf / 60.0), greatest($min_move, $vol_multiple * coalesce(med, 0))) AS thr
  FROM v
  WHERE mv > least($max_move_1m * sqrt(tf / 60.0), greatest($min_move, $vol_multiple * coalesce(med, 0)))
), sr AS (
  SELECT unnest(from_json($spot_refs, '[{"venue":"VARCHAR","symbol":"VARCHAR","spot_venue":"VARCHAR","spot_symbol":"VARCHAR"}]'), recursive := true)
), pairs AS (
  SELECT DISTINCT venue, symbol, venue AS r_venue, symbol AS r_symbol FROM cand
  UNION SELECT venue, symbol, spot_venue, spot_symbol FROM sr
  UNION SELECT spot_venue, spot_symbol, venue, symbol FROM sr
), refs AS (
  SELECT venue AS r_venue, symbol AS r_symbol, price AS r_price, timeframe AS r_timeframe, open_time AS r_open, event_time AS r_close, high AS r_high, low AS r_low
  FROM read_parquet($ref_files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
  WHERE isfinite(high) AND isfinite(low) AND low > 0
), hits AS (
  SELECT c.venue, c.symbol, c.price, c.timeframe, c.event_time,
         count(r.r_high) AS n_ref,
         bool_or(CASE WHEN c.extreme = c.high THEN ln(r.r_high / c.pc) ELSE ln(c.pc / r.r_low) END >= $confirm_ratio * c.mv) AS reached,
         string_agg(DISTINCT r.r_venue || '/' || r.r_symbol || ' ' || r.r_price || ' ' || r.r_timeframe, ', '
                    ORDER BY r.r_venue || '/' || r.r_symbol || ' ' || r.r_price || ' ' || r.r_timeframe) AS ref_names,
         min(r.r_low) AS ref_low, max(r.r_high) AS ref_high
  FROM cand c
  JOIN pairs p ON p.venue = c.venue AND p.symbol = c.symbol
  LEFT JOIN refs r ON r.r_venue = p.r_venue AND r.r_symbol = p.r_symbol
                  AND NOT (r.r_venue = c.venue AND r.r_symbol = c.symbol AND r.r_price = c.price)
                  AND r.r_open < c.event_time AND r.r_close > c.open_time
  GROUP BY ALL
)
SELECT
  CASE WHEN coalesce(h.n_ref, 0) = 0 THEN 'price_outlier_unconfirmed' WHEN h.reached THEN 'outlier_confirmed' ELSE 'price_outlier' END AS "check",
  'bars' AS dataset, c.venue, c.symbol, c.price, c.timeframe, c.event_time,
  c.available_time AS row_available_time, c.source AS row_source,
  to_json({'venue': c.venue, 'symbol': c.symbol, 'price': c.price, 'timeframe': c.timeframe, 'event_time': c.event_time::VARCHAR})::VARCHAR AS row_key,
  format('move {}% from previous close {} to {} {} (threshold {}%); {}', round(100 * c.mv, 2), c.pc,
         CASE WHEN c.extreme = c.high THEN 'high' ELSE 'low' END, c.extreme, round(100 * c.thr, 2),
         CASE WHEN coalesce(h.n_ref, 0) = 0 THEN 'no reference series covers this bar'
              WHEN h.reached THEN format('confirmed by {} (range {} to {})', h.ref_names, h.ref_low, h.ref_high)
              ELSE format('not confirmed by {} (range {} to {})', h.ref_names, h.ref_low, h.ref_high) END) AS reason,
  c.mv AS value
FROM cand c
LEFT JOIN hits h USING (venue, symbol, price, timeframe, event_time)
ORDER BY c.venue, c.symbol, c.price, c.timeframe, c.event_time
