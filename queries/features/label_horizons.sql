-- The label horizons, one row each: name and length.
-- $names VARCHAR[]   horizon names, e.g. ['1h', '4h']
-- $ms VARCHAR[]      their lengths in ms, same order (cast to BIGINT)
CREATE OR REPLACE TEMP TABLE label_horizons AS SELECT unnest($names) AS horizon, unnest($ms)::BIGINT AS horizon_ms
