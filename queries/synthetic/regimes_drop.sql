-- Drops the regime spans table.
DROP TABLE IF EXISTS __syn_regimes;
