-- The empty raw_trades table the taker-flow features read (section 5): one row per trade of a
-- perp (leg 'perp') or of its spot reference (leg 'spot', staged under the perp's symbol).
CREATE OR REPLACE TEMP TABLE raw_trades (
  symbol VARCHAR, leg VARCHAR, event_time TIMESTAMP, available_time TIMESTAMP, size DOUBLE, side VARCHAR
)
