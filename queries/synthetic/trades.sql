-- Generated trades in the trades dataset's shape.
-- reads: __syn_raw, __syn_series
-- creates: __syn_trades
-- $venue VARCHAR, $source VARCHAR, $ingest TIMESTAMP   stored as they are
SELECT $venue AS venue, s.symbol,
  make_timestamp(CAST(r.time_us AS BIGINT)) AS event_time,
  make_timestamp(CAST(r.time_us AS BIGINT) + CAST(r.delay_us AS BIGINT)) AS available_time,
  $source AS source, $ingest AS ingest_time,
  CAST(CAST(r.trade_id AS BIGINT) AS VARCHAR) AS trade_id, r.price, r.size,
  CASE WHEN r.side > 0 THEN 'buy' ELSE 'sell' END AS side
FROM __syn_raw r JOIN __syn_series s USING (sid)
