-- Report of an optimisation run: the stitched out-of-sample equity (columns read by position).
-- $path VARCHAR   the run's equity.parquet
-- Returns: event time (epoch ms), window, equity, ret.
SELECT epoch_ms(event_time)::DOUBLE, "window"::INTEGER, equity, ret FROM read_parquet($path) ORDER BY event_time;
