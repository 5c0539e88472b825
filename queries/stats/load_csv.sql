-- The user's CSV file for `perpkit stats`, read once into a temp table (types as DuckDB's sniffer finds them).
-- Creates: temp table __stats_src
-- $path VARCHAR   the file
CREATE OR REPLACE TEMP TABLE __stats_src AS SELECT * FROM read_csv_auto($path);
