-- backtest outputs: drops an output's temp table once written.
-- idents: t
DROP TABLE IF EXISTS {{t}}
