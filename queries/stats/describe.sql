-- The columns of the loaded stats input, in file order.
-- Reads: __stats_src
-- Returns: column_name, column_type (and DESCRIBE's other columns).
DESCRIBE SELECT * FROM __stats_src;
