-- Empty table the generated trades (each with the quote it hit) are appended to (typed arrays, in this column order).
-- Creates: temp table __syn_raw
CREATE OR REPLACE TEMP TABLE __syn_raw (
  sid INTEGER, time_us DOUBLE, delay_us DOUBLE, trade_id DOUBLE, price DOUBLE, size DOUBLE, side TINYINT,
  bid DOUBLE, ask DOUBLE, bid_size DOUBLE, ask_size DOUBLE
);
