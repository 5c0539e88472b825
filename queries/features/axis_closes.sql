-- One symbol's staged bars, only what the feature engine reads of mark-price and BTC bars: event
-- and availability times as epoch microseconds (DOUBLE) and the close, in no particular order
-- (services/features/panel.ts loadCloses places each row at its slot of the bar axis).
-- idents: src
-- $s VARCHAR   the symbol
SELECT epoch_us(event_time)::DOUBLE AS ev, epoch_us(available_time)::DOUBLE AS avail, close
FROM {{src}} WHERE symbol = $s
