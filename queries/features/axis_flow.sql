-- One leg's taker-flow buckets of one symbol (from the features/trade_flow step) in close-time order.
-- $s VARCHAR     the symbol
-- $leg VARCHAR   perp or spot
SELECT close_us::DOUBLE AS close_us, min_avail_us, buy, sell, known, unsided, late
FROM flow_buckets WHERE symbol = $s AND leg = $leg ORDER BY close_us
