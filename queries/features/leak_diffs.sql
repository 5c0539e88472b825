-- Leakage harness: up to 50 values that differ between leak_full (unmodified inputs) and
-- feat_out (inputs dropped or perturbed after the cutoff) at decision times up to the cutoff,
-- and decision rows present on one side only. Values are compared as DOUBLE.
-- lists: cols
-- $cut TIMESTAMP   the cutoff
-- cols: the compared columns (ages and features), in the order reported
-- Returns: symbol, t (decision time, ISO), col, full, modified (DOUBLE).
WITH a AS (
  SELECT symbol, decision_time, [*COLUMNS(getvariable('cols'))] AS v
  FROM (SELECT symbol, decision_time, COLUMNS(getvariable('cols'))::DOUBLE FROM leak_full)
), b AS (
  SELECT symbol, decision_time, [*COLUMNS(getvariable('cols'))] AS v
  FROM (SELECT symbol, decision_time, COLUMNS(getvariable('cols'))::DOUBLE FROM feat_out WHERE decision_time <= $cut)
)
SELECT a.symbol, strftime(coalesce(a.decision_time, b.decision_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS t, c.col,
       c.va AS full, c.vb AS modified
FROM a FULL JOIN b USING (symbol, decision_time)
CROSS JOIN LATERAL (SELECT unnest(getvariable('cols')) AS col, unnest(a.v) AS va, unnest(b.v) AS vb) c
WHERE c.va IS DISTINCT FROM c.vb OR a.symbol IS NULL OR b.symbol IS NULL
LIMIT 50
