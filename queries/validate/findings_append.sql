-- Appends the rows one validation query produced (its step table __validate_rows) to __findings.
-- Reads: __validate_rows, __findings
-- $query VARCHAR   the validation query's name (e.g. validate/duplicates), kept with each row
INSERT INTO __findings SELECT $query AS query, * FROM __validate_rows;
