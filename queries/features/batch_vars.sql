-- The constant columns of one symbol's feature rows, kept in session variable feat_batch for the
-- view features/batch_view (a view cannot hold bound parameters; a variable is a bound value).
-- $venue VARCHAR      venue of the features
-- $tf VARCHAR         decision timeframe
-- $source VARCHAR     source label of the rows
-- $now TIMESTAMP      ingest_time of the build
-- $symbol VARCHAR     the symbol of this batch
SET VARIABLE feat_batch = struct_pack(venue := $venue::VARCHAR, timeframe := $tf::VARCHAR, source := $source::VARCHAR,
                                      ingest_time := $now::TIMESTAMP, symbol := $symbol::VARCHAR)
