-- research/settlement: the segment's time intervals [a, b), one row each, that the event and bar
-- reads are restricted to.
-- $a VARCHAR[]   interval starts, epoch microseconds (cast to BIGINT)
-- $b VARCHAR[]   interval ends, same order
CREATE OR REPLACE TEMP TABLE research_settle_iv AS
SELECT make_timestamp(unnest($a)::BIGINT) AS a, make_timestamp(unnest($b)::BIGINT) AS b
