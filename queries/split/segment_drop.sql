-- Drops a segment's temp table.
-- idents: table
DROP TABLE IF EXISTS {{table}};
