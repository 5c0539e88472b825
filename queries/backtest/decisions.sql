-- backtest: the decision rows of the run's symbols in arrival order, read column-wise: symbol
-- index, available time, and each listed column as DOUBLE (NULL as NaN), named as in the table.
-- idents: t
-- lists: cols
-- $syms VARCHAR[]   the run's symbols (the index is the position in this list, 0-based)
-- cols: the strategy's and the context columns (at least one; see decision_times otherwise)
-- Returns: __sym INTEGER, __time DOUBLE (epoch us), the listed columns (table order).
SELECT list_position($syms, symbol)::INTEGER - 1 AS __sym, epoch_us(available_time)::DOUBLE AS __time,
       coalesce(COLUMNS(getvariable('cols'))::DOUBLE, 'NaN'::DOUBLE)
FROM {{t}}
WHERE list_contains($syms, symbol)
ORDER BY available_time, __sym
