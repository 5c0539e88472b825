-- Drops the loaded stats input.
DROP TABLE IF EXISTS __stats_src;
