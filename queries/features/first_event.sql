-- The earliest event_time of a scanned table (the new input rows of an incremental build).
-- idents: t
-- Returns: us BIGINT (epoch microseconds; NULL when empty).
SELECT epoch_us(min(event_time)) AS us FROM {{t}}
