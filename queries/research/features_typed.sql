-- research: the chosen feature columns of a segment's features in the order given ({{cols}}, all
-- DOUBLE), with the decision time (epoch ms, DOUBLE) first; one row per (symbol, decision time) in
-- symbol then time order, read column-wise into typed arrays (see features_symbols for the runs).
-- idents: t, cols
SELECT epoch_ms(event_time)::DOUBLE AS t, {{cols}}
FROM {{t}}
ORDER BY symbol, event_time
