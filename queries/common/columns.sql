-- The column names of a temp table, in its order (callers check them against their catalog before use).
-- idents: t
-- Returns: column_name VARCHAR.
SELECT column_name FROM (DESCRIBE {{t}})
