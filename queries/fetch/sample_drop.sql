-- Drops the sample import's stage table.
DROP TABLE IF EXISTS __stage_sample;
