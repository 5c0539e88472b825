-- Validation: order and placement of rows in their files (any dataset with a time partition).
-- Empty result = pass.
--   non_monotonic_time  a row whose event_time is earlier than a row before it in the same file (the
--                       store writes every file sorted by natural key; disorder means another writer,
--                       often with a clock or time-zone mix-up)
--   wrong_partition     a row filed under a month=/date= partition that is not its event_time's
-- Run as a step (validate appends its rows to __findings); it reads only Parquet files.
-- reads: -
-- creates: __validate_rows
-- $files LIST(VARCHAR)     the dataset's Parquet files
-- $dataset VARCHAR          dataset name, copied to the output
-- $key_cols LIST(VARCHAR)   the dataset's natural key columns, in order
-- $time_key VARCHAR         'month' or 'date' (the dataset's time partition)
-- Returns: check, dataset, venue, symbol, price, timeframe (NULL unless bars), event_time,
-- row_available_time, row_source, row_key (natural key as JSON text), reason, value (minutes the row
-- is behind the latest earlier row of its file, for non_monotonic_time).
WITH t AS (
  SELECT event_time, filename, file_row_number,
         max(event_time) OVER (PARTITION BY filename ORDER BY file_row_number ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_max,
         regexp_extract(filename, '/' || $time_key || '=([^/]+)/', 1) AS part_value,
         CASE $time_key WHEN 'month' THEN strftime(event_time, '%Y-%m') ELSE strftime(event_time, '%Y-%m-%d') END AS want_part
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true,
                    filename = true, file_row_number = true)
), flagged AS (
  SELECT 'non_monotonic_time' AS "check", filename, file_row_number,
         format('event_time {} comes after {} in its file (row {})', event_time, prev_max, file_row_number) AS reason,
         (epoch_ms(prev_max) - epoch_ms(event_time)) / 60000.0 AS value
  FROM t WHERE event_time < prev_max
  UNION ALL
  SELECT 'wrong_partition', filename, file_row_number,
         format('filed under {}={} but its event_time {} belongs to {}={}', $time_key, part_value, event_time, $time_key, want_part), NULL
  FROM t WHERE part_value IS DISTINCT FROM want_part
), rows AS (
  -- Only flagged rows are turned into JSON (for their key).
  SELECT to_json(r) AS j, r.event_time, r.available_time, r.source, r.filename, r.file_row_number
  FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true,
                    filename = true, file_row_number = true) r
  SEMI JOIN flagged f ON f.filename = r.filename AND f.file_row_number = r.file_row_number
)
SELECT f."check", $dataset AS dataset, j ->> 'venue' AS venue, j ->> 'symbol' AS symbol, j ->> 'price' AS price,
       j ->> 'timeframe' AS timeframe, r.event_time, r.available_time AS row_available_time, r.source AS row_source,
       to_json(map_from_entries(list_transform($key_cols, c -> struct_pack(k := c, v := j ->> c))))::VARCHAR AS row_key,
       f.reason, f.value
FROM flagged f JOIN rows r USING (filename, file_row_number)
ORDER BY f."check", venue, symbol, price, timeframe, r.event_time
