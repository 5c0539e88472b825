-- An empty bar series table (raw_perp, raw_spot, raw_mark) that stageBars appends to, in the
-- compressed staging database (features/stage_db).
-- idents: t
CREATE OR REPLACE TABLE perpkit_stage.{{t}} (
  symbol VARCHAR, event_time TIMESTAMP, available_time TIMESTAMP, open_time TIMESTAMP,
  open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE
)
