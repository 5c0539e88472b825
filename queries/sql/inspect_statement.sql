-- Parses the user's query text (without running it) into DuckDB's JSON syntax tree, for the read-only check
-- of `perpkit sql` (one SELECT statement, nothing that writes or changes settings).
-- $sql VARCHAR   the user's query text
-- Returns one row: tree (json_serialize_sql's JSON text; {"error": true, ...} when it does not parse).
SELECT json_serialize_sql(CAST($sql AS VARCHAR))::VARCHAR AS tree;
