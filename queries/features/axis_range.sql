-- Event-time range of one symbol's bars in a staged bar table, as epoch microseconds (DOUBLE):
-- the bar axis of the feature engine spans it.
-- idents: src
-- $s VARCHAR   the symbol
SELECT epoch_us(min(event_time))::DOUBLE AS t0, epoch_us(max(event_time))::DOUBLE AS t1 FROM {{src}} WHERE symbol = $s
