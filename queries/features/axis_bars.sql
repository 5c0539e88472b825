-- One symbol's staged bars in event-time order, times as epoch microseconds (DOUBLE), for placing
-- on the feature engine's bar axis (services/features/panel.ts loadBars).
-- idents: src
-- $s VARCHAR   the symbol
SELECT epoch_us(event_time)::DOUBLE AS ev, epoch_us(available_time)::DOUBLE AS avail, open, high, low, close, volume
FROM {{src}} WHERE symbol = $s ORDER BY event_time
