-- Every ledger evaluation of a strategy family (each optimize cell and backtest run of this strategy, ever):
-- its Sharpe ratio and periods per year, for the deflated Sharpe ratio's trial count and variance.
-- $files LIST(VARCHAR)   the ledger's Parquet files
-- $spec VARCHAR          the strategy spec (args.strategy)
-- Returns: sharpe, ppy (NULL when not recorded).
SELECT TRY_CAST(json_extract(detail, '$.sharpe') AS DOUBLE) AS sharpe, TRY_CAST(json_extract(detail, '$.periods_per_year') AS DOUBLE) AS ppy
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE kind = 'evaluation' AND json_extract_string(args, '$.strategy') = $spec;
