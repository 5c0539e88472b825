-- Empty table the generated regime spans are appended to (typed arrays, in this column order).
-- Creates: temp table __syn_regimes
CREATE OR REPLACE TEMP TABLE __syn_regimes (s DOUBLE, e DOUBLE, r INTEGER);
