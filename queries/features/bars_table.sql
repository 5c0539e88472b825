-- An empty bar series table (raw_perp, raw_spot, raw_mark) that stageBars appends to.
-- idents: t
CREATE OR REPLACE TEMP TABLE {{t}} (
  symbol VARCHAR, event_time TIMESTAMP, available_time TIMESTAMP, open_time TIMESTAMP,
  open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE
)
