-- The synthetic series: sid (asset * series per asset + kind) -> symbol and price.
-- Creates: temp table __syn_series (sid INTEGER, symbol VARCHAR, price VARCHAR)
-- $sids LIST(INTEGER), $symbols LIST(VARCHAR), $prices LIST(VARCHAR)   the series, position by position
CREATE OR REPLACE TEMP TABLE __syn_series AS
SELECT unnest($sids)::INTEGER AS sid, unnest($symbols)::VARCHAR AS symbol, unnest($prices)::VARCHAR AS price;
