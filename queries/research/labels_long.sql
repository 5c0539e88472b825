-- research/labels_long: the forward-return labels of the evaluated rows, one row per
-- (symbol, decision time, horizon), in the order the research service aligns them.
-- Reads: research_labels (temp table: the labels rows of the split segment(s), from readSegment).
-- Creates: nothing (returns rows).
-- Params:
--   $horizons  VARCHAR[]  label horizons to keep (e.g. ['5m', '1h'])
-- Returns: symbol VARCHAR, t BIGINT (decision time, epoch ms), horizon VARCHAR,
--   horizon_ms BIGINT, fwd_return DOUBLE (fraction), round_trip_cost DOUBLE (fraction).
SELECT symbol,
       epoch_ms(event_time)::BIGINT AS t,
       horizon,
       horizon_ms::BIGINT AS horizon_ms,
       fwd_return,
       round_trip_cost
FROM research_labels
WHERE list_contains($horizons, horizon)
  AND fwd_return IS NOT NULL AND isfinite(fwd_return)
ORDER BY symbol, horizon, t;
