-- Paper replay: the orders the paper run placed, by order id.
-- $path VARCHAR   the run's orders.parquet
-- Returns: order_id, symbol, created (epoch us), type, qty, price, reduce_only, origin.
SELECT order_id, symbol, epoch_us(created_time)::DOUBLE AS created, type, qty, price, reduce_only, origin
FROM read_parquet($path) ORDER BY order_id;
