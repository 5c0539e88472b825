-- research/horizons: the label horizons stored for the evaluated rows, with their length.
-- Reads: research_labels (temp table: the labels rows of the split segment(s)).
-- Creates: nothing (returns rows).
-- Params: none.
-- Returns: horizon VARCHAR, horizon_ms BIGINT, n BIGINT (labelled rows), ordered by horizon_ms.
SELECT horizon, max(horizon_ms)::BIGINT AS horizon_ms, count(*)::BIGINT AS n
FROM research_labels
GROUP BY horizon
ORDER BY horizon_ms;
