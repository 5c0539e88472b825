-- View split_intervals: the decision-time intervals [start_time, end_time) of every segment and
-- fold side of every split, with the split's scope. Segment names are those of `perpkit split
-- --read --segment`: train, validation, test (holdout) and fold-N-train, fold-N-test.
-- The sealed test segment of a holdout split is listed with sealed = true; the split_* macros leave
-- it out (read it with `perpkit split --read NAME --segment test --unseal-test`, which is recorded).
-- Variables: none
-- Reads: view splits
-- Creates: view split_intervals (split_name, venue, timeframe, symbols VARCHAR[], segment, sealed
-- BOOLEAN, start_time, end_time TIMESTAMP)
CREATE OR REPLACE VIEW split_intervals AS
WITH seg AS (
  SELECT s.name AS split_name, s.venue, s.timeframe, s.symbols, g.name AS segment, coalesce(g.sealed, false) AS sealed, g.intervals
  FROM splits s,
       unnest(from_json(s.doc -> 'segments', '[{"name":"VARCHAR","sealed":"BOOLEAN","intervals":[["VARCHAR"]]}]')) AS u(g)
  UNION ALL
  SELECT s.name, s.venue, s.timeframe, s.symbols, 'fold-' || f.index || '-' || side.name, false, side.intervals
  FROM splits s,
       unnest(from_json(s.doc -> 'folds', '[{"index":"BIGINT","train":{"intervals":[["VARCHAR"]]},"test":{"intervals":[["VARCHAR"]]}}]')) AS u(f),
       unnest([{'name': 'train', 'intervals': f.train.intervals}, {'name': 'test', 'intervals': f.test.intervals}]) AS v(side)
)
SELECT split_name, venue, timeframe, symbols, segment, sealed,
  CAST(replace(replace(iv[1], 'T', ' '), 'Z', '') AS TIMESTAMP) AS start_time,
  CAST(replace(replace(iv[2], 'T', ' '), 'Z', '') AS TIMESTAMP) AS end_time
FROM seg, unnest(seg.intervals) AS w(iv);
