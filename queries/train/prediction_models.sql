-- train: the models with stored predictions (for the hint when a model has none).
-- $files VARCHAR[]   the predictions files
-- Returns: model_id, ordered.
SELECT DISTINCT model_id FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true) ORDER BY 1
