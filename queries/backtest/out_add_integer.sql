-- backtest outputs: adds one INTEGER column to an output's temp table (TIMESTAMP columns are added
-- as DOUBLE epoch microseconds and converted by out_timestamp once filled).
-- idents: t, col
ALTER TABLE {{t}} ADD COLUMN {{col}} INTEGER
