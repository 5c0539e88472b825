-- The numeric columns of the loaded stats input as doubles, in file order (no time column: file order kept).
-- Reads: __stats_src
-- lists: numeric
-- numeric   the columns to read (names as in the file; any characters)
-- Returns: one DOUBLE column per listed column, under its own name.
SELECT CAST(COLUMNS(c -> list_contains(getvariable('numeric'), c)) AS DOUBLE) FROM __stats_src;
