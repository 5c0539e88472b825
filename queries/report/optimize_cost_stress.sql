-- Report of an optimisation run: the cost stress grid, as written (columns read by position).
-- $path VARCHAR   the run's cost_stress.parquet
-- Returns: fee_tier, slippage_mult, net_sharpe, net_return, round_trip_bps.
SELECT fee_tier, slippage_mult, net_sharpe, net_return, round_trip_bps FROM read_parquet($path);
