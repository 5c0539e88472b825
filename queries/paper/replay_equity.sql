-- Paper replay: the paper run's equity, in time order.
-- $path VARCHAR   the run's equity.parquet
-- Returns: time (epoch us), equity.
SELECT epoch_us(time)::DOUBLE AS time, equity FROM read_parquet($path) ORDER BY time;
