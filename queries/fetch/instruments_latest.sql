-- The latest stored version of each symbol's instrument metadata, timestamps as epoch microseconds
-- (DOUBLE) so they compare with freshly fetched metadata.
-- lists: plain, times
-- plain   the metadata columns compared as they are
-- times   the TIMESTAMP metadata columns (returned as epoch_us DOUBLE under their own names)
-- $files LIST(VARCHAR)   instruments Parquet files of the venue and symbols
-- Returns: symbol, the plain columns, the time columns.
SELECT symbol, COLUMNS(c -> list_contains(getvariable('plain'), c)), epoch_us(COLUMNS(c -> list_contains(getvariable('times'), c)))::DOUBLE
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
QUALIFY row_number() OVER (PARTITION BY symbol ORDER BY event_time DESC) = 1;
