-- Renames a temp table (no copy of its rows), e.g. a segment read becoming the research panel's table.
-- The name {{t}} must be free (drop it first).
-- idents: t, src
ALTER TABLE {{src}} RENAME TO {{t}}
