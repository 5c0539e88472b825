-- train: a model's stored predictions as rows (tests, research), from $from on.
-- $files VARCHAR[]   the predictions files
-- $m VARCHAR         the model id
-- $from TIMESTAMP    first decision time (NULL: all)
-- Returns: symbol, event_time, available_time (epoch us as DOUBLE), model_id, window INTEGER,
-- prediction, baseline_prediction; ordered by event_time, symbol.
SELECT symbol, epoch_us(event_time)::DOUBLE AS event_time, epoch_us(available_time)::DOUBLE AS available_time, model_id,
       "window"::INTEGER AS window, prediction, baseline_prediction
FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE model_id = $m AND ($from IS NULL OR event_time >= $from)
ORDER BY event_time, symbol
