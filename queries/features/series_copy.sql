-- Copies the listed columns of a scanned per-print series (funding, open interest) into its raw_* table.
-- idents: t, cols, src
CREATE OR REPLACE TEMP TABLE {{t}} AS SELECT {{cols}} FROM {{src}}
