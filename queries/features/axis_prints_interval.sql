-- One symbol's staged funding prints in event-time order: event and available times as epoch
-- microseconds, the value column {{value}} and the settlement interval in hours.
-- idents: src, value
-- $s VARCHAR   the symbol
SELECT epoch_us(event_time)::DOUBLE AS ev, epoch_us(available_time)::DOUBLE AS avail, {{value}}::DOUBLE AS value,
       funding_interval_hours::DOUBLE AS interval_h
FROM {{src}} WHERE symbol = $s ORDER BY event_time, available_time
