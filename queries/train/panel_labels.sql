-- train: the label columns of one segment read, copied into the panel's labels table.
-- idents: t, src
CREATE TEMP TABLE {{t}} AS
SELECT symbol, event_time, horizon, fwd_return, label_end_time, available_time FROM {{src}}
