-- View splits: one row per split file <data-dir>/splits/<name>.json (written by `perpkit split`).
-- Times in the files are ISO-8601 UTC with microseconds (older files: milliseconds).
-- Variables: perpkit_files_splits (VARCHAR glob or LIST(VARCHAR) of the split files)
-- Reads: nothing else
-- Creates: view splits (name, scheme, venue, timeframe, symbols VARCHAR[], horizons VARCHAR[],
-- from_time, to_time TIMESTAMP, created_at VARCHAR, segments INTEGER, folds INTEGER, inputs JSON,
-- params JSON, doc JSON = the whole file)
CREATE OR REPLACE VIEW splits AS
WITH f AS (SELECT content::JSON AS doc FROM read_text(getvariable('perpkit_files_splits')))
SELECT
  doc ->> 'name' AS name,
  doc ->> 'scheme' AS scheme,
  doc ->> 'venue' AS venue,
  doc ->> 'timeframe' AS timeframe,
  from_json(doc -> 'symbols', '["VARCHAR"]') AS symbols,
  from_json(doc -> 'horizons', '["VARCHAR"]') AS horizons,
  CAST(replace(replace(doc ->> 'from', 'T', ' '), 'Z', '') AS TIMESTAMP) AS from_time,
  CAST(replace(replace(doc ->> 'to', 'T', ' '), 'Z', '') AS TIMESTAMP) AS to_time,
  doc ->> 'created_at' AS created_at,
  coalesce(json_array_length(doc -> 'segments'), 0)::INTEGER AS segments,
  coalesce(json_array_length(doc -> 'folds'), 0)::INTEGER AS folds,
  doc -> 'inputs' AS inputs,
  doc -> 'params' AS params,
  doc
FROM f;
