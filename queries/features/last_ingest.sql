-- When the scope's features were last written: the latest ingest_time of a scanned features table.
-- idents: t
-- Returns: us BIGINT (epoch microseconds; NULL when empty).
SELECT epoch_us(max(ingest_time)) AS us FROM {{t}}
