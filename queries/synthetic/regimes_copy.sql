-- Writes the ground-truth regime spans (calm / stress) to a Parquet file, in time order.
-- Reads: __syn_regimes
-- $path VARCHAR   the file to write
COPY (SELECT make_timestamp(CAST(s AS BIGINT) * 60000000) AS start_time, make_timestamp(CAST(e AS BIGINT) * 60000000) AS end_time,
             CASE r WHEN 1 THEN 'stress' ELSE 'calm' END AS regime
      FROM __syn_regimes ORDER BY s)
TO $path (FORMAT parquet);
