-- Validation: rows that share a natural key (any dataset). The store dedupes on write, so duplicates
-- on disk come from another writer or a hand-copied file. Empty result = pass.
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)     the dataset's Parquet files (Hive layout; partition keys read as VARCHAR)
-- $dataset VARCHAR          dataset name, copied to the output
-- $key_cols LIST(VARCHAR)   the dataset's natural key columns, in order
-- Returns one row per duplicated key: check ('duplicate_key'), dataset, venue, symbol, price,
-- timeframe (NULL unless bars), event_time, row_available_time (earliest of the copies), row_source,
-- row_key (natural key as JSON text), reason, value (number of rows sharing the key).
WITH t AS (
  -- Only rows of one series folder (dataset/venue=/symbol=[/price=/timeframe=]) with the same event_time
  -- can share a natural key; the others are never turned into JSON.
  SELECT filename, file_row_number,
         count(*) OVER (PARTITION BY regexp_replace(filename, '/[^/]+/[^/]+$', ''), event_time) AS n
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true,
                    filename = true, file_row_number = true)
), cand AS (
  SELECT filename, file_row_number FROM t WHERE n > 1
), k AS (
  SELECT j, event_time, available_time, source,
         to_json(map_from_entries(list_transform($key_cols, c -> struct_pack(k := c, v := j ->> c))))::VARCHAR AS row_key,
         json_merge_patch(j, '{"ingest_time": null, "filename": null, "file_row_number": null}')::VARCHAR AS body
  FROM (
    SELECT to_json(r) AS j, r.event_time, r.available_time, r.source
    FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true,
                      filename = true, file_row_number = true) r
    SEMI JOIN cand c ON c.filename = r.filename AND c.file_row_number = r.file_row_number
  )
)
SELECT
  'duplicate_key' AS "check",
  $dataset AS dataset,
  any_value(j ->> 'venue') AS venue,
  any_value(j ->> 'symbol') AS symbol,
  any_value(j ->> 'price') AS price,
  any_value(j ->> 'timeframe') AS timeframe,
  min(event_time) AS event_time,
  min(available_time) AS row_available_time,
  min(source) AS row_source,
  row_key,
  format('{} rows share this key ({} distinct versions, ingest_time aside)', count(*), count(DISTINCT body)) AS reason,
  count(*)::DOUBLE AS value
FROM k
GROUP BY row_key
HAVING count(*) > 1
ORDER BY venue, symbol, price, timeframe, event_time
