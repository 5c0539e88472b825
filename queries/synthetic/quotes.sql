-- The quote each generated trade hit, published 1 us before it with the same receive latency (quotes dataset's shape).
-- reads: __syn_raw, __syn_series
-- creates: __syn_quotes
-- $venue VARCHAR, $source VARCHAR, $ingest TIMESTAMP   stored as they are
SELECT $venue AS venue, s.symbol,
  make_timestamp(CAST(r.time_us AS BIGINT) - 1) AS event_time,
  make_timestamp(CAST(r.time_us AS BIGINT) - 1 + CAST(r.delay_us AS BIGINT)) AS available_time,
  $source AS source, $ingest AS ingest_time,
  CAST(r.trade_id AS BIGINT) AS update_id, r.bid AS bid_price, r.bid_size, r.ask AS ask_price, r.ask_size
FROM __syn_raw r JOIN __syn_series s USING (sid)
