-- train: the backtest's decision rows with one model's prediction and baseline joined on (symbol,
-- decision time); a row's available_time becomes the later of its own and the prediction's (the
-- engine never sees a prediction before it existed); rows without one keep NULL.
-- idents: out, d
-- $files VARCHAR[]   the predictions files
-- $m VARCHAR         the model id
CREATE TEMP TABLE {{out}} AS
SELECT d.* EXCLUDE (available_time), greatest(d.available_time, coalesce(p.available_time, d.available_time)) AS available_time,
       p.prediction AS prediction, p.baseline_prediction AS baseline_prediction, p."window" AS prediction_window
FROM {{d}} d
LEFT JOIN (SELECT symbol, event_time, available_time, prediction, baseline_prediction, "window" FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true) WHERE model_id = $m) p
  ON p.symbol = d.symbol AND p.event_time = d.event_time
ORDER BY d.event_time, d.symbol
