-- Paper replay: the paper run's fills, as written.
-- $path VARCHAR   the run's fills.parquet
-- Returns: order_id, symbol, time (epoch us), qty, price.
SELECT order_id, symbol, epoch_us(fill_time)::DOUBLE AS time, qty, price FROM read_parquet($path);
