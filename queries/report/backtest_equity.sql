-- Report of a backtest run: its equity curve, in time order (columns read by position).
-- $path VARCHAR   the run's equity.parquet
-- Returns: time (epoch ms), equity, gross exposure, net exposure (0 when unknown), controller_state.
SELECT epoch_ms(time)::DOUBLE, equity, coalesce(gross_exposure, 0), coalesce(net_exposure, 0), controller_state
FROM read_parquet($path) ORDER BY time;
