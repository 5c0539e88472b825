-- A copy of a staged temp table under another name (the leakage harness keeps the raw inputs aside).
-- idents: t, src
CREATE OR REPLACE TEMP TABLE {{t}} AS SELECT * FROM {{src}}
