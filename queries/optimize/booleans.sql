-- Rewrites an optimisation output file with its 0/1 INTEGER flag columns stored as BOOLEAN (the output
-- contract's type), every column kept in its place.
-- idents: cols
-- lists: bools
-- {{cols}}        every column of the file, in order
-- bools           the flag columns to store as BOOLEAN
-- $src VARCHAR    the file written with INTEGER flags
-- $dst VARCHAR    the file to write
COPY (
  SELECT {{cols}} FROM (
    SELECT COLUMNS(c -> NOT list_contains(getvariable('bools'), c)), CAST(COLUMNS(c -> list_contains(getvariable('bools'), c)) AS BOOLEAN)
    FROM read_parquet($src)
  )
) TO $dst (FORMAT parquet);
