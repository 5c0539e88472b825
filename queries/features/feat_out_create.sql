-- The feature engine's rows of one symbol, read from its column source ({{src}}(): decision_us,
-- the age columns, the catalog's features, NaN already NULL), as the first rows of temp table
-- feat_out (symbol, decision_time, ages as BIGINT milliseconds, features). feat_out_insert adds
-- the next symbols. Used by the leakage harness and tests; a build writes each symbol straight
-- from the source instead.
-- idents: src
-- lists: feat_age_cols
-- $symbol VARCHAR   the symbol of these rows
CREATE OR REPLACE TEMP TABLE feat_out AS
SELECT $symbol::VARCHAR AS symbol, make_timestamp(decision_us::BIGINT) AS decision_time,
       CAST(COLUMNS(c -> list_contains(getvariable('feat_age_cols'), c)) AS BIGINT),
       COLUMNS(c -> c <> 'decision_us' AND NOT list_contains(getvariable('feat_age_cols'), c))
FROM {{src}}()
