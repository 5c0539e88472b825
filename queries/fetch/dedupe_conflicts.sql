-- Natural keys of a staged import that appear with different values (the first 3 by key, and how many).
-- Reads: {{stage}}
-- idents: stage, key, vals
-- {{stage}}   the stage table
-- {{key}}     the dataset's natural key columns
-- {{vals}}    every column compared (partition keys and columns, without source and ingest_time)
-- Returns: the key columns, versions (distinct value sets), sources (list of distinct sources), total (conflicting
-- keys in all, the same on every row).
SELECT {{key}}, count(DISTINCT ({{vals}}))::BIGINT AS versions, list(DISTINCT source) AS sources, count(*) OVER ()::BIGINT AS total
FROM {{stage}} GROUP BY {{key}} HAVING count(DISTINCT ({{vals}})) > 1
ORDER BY {{key}} LIMIT 3;
