-- Carries over the stored quarantine rows of datasets this run did not validate (they stay as they are).
-- Reads: __q_stage
-- idents: cols
-- {{cols}}                  the quarantine dataset's columns (partition keys first), in __q_stage's order
-- $files LIST(VARCHAR)      the series' stored quarantine files
-- $validated LIST(VARCHAR)  the datasets this run validated
INSERT INTO __q_stage
SELECT {{cols}} FROM read_parquet($files, hive_partitioning = true, hive_types_autocast = false, union_by_name = true)
WHERE NOT list_contains($validated, dataset);
