-- Keeps one row per natural key of a staged import (exact copies: the first by source).
-- Reads: {{stage}}
-- idents: stage, tmp, key
-- {{tmp}}   a scratch table name
CREATE OR REPLACE TEMP TABLE {{tmp}} AS SELECT * FROM {{stage}} QUALIFY row_number() OVER (PARTITION BY {{key}} ORDER BY source) = 1;
DROP TABLE {{stage}};
ALTER TABLE {{tmp}} RENAME TO {{stage}};
