-- backtest: the column names of the decision rows' temp table.
-- idents: t
-- Returns: column_name VARCHAR.
SELECT column_name FROM (DESCRIBE {{t}})
