-- Leakage harness: the reference values, the features computed on unmodified inputs at the
-- decision times up to the cutoff.
-- $cut TIMESTAMP   the cutoff
CREATE OR REPLACE TEMP TABLE leak_full AS SELECT * FROM feat_out WHERE decision_time <= $cut
