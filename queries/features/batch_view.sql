-- One symbol's feature rows in the features dataset's shape, read straight from the engine's column
-- source ({{src}}(): decision_us, the age columns, the features; NaN already NULL) with the constants
-- of variable feat_batch (features/batch_vars). A view: nothing is copied until the store writes it.
-- The decision time is both event_time and available_time (a feature is known when it is computed).
-- idents: src
-- lists: feat_age_cols
CREATE OR REPLACE TEMP VIEW feat_batch AS
SELECT getvariable('feat_batch').venue AS venue, getvariable('feat_batch').symbol AS symbol,
       getvariable('feat_batch').timeframe AS timeframe,
       make_timestamp(decision_us::BIGINT) AS event_time, make_timestamp(decision_us::BIGINT) AS available_time,
       getvariable('feat_batch').source AS source, getvariable('feat_batch').ingest_time AS ingest_time,
       CAST(COLUMNS(c -> list_contains(getvariable('feat_age_cols'), c)) AS BIGINT),
       COLUMNS(c -> c <> 'decision_us' AND NOT list_contains(getvariable('feat_age_cols'), c))
FROM {{src}}()
