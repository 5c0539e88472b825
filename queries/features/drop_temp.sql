-- Drops a temp table that would hide the staged table of the same name (features/stage_search_path).
-- idents: t
DROP TABLE IF EXISTS temp.{{t}}
