-- Drops a temp table of the feature pipeline once its rows are used.
-- idents: t
DROP TABLE IF EXISTS {{t}}
