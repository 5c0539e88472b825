-- research: the chosen feature columns of a segment's features in the order given ({{cols}}, all
-- DOUBLE), with the decision time first (epoch ms, DOUBLE) and again in microseconds (exact: the
-- segment intervals are in microseconds); one row per (symbol, decision time) in symbol then time
-- order, read column-wise into typed arrays (see features_symbols for the runs). research/labels_at
-- numbers the rows in this same order.
-- idents: t, cols
SELECT epoch_ms(event_time)::DOUBLE AS t, epoch_us(event_time)::DOUBLE AS us, {{cols}}
FROM {{t}}
ORDER BY symbol, event_time
