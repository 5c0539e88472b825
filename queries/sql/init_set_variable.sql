-- A line of the `perpkit sql --init` script that sets a variable to a literal: the script is run by the
-- user's own DuckDB, where nothing can be bound, so the value is written as a quoted SQL string (or a
-- boolean) here, by DuckDB, never by string formatting in TypeScript.
-- $name VARCHAR    the variable (perpkit_include_quarantined, perpkit_files_<dataset>)
-- $text VARCHAR    a text value (a glob), quoted as a string literal; NULL to use $flag
-- $flag BOOLEAN    a boolean value, used when $text is NULL
-- Returns one row: line.
SELECT format('SET VARIABLE {} = {};', $name,
              CASE WHEN $text IS NULL THEN CASE WHEN $flag THEN 'true' ELSE 'false' END
                   ELSE '''' || replace($text, '''', '''''') || '''' END) AS line;
