-- research/settlement: each perp's spot reference from its latest instrument row.
-- $files VARCHAR[]   the instruments dataset's files
-- Returns: symbol, v (spot venue), sp (spot symbol).
SELECT symbol, arg_max(spot_venue, available_time) AS v, arg_max(spot_symbol, available_time) AS sp
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
GROUP BY symbol
