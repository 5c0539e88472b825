-- backtest outputs: turns a filled column of epoch microseconds (DOUBLE) into a TIMESTAMP.
-- idents: t, col
ALTER TABLE {{t}} ALTER COLUMN {{col}} SET DATA TYPE TIMESTAMP USING make_timestamp({{col}}::BIGINT)
