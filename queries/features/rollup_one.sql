-- Bars of the decision timeframe stored at that same timeframe ($parts = 1 of features/rollup),
-- appended to {{into}} without the roll-up's grouping: the same rows features/rollup gives at 1:1
-- (a single stored bar is its own complete bucket and passes through unchanged; a bucket holding
-- bars of two event times is left out, as there), without its hash aggregate over every bar (70% of
-- the staging of a year of 1m bars). Two regular bars (open_time on the bucket start, event_time =
-- open_time + the bar length) never share a bucket, as event_time is unique in a series; so only the
-- buckets of irregular bars are grouped.
-- idents: into, src
-- $sym VARCHAR     the symbol the rows are staged under (a spot reference takes its perp's symbol)
-- $secs BIGINT     length of the bars, seconds
-- Input: {{src}} (a scanned bar table: event_time, available_time, open_time, open, high, low, close, volume), one
-- series; event_time is unique in it (the bars' natural key).
INSERT INTO {{into}}
SELECT $sym AS symbol, event_time, available_time, open_time, open, high, low, close, volume
FROM {{src}}
WHERE time_bucket(to_seconds($secs), open_time) NOT IN (
  SELECT time_bucket(to_seconds($secs), open_time) AS b FROM {{src}}
  WHERE time_bucket(to_seconds($secs), open_time) IN (
    SELECT time_bucket(to_seconds($secs), open_time) FROM {{src}}
    WHERE open_time <> time_bucket(to_seconds($secs), open_time) OR event_time <> open_time + to_seconds($secs)
  )
  GROUP BY b HAVING min(event_time) <> max(event_time)
)
