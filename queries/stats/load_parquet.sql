-- The user's Parquet file for `perpkit stats`, read once into a temp table (the columns as the file has them).
-- Creates: temp table __stats_src
-- $path VARCHAR   the file
CREATE OR REPLACE TEMP TABLE __stats_src AS SELECT * FROM read_parquet($path);
