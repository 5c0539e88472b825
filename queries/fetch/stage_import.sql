-- Starts an import stage table with the rows one file gave (the step table __import_rows, renamed).
-- Reads: __import_rows
-- idents: stage
-- {{stage}}   the stage table of the file's dataset (__stage_bars or __stage_funding)
DROP TABLE IF EXISTS {{stage}};
ALTER TABLE __import_rows RENAME TO {{stage}};
