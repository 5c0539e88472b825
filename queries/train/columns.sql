-- train: the column names of a segment read's temp table.
-- idents: t
-- Returns: column_name VARCHAR.
SELECT column_name FROM (DESCRIBE {{t}})
