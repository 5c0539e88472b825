-- Report of a backtest run: its funding payments, in time order (columns read by position).
-- $path VARCHAR   the run's funding_payments.parquet
-- Returns: time (epoch ms), kind, rate, amount.
SELECT epoch_ms(time)::DOUBLE, kind, rate, amount FROM read_parquet($path) ORDER BY time;
