-- Leakage harness: one raw input restricted to a cutoff's window [$lower, $upper), with every row
-- available after the cutoff perturbed: its value columns scaled by a row-dependent factor, its
-- clocks kept.
-- idents: t, src
-- lists: vals
-- $lower TIMESTAMP   window start
-- $upper TIMESTAMP   window end
-- $cut TIMESTAMP     the cutoff
-- vals: the value columns to perturb (prices, volume, rate, open interest, size)
CREATE OR REPLACE TEMP TABLE {{t}} AS
SELECT * FROM {{src}} WHERE event_time >= $lower AND event_time < $upper AND available_time <= $cut
UNION ALL BY NAME
SELECT COLUMNS(c -> NOT list_contains(getvariable('vals'), c)),
       COLUMNS(c -> list_contains(getvariable('vals'), c)) * (1.5 + 0.25 * sin(epoch(event_time)))
FROM {{src}} WHERE event_time >= $lower AND event_time < $upper AND available_time > $cut
