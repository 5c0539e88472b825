-- The labels rows to write: label_out's labelled rows with the dataset's key and provenance
-- columns. A label is available when its exit prices are (perp, and spot where rel_return is set).
-- reads: label_out
-- creates: label_stage
-- $venue VARCHAR       venue
-- $tf VARCHAR          decision timeframe
-- $source VARCHAR      provenance ('perpkit-labels')
-- $now TIMESTAMP       ingest time
SELECT $venue AS venue, symbol, $tf AS timeframe, decision_time AS event_time, exit_available_time AS available_time,
       $source AS source, $now AS ingest_time, horizon, horizon_ms, entry_time, entry_price, entry_source, exit_time, exit_price, exit_source,
       label_end_time, fwd_return, round_trip_cost, cost_return, spot_entry_price, spot_exit_price, rel_return
FROM label_out WHERE label_end_time IS NOT NULL
