-- research: the column names of a temp table (checked against the feature catalog before use).
-- idents: t
-- Returns: column_name VARCHAR.
SELECT column_name FROM (DESCRIBE {{t}})
