-- Drops the stage tables of a candle import.
DROP TABLE IF EXISTS __stage_bars; DROP TABLE IF EXISTS __stage_funding; DROP TABLE IF EXISTS __import_rows;
