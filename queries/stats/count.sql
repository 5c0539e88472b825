-- Rows of the loaded stats input.
-- Reads: __stats_src
-- Returns one row: n.
SELECT count(*)::BIGINT AS n FROM __stats_src;
