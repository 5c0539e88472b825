-- Rows of a temp table of the feature pipeline.
-- idents: t
-- Returns: n BIGINT.
SELECT count(*)::BIGINT AS n FROM {{t}}
