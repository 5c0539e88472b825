-- research/settlement: the usual time between two settlements of a symbol (median of the positive gaps).
-- Returns: gap DOUBLE (ms; NULL when there are fewer than two settlements).
SELECT median(d) AS gap
FROM (SELECT epoch_ms(s) - lag(epoch_ms(s)) OVER (PARTITION BY symbol ORDER BY s) AS d FROM research_settle_raw)
WHERE d > 0
