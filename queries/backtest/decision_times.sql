-- backtest: the decision rows of the run's symbols in arrival order when no column is read
-- (a strategy that needs none and no context column stored).
-- idents: t
-- $syms VARCHAR[]   the run's symbols (the index is the position in this list, 0-based)
-- Returns: __sym INTEGER, __time DOUBLE (epoch us).
SELECT list_position($syms, symbol)::INTEGER - 1 AS __sym, epoch_us(available_time)::DOUBLE AS __time
FROM {{t}}
WHERE list_contains($syms, symbol)
ORDER BY available_time, __sym
