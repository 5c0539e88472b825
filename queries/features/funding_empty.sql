-- An empty funding series when nothing is stored: symbol, event_time, available_time, the rate
-- and each print's settlement interval, as series_copy would give them.
-- idents: t, value
CREATE OR REPLACE TEMP TABLE {{t}} (
  symbol VARCHAR, event_time TIMESTAMP, available_time TIMESTAMP, {{value}} DOUBLE, funding_interval_hours DOUBLE
)
