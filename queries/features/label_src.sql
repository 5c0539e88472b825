-- The empty label_src table: every executable price a label may enter or exit at, from each
-- staged source (bars:<tf> opens, trades), before label_px keeps the finest per instant.
-- tol_ms is the source's granularity (bar length; trades: a fixed limit).
CREATE OR REPLACE TEMP TABLE label_src (
  symbol VARCHAR, px_time TIMESTAMP, price DOUBLE, available_time TIMESTAMP, tol_ms BIGINT, source VARCHAR
)
