-- Empty table the generated bars are appended to (typed arrays, in this column order).
-- Creates: temp table __syn_raw
CREATE OR REPLACE TEMP TABLE __syn_raw (
  sid INTEGER, end_minute DOUBLE, delay_ms INTEGER, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE, trade_count INTEGER
);
