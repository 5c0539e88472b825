-- train: appends a further segment read's label columns to the panel's labels table.
-- idents: t, src
INSERT INTO {{t}} BY NAME
SELECT symbol, event_time, horizon, fwd_return, label_end_time, available_time FROM {{src}}
