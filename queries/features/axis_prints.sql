-- One symbol's staged prints (open interest) in event-time order: event and available times as
-- epoch microseconds and the value column {{value}}; no settlement interval (NULL).
-- idents: src, value
-- $s VARCHAR   the symbol
SELECT epoch_us(event_time)::DOUBLE AS ev, epoch_us(available_time)::DOUBLE AS avail, {{value}}::DOUBLE AS value,
       NULL::DOUBLE AS interval_h
FROM {{src}} WHERE symbol = $s ORDER BY event_time, available_time
