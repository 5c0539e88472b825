-- Checks in __findings that no validation query declares (a bug in a query, refused).
-- Reads: __findings
-- $names LIST(VARCHAR)   every declared check name
-- Returns: query, check (distinct pairs).
SELECT DISTINCT query, "check" FROM __findings WHERE NOT list_contains($names, "check");
