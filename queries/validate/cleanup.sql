-- Drops the temp tables of a validate run.
DROP TABLE IF EXISTS __findings; DROP TABLE IF EXISTS __flagged; DROP TABLE IF EXISTS __check_cfg; DROP TABLE IF EXISTS __validate_rows;
