-- train: the chosen feature columns of one segment read (the temp table readSegment returns),
-- copied into the panel's features table; __pad is an always-present NULL column so that the
-- panel query's column list is never empty (a model may ask only for absent features).
-- idents: t, src
-- lists: cols
-- cols: the requested features present in the table (may be empty)
CREATE TEMP TABLE {{t}} AS
SELECT COLUMNS(c -> c IN ('symbol', 'event_time') OR list_contains(getvariable('cols'), c)), NULL::DOUBLE AS __pad
FROM {{src}}
