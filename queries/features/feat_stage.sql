-- The features rows to write: feat_out's decision rows with the dataset's key and provenance
-- columns; a feature row is available at its decision time.
-- reads: feat_out
-- creates: feat_stage
-- idents: cols
-- $venue VARCHAR      venue
-- $tf VARCHAR         decision timeframe
-- $source VARCHAR     provenance ('perpkit-features')
-- $now TIMESTAMP      ingest time
-- {{cols}}: the age and feature columns of the features dataset, in its order.
SELECT $venue AS venue, symbol, $tf AS timeframe, decision_time AS event_time, decision_time AS available_time,
       $source AS source, $now AS ingest_time, {{cols}}
FROM feat_out
