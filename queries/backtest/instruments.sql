-- backtest: each symbol's latest instrument version available at $asof (the universe as known
-- at the end of the run).
-- $files VARCHAR[]    the instruments files
-- $asof TIMESTAMP     versions available at or before this
-- Returns: symbol, tick_size, lot_size, contract_size, maker_fee, taker_fee, fee_tiers,
-- funding_interval_hours, funding_accrual_hours, expiry (epoch us as DOUBLE).
SELECT symbol, tick_size, lot_size, contract_size, maker_fee, taker_fee, fee_tiers, funding_interval_hours, funding_accrual_hours,
       epoch_us(expiry)::DOUBLE AS expiry
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE available_time <= $asof
QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY event_time DESC) = 1
