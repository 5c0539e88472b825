-- Macro in_split(split, segment, t): true when decision time t falls in the segment (train,
-- validation, fold-N-train, fold-N-test) of the split; the sealed test segment never matches.
-- Example: SELECT count(*) FROM labels WHERE in_split('main', 'train', event_time)
-- Variables: none
-- Reads: view split_intervals
-- Creates: macro in_split(p_split VARCHAR, p_segment VARCHAR, p_time TIMESTAMP) -> BOOLEAN
CREATE OR REPLACE MACRO in_split(p_split, p_segment, p_time) AS (
  EXISTS (
    SELECT 1 FROM split_intervals i
    WHERE i.split_name = p_split AND i.segment = p_segment AND NOT i.sealed
      AND p_time >= i.start_time AND p_time < i.end_time)
);
