-- Report of an optimisation run: the capacity curve by notional multiple (columns read by position).
-- $path VARCHAR   the run's capacity.parquet
-- Returns: multiple, notional, net_return, net_sharpe.
SELECT multiple, notional, net_return, net_sharpe FROM read_parquet($path) ORDER BY multiple;
