-- backtest outputs: writes an output's temp table to one Parquet file, its columns in order.
-- idents: t, cols
-- $path VARCHAR   the file to write
COPY (SELECT {{cols}} FROM {{t}}) TO $path (FORMAT parquet)
