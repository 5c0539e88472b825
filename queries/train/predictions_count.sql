-- train: the stored predictions of one model.
-- $files VARCHAR[]   the predictions files
-- $m VARCHAR         the model id
-- Returns: n BIGINT.
SELECT count(*)::BIGINT AS n FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true) WHERE model_id = $m
