-- A copy of a temp table under another name (e.g. the leakage harness keeps the raw inputs aside).
-- idents: t, src
CREATE OR REPLACE TEMP TABLE {{t}} AS SELECT * FROM {{src}}
