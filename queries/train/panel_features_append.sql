-- train: appends a further segment read's key and feature columns to the panel's features table.
-- idents: t, src
-- lists: cols
-- cols: symbol, event_time and the requested features present (as for panel_features)
INSERT INTO {{t}} BY NAME
SELECT COLUMNS(getvariable('cols')), NULL::DOUBLE AS __pad
FROM {{src}}
