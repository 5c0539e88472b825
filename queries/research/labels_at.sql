-- research/labels_at: the forward-return labels of the evaluated rows, placed: each label row with
-- the index of its (symbol, decision time) in the order of split/segment_doubles (symbol, then
-- time) and the index of its horizon in $horizons. Labels of times without a features row are left
-- out (nothing to pair them with), as are missing and non-finite returns.
-- Reads: research_features, research_labels (temp tables: the features and labels rows of the
--   split segment(s), from readSegment).
-- Creates: nothing (returns rows, read column-wise into typed arrays).
-- Params:
--   $horizons  VARCHAR[]  label horizons to keep (e.g. ['5m', '1h'])
-- idents: rel
--   rel: rel_return when the run has a relative target (research_labels has the column), else
--   fwd_return (read twice, the fifth column unused)
-- Returns: i DOUBLE (row index), h DOUBLE (horizon index, 0-based), fwd_return DOUBLE (fraction),
--   round_trip_cost DOUBLE (fraction; NULL when unknown), rel_return DOUBLE (perp minus spot
--   return, fraction; NULL where the spot leg is).
WITH f AS (
  SELECT symbol, event_time, row_number() OVER (ORDER BY symbol, event_time) - 1 AS i
  FROM research_features
)
SELECT f.i::DOUBLE AS i,
       (list_position($horizons, l.horizon) - 1)::DOUBLE AS h,
       l.fwd_return,
       l.round_trip_cost,
       l.{{rel}} AS rel_return
FROM research_labels l
JOIN f ON f.symbol = l.symbol AND f.event_time = l.event_time
WHERE list_contains($horizons, l.horizon)
  AND l.fwd_return IS NOT NULL AND isfinite(l.fwd_return)
