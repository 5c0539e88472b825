-- research: the chosen feature columns of a segment's features, one row per (symbol, decision
-- time), in the order the panel is built (read column-wise by the caller).
-- idents: t
-- lists: cols
-- cols: symbol and the feature columns (checked against the catalog)
-- Returns: symbol VARCHAR, t DOUBLE (decision time, epoch ms), the listed feature columns.
SELECT COLUMNS(getvariable('cols')), epoch_ms(event_time)::DOUBLE AS t
FROM {{t}}
ORDER BY symbol, event_time
