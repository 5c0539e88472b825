-- Leakage harness: one raw input restricted to the rows of a cutoff's window
-- [$lower, $upper) by event_time; with $drop, the rows available after the cutoff are dropped.
-- idents: t, src
-- $lower TIMESTAMP   window start (warm-up before the compared decisions)
-- $upper TIMESTAMP   window end (rows after the cutoff that may leak)
-- $drop BOOLEAN      drop the rows with available_time > $cut
-- $cut TIMESTAMP     the cutoff
CREATE OR REPLACE TEMP TABLE {{t}} AS
SELECT * FROM {{src}}
WHERE event_time >= $lower AND event_time < $upper AND (NOT $drop OR available_time <= $cut)
