-- Drops validate's quarantine staging table.
DROP TABLE IF EXISTS __q_stage;
