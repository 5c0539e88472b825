-- Empty table the generated open interest is appended to (typed arrays, in this column order).
-- Creates: temp table __syn_raw
CREATE OR REPLACE TEMP TABLE __syn_raw (sid INTEGER, minute DOUBLE, oi DOUBLE, oiv DOUBLE);
