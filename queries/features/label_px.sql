-- Label prices: the executable prices a label may enter or exit at, one row per (symbol, time),
-- from every staged source, keeping the finest source where two share a time (a 15m bar's open
-- and the 1h bar's open at the same instant: the 15m one; a trade before either).
-- reads: label_src
-- creates: label_px
-- Input: label_src(symbol, px_time TIMESTAMP, price DOUBLE, available_time TIMESTAMP, tol_ms BIGINT,
-- source VARCHAR) where tol_ms is the source's granularity (bar length; trades: a fixed limit).
-- Returns: symbol, px_time, price, available_time, tol_ms, source.
SELECT symbol, px_time, price, available_time, tol_ms, source
FROM label_src
QUALIFY row_number() OVER (PARTITION BY symbol, px_time ORDER BY tol_ms, source) = 1
