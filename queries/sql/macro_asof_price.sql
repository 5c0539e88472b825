-- Macro asof_price(venue, symbol, t): the last-traded price of a symbol as a live system knew it at
-- time t: the close of its latest bar (any timeframe, price = 'last') with available_time <= t, or
-- NULL if none had arrived. Point-in-time by available_time, never by event_time.
-- Example: SELECT asof_price('binance-usdm', 'BTC-PERP', TIMESTAMP '2026-03-14 12:00:00')
-- Variables: none
-- Reads: view bars
-- Creates: macro asof_price(p_venue VARCHAR, p_symbol VARCHAR, p_time TIMESTAMP) -> DOUBLE
CREATE OR REPLACE MACRO asof_price(p_venue, p_symbol, p_time) AS (
  SELECT close FROM bars
  WHERE venue = p_venue AND symbol = p_symbol AND price = 'last' AND available_time <= p_time
  ORDER BY event_time DESC, available_time DESC
  LIMIT 1
);
