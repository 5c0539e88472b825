-- Report of an optimisation run: every cell's result per window and part (columns read by position).
-- $path VARCHAR   the run's cells.parquet
-- Returns: window, cell, params (JSON text), part, objective, sharpe.
SELECT "window"::INTEGER, cell::INTEGER, params, part, objective, sharpe FROM read_parquet($path) ORDER BY "window", cell, part;
