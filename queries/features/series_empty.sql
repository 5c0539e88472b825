-- An empty per-print series (open interest) when nothing is stored: symbol, event_time,
-- available_time and the value column, as series_copy would give them.
-- idents: t, value
CREATE OR REPLACE TEMP TABLE {{t}} (symbol VARCHAR, event_time TIMESTAMP, available_time TIMESTAMP, {{value}} DOUBLE)
