-- Report of a backtest run: its positions, in time order (columns read by position).
-- $path VARCHAR   the run's positions.parquet
-- Returns: time (epoch ms), symbol, qty.
SELECT epoch_ms(time)::DOUBLE, symbol, qty FROM read_parquet($path) ORDER BY time;
