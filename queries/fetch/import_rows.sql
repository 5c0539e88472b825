-- Rows one imported file gave (the step table __import_rows), counted.
-- Reads: __import_rows
-- Returns one row: n.
SELECT count(*)::BIGINT AS n FROM __import_rows;
