-- Bars of the decision timeframe from stored bars of a timeframe that divides it: complete
-- buckets only (every part present), so a 4h bar is never built from 3 hours. A rolled-up bar
-- closes at its last part's close and is available when its last part is. At 1:1 ($parts = 1)
-- every stored bar is its own bucket and passes through unchanged.
-- reads: {{src}}
-- creates: rollup_out
-- idents: src
-- $sym VARCHAR     the symbol the rows are staged under (a spot reference takes its perp's symbol)
-- $secs BIGINT     length of the target bars, seconds
-- $parts BIGINT    stored bars per target bar
-- Input: {{src}} (a scanned bar table: event_time, available_time, open_time, open, high, low, close, volume), one series.
-- Returns: symbol, event_time, available_time, open_time, open, high, low, close, volume.
SELECT $sym AS symbol, max(event_time) AS event_time, max(available_time) AS available_time, min(open_time) AS open_time,
       arg_min(open, event_time) AS open, max(high) AS high, min(low) AS low, arg_max(close, event_time) AS close,
       sum(volume) AS volume
FROM {{src}}
GROUP BY time_bucket(to_seconds($secs), open_time)
HAVING count(DISTINCT event_time) = $parts
