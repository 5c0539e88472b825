-- The latest stored version of every instrument (validate's references and funding cadences).
-- $files LIST(VARCHAR)   instruments Parquet files
-- Returns: venue, symbol, kind, spot_venue, spot_symbol, funding_interval_hours, ordered by venue, symbol.
SELECT venue, symbol, kind, spot_venue, spot_symbol, funding_interval_hours
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
QUALIFY row_number() OVER (PARTITION BY venue, symbol ORDER BY event_time DESC) = 1
ORDER BY venue, symbol;
