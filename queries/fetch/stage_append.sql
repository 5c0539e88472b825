-- Appends the rows one file gave (the step table __import_rows) to its dataset's import stage table.
-- Reads: __import_rows, {{stage}}
-- idents: stage
-- {{stage}}   the stage table of the file's dataset (__stage_bars or __stage_funding)
INSERT INTO {{stage}} SELECT * FROM __import_rows;
DROP TABLE __import_rows;
