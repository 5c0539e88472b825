-- Generated open interest in the open_interest dataset's shape.
-- reads: __syn_raw, __syn_series
-- creates: __syn_oi
-- $venue VARCHAR, $source VARCHAR, $ingest TIMESTAMP   stored as they are
-- $delay_us BIGINT   publication delay, microseconds
SELECT $venue AS venue, s.symbol,
  make_timestamp(CAST(r.minute AS BIGINT) * 60000000) AS event_time,
  make_timestamp(CAST(r.minute AS BIGINT) * 60000000 + $delay_us) AS available_time,
  $source AS source, $ingest AS ingest_time, r.oi AS open_interest, r.oiv AS open_interest_value
FROM __syn_raw r JOIN __syn_series s USING (sid)
