-- Decision rows without a label per horizon (no exit price yet, or a gap at the entry or exit).
-- Returns: horizon, n BIGINT, ordered by horizon.
SELECT horizon, count(*) FILTER (WHERE label_end_time IS NULL)::BIGINT AS n FROM label_out GROUP BY ALL ORDER BY ALL
