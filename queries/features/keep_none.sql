-- A partial build (--set) with nothing stored for the symbol: the families not rebuilt are NULL.
-- Columns listed in feat_keep (the other families' features) become NULL of their own type.
-- lists: feat_keep
CREATE OR REPLACE TEMP TABLE feat_stage AS
SELECT COLUMNS(c -> NOT list_contains(getvariable('feat_keep'), c)),
       CASE WHEN false THEN COLUMNS(c -> list_contains(getvariable('feat_keep'), c)) END
FROM feat_batch
