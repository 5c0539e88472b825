-- Table macro split_features(split, segment): the features rows of a split segment or fold side, as
-- `perpkit split --read NAME --segment S --dataset features` returns them: the split's venue, timeframe
-- and symbols, decision time (event_time) inside the segment's intervals. The sealed test segment
-- returns no rows. Unlike `split --read`, it does not check the split's input hashes.
-- Example: SELECT symbol, count(*) FROM split_features('main', 'train') GROUP BY ALL
-- Variables: none
-- Reads: views features, split_intervals
-- Creates: macro split_features(p_split VARCHAR, p_segment VARCHAR) -> table of features rows
CREATE OR REPLACE MACRO split_features(p_split, p_segment) AS TABLE
SELECT d.*
FROM features d
WHERE EXISTS (
  SELECT 1 FROM split_intervals i
  WHERE i.split_name = p_split AND i.segment = p_segment AND NOT i.sealed
    AND d.venue = i.venue AND d.timeframe = i.timeframe AND list_contains(i.symbols, d.symbol)
    AND d.event_time >= i.start_time AND d.event_time < i.end_time)
ORDER BY d.event_time, d.symbol;
