-- Rows this run quarantines, counted per check.
-- Reads: __flagged
-- Returns: check, n, ordered by check.
SELECT "check", count(*)::BIGINT AS n FROM __flagged WHERE quarantine AND event_time IS NOT NULL GROUP BY ALL ORDER BY 1;
