-- Generated bars in the bars dataset's shape (event_time = bar close; NaN volume and negative trade count = unknown).
-- reads: __syn_raw, __syn_series
-- creates: __syn_bars
-- $venue VARCHAR, $source VARCHAR, $ingest TIMESTAMP   stored as they are
-- $timeframe VARCHAR   e.g. 1m, 1h
-- $tf INTEGER          minutes in the timeframe
SELECT $venue AS venue, s.symbol, s.price, $timeframe AS timeframe,
  make_timestamp(CAST(r.end_minute AS BIGINT) * 60000000) AS event_time,
  make_timestamp(CAST(r.end_minute AS BIGINT) * 60000000 + CAST(r.delay_ms AS BIGINT) * 1000) AS available_time,
  $source AS source, $ingest AS ingest_time,
  make_timestamp((CAST(r.end_minute AS BIGINT) - $tf) * 60000000) AS open_time,
  r.open, r.high, r.low, r.close,
  CASE WHEN isnan(r.volume) THEN NULL ELSE r.volume END AS volume,
  CASE WHEN isnan(r.volume) THEN NULL ELSE r.volume * (r.high + r.low + r.close) / 3 END AS quote_volume,
  CASE WHEN r.trade_count < 0 THEN NULL ELSE CAST(r.trade_count AS BIGINT) END AS trade_count
FROM __syn_raw r JOIN __syn_series s USING (sid)
