-- Leakage harness: the rows of one restricted input available after the cutoff (the rows the
-- drop and perturb runs change).
-- idents: t
-- $cut TIMESTAMP   the cutoff
-- Returns: n BIGINT.
SELECT count(*)::BIGINT AS n FROM {{t}} WHERE available_time > $cut
