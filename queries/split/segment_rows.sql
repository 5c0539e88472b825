-- Every row of a segment's temp table (perpkit split --read prints them).
-- idents: table
-- Returns: the table's columns, in its order.
SELECT * FROM {{table}};
