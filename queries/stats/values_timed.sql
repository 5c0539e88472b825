-- The numeric columns of the loaded stats input as doubles, ordered by its time column (as epoch seconds,
-- unparsable times NULL and last).
-- Reads: __stats_src
-- lists: numeric, time_col
-- numeric    the columns to read (names as in the file; any characters)
-- time_col   the time column (one name; a date, timestamp or text column, never a numeric one)
-- Returns: the time column as epoch seconds (first, under its own name), then one DOUBLE column per listed column.
SELECT epoch(TRY_CAST(COLUMNS(c -> list_contains(getvariable('time_col'), c)) AS TIMESTAMPTZ)),
       CAST(COLUMNS(c -> list_contains(getvariable('numeric'), c)) AS DOUBLE)
FROM __stats_src
ORDER BY 1 NULLS LAST;
