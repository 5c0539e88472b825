-- A partial build (--set): the families not rebuilt (columns listed in feat_keep) are taken from the
-- rows already stored for the same decisions ({{prev}}: symbol, event_time and those columns, maybe
-- more), NULL where none is stored.
-- idents: prev
-- lists: feat_keep
CREATE OR REPLACE TEMP TABLE feat_stage AS
SELECT * EXCLUDE (__symbol, __event_time)
FROM (SELECT COLUMNS(c -> NOT list_contains(getvariable('feat_keep'), c)) FROM feat_batch) s
LEFT JOIN (SELECT symbol AS __symbol, event_time AS __event_time, COLUMNS(c -> list_contains(getvariable('feat_keep'), c)) FROM {{prev}}) p
  ON s.symbol = p.__symbol AND s.event_time = p.__event_time
