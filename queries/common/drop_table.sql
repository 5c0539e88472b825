-- Drops a temp table once its rows are used (features, research, train pipelines).
-- idents: t
DROP TABLE IF EXISTS {{t}}
