-- Report of a backtest run: its fills, in time order (columns read by position).
-- $path VARCHAR   the run's fills.parquet
-- Returns: fill time (epoch ms), symbol, qty, price, fee, slippage cost, liquidation, realised pnl (0 when unknown).
SELECT epoch_ms(fill_time)::DOUBLE, symbol, qty, price, coalesce(fee, 0), coalesce(slippage_cost, 0), liquidation, coalesce(realised_pnl, 0)
FROM read_parquet($path) ORDER BY fill_time;
