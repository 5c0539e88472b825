-- The findings table a validate run collects every check's rows into (one row per flagged row).
-- Creates: temp table __findings (query = the queries/ file that flagged the row, then the columns every
-- validation query returns).
CREATE OR REPLACE TEMP TABLE __findings (
  query VARCHAR, "check" VARCHAR, dataset VARCHAR, venue VARCHAR, symbol VARCHAR, price VARCHAR, timeframe VARCHAR,
  event_time TIMESTAMP, row_available_time TIMESTAMP, row_source VARCHAR, row_key VARCHAR, reason VARCHAR, value DOUBLE
);
