-- One symbol's staged bars, times as epoch microseconds (DOUBLE), in no particular order: the feature
-- engine places each row at its slot of the bar axis (services/features/panel.ts loadBars). A
-- series' event times are unique (the bars' natural key), so the order cannot matter.
-- idents: src
-- $s VARCHAR   the symbol
SELECT epoch_us(event_time)::DOUBLE AS ev, epoch_us(available_time)::DOUBLE AS avail, open, high, low, close, volume
FROM {{src}} WHERE symbol = $s
