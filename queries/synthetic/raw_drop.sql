-- Drops the generator's raw append table.
DROP TABLE IF EXISTS __syn_raw;
