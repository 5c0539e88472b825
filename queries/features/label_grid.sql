-- Decision grid of the labels: the same bar closes + decision latency as the features, from each
-- symbol's first to last stored bar of the decision timeframe, inside [$from, $to).
-- reads: raw_perp
-- creates: label_grid
-- $tf_us BIGINT       bar length of the decision timeframe, microseconds
-- $lat BIGINT         decision latency after the bar close, ms
-- $from TIMESTAMP     first decision time (NULL: no bound)
-- $to TIMESTAMP       decision times before this (NULL: no bound)
-- Returns: symbol, decision_time.
WITH span AS (SELECT symbol, min(event_time) AS t0, max(event_time) AS t1 FROM raw_perp GROUP BY symbol),
closes AS (SELECT symbol, unnest(generate_series(t0, t1, to_microseconds($tf_us::BIGINT))) AS close_time FROM span)
SELECT symbol, close_time + to_milliseconds($lat) AS decision_time FROM closes
WHERE ($from IS NULL OR close_time + to_milliseconds($lat) >= $from)
  AND ($to IS NULL OR close_time + to_milliseconds($lat) < $to)
