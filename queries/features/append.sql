-- Appends every row of one staged table to another of the same columns (e.g. rollup_out into raw_perp).
-- idents: into, src
INSERT INTO {{into}} SELECT * FROM {{src}}
