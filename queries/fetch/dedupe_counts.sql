-- Rows of a staged import and its distinct natural keys.
-- Reads: {{stage}}
-- idents: stage, key
-- Returns one row: n (rows), keys (distinct natural keys).
SELECT count(*)::BIGINT AS n, (SELECT count(*) FROM (SELECT DISTINCT {{key}} FROM {{stage}}))::BIGINT AS keys FROM {{stage}};
