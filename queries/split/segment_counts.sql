-- Rows and decision rows (distinct symbol, event_time) of a segment's temp table.
-- idents: table
-- Returns one row: n, d.
SELECT count(*)::BIGINT AS n, count(DISTINCT (symbol, event_time))::BIGINT AS d FROM {{table}};
