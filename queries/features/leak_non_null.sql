-- Leakage harness: the non-NULL values among the compared columns of leak_full.
-- lists: cols
-- Returns: n (sum over the columns of count(column)).
SELECT list_sum([*COLUMNS(*)])::BIGINT AS n FROM (SELECT count(COLUMNS(getvariable('cols'))) FROM leak_full)
