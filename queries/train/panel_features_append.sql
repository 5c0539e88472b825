-- train: appends a further segment read's feature columns to the panel's features table.
-- idents: t, src
-- lists: cols
-- cols: the requested features present (as for panel_features)
INSERT INTO {{t}} BY NAME
SELECT COLUMNS(c -> c IN ('symbol', 'event_time') OR list_contains(getvariable('cols'), c)), NULL::DOUBLE AS __pad
FROM {{src}}
