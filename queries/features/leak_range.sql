-- Leakage harness: the span of the staged perp bars of the checked symbols.
-- $syms VARCHAR[]   the symbols checked
-- Returns: lo, hi BIGINT (epoch microseconds of the first and last event_time).
SELECT epoch_us(min(event_time))::BIGINT AS lo, epoch_us(max(event_time))::BIGINT AS hi
FROM keep_raw_perp WHERE symbol IN (SELECT unnest($syms))
