-- Exponential moving averages of many series at once, truncated to the last $window rows and
-- renormalised (weights alpha*(1-alpha)^j, j < $window, divided by their sum 1-(1-alpha)^$window).
-- Pick $window so that (1-alpha)^$window is negligible (perpkit uses <= 1e-6 of the weight mass).
-- NULL until $window consecutive non-NULL inputs are present (warm-up and after a gap).
-- Computed with cumulative sums inside blocks of $block rows (x * (1-alpha)^-pos stays finite),
-- so it costs a few window passes instead of $window lags. Requires $block > $window.
-- The last block is padded to its full length: DuckDB's running sums can round differently with
-- the size of the partition, and the point-in-time rule needs a value at row i to be bit-identical
-- whatever rows come after i (the leakage harness checks it).
-- Input: temp table ema_in(series VARCHAR, symbol VARCHAR, rn BIGINT (0,1,2.. per series+symbol in
-- arrival order), alpha DOUBLE (same for all rows of a series), x DOUBLE)
-- $window BIGINT   rows in the truncated window
-- $block BIGINT    block length for the rescaling, > $window (e.g. 2000)
-- Returns: series, symbol, rn, ema
WITH k AS (
  SELECT series, symbol, any_value(alpha) AS alpha, max(rn) // $block AS last_blk FROM ema_in GROUP BY ALL
), padded AS (
  SELECT k.series, k.symbol, k.alpha, r.rn, e.x
  FROM (SELECT series, symbol, alpha, unnest(range(0::BIGINT, ((last_blk + 1) * $block)::BIGINT)) AS rn FROM k) r
  JOIN k USING (series, symbol)
  LEFT JOIN ema_in e ON e.series = r.series AND e.symbol = r.symbol AND e.rn = r.rn
), b AS (
  SELECT series, symbol, rn, alpha, x, rn // $block AS blk, rn % $block AS pos,
         pow(1 - alpha, -(rn % $block)) * coalesce(x, 0) AS u
  FROM padded
), c AS (
  SELECT *, sum(u) OVER (PARTITION BY series, symbol, blk ORDER BY rn ROWS UNBOUNDED PRECEDING) AS cs
  FROM b
), d AS (
  SELECT *,
    lag(cs, $window) OVER (PARTITION BY series, symbol ORDER BY rn) AS cs_w,
    count(x) OVER (PARTITION BY series, symbol ORDER BY rn ROWS BETWEEN $window - 1 PRECEDING AND CURRENT ROW) AS n
  FROM c
), tot AS (
  SELECT series, symbol, blk + 1 AS blk, arg_max(cs, rn) AS prev_total FROM c GROUP BY ALL
)
SELECT d.series, d.symbol, d.rn,
  CASE WHEN d.n = $window THEN d.alpha * (CASE
      WHEN d.pos >= $window THEN pow(1 - d.alpha, d.pos) * (d.cs - d.cs_w)
      WHEN d.pos = $window - 1 THEN pow(1 - d.alpha, d.pos) * d.cs
      ELSE pow(1 - d.alpha, d.pos) * d.cs + pow(1 - d.alpha, d.pos + $block) * (tot.prev_total - d.cs_w)
    END) / (1 - pow(1 - d.alpha, $window)) END AS ema
FROM d LEFT JOIN tot USING (series, symbol, blk)
WHERE d.rn <= (SELECT max(rn) FROM ema_in i WHERE i.series = d.series AND i.symbol = d.symbol)
