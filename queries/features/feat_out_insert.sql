-- Adds one more symbol's rows from its column source to temp table feat_out (see feat_out_create).
-- idents: src
-- lists: feat_age_cols
-- $symbol VARCHAR   the symbol of these rows
INSERT INTO feat_out
SELECT $symbol::VARCHAR AS symbol, make_timestamp(decision_us::BIGINT) AS decision_time,
       CAST(COLUMNS(c -> list_contains(getvariable('feat_age_cols'), c)) AS BIGINT),
       COLUMNS(c -> c <> 'decision_us' AND NOT list_contains(getvariable('feat_age_cols'), c))
FROM {{src}}()
