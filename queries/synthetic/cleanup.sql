-- Drops every temp table of a synthetic run.
DROP TABLE IF EXISTS __syn_series; DROP TABLE IF EXISTS __syn_bars; DROP TABLE IF EXISTS __syn_raw;
DROP TABLE IF EXISTS __syn_oi; DROP TABLE IF EXISTS __syn_trades; DROP TABLE IF EXISTS __syn_quotes;
