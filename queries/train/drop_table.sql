-- train: drops a temp table once its rows are read.
-- idents: t
DROP TABLE IF EXISTS {{t}}
