-- Drops what a feature build's batches left: the batch view and the partial build's merged stage.
DROP VIEW IF EXISTS feat_batch; DROP TABLE IF EXISTS feat_stage
