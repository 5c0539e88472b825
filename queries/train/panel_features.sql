-- train: the key and chosen feature columns of one segment read (the temp table readSegment
-- returns), copied into the panel's features table, with __pad: an always-present NULL column, so
-- that the panel query's feature list is never empty (a model may ask only for absent features).
-- idents: t, src
-- lists: cols
-- cols: symbol, event_time and the requested features present in the table
CREATE TEMP TABLE {{t}} AS
SELECT COLUMNS(getvariable('cols')), NULL::DOUBLE AS __pad
FROM {{src}}
