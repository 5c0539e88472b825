-- The round-trip cost of each symbol (the --round-trip-cost flag, else twice the taker fee).
-- $syms VARCHAR[]    symbols
-- $costs VARCHAR[]   their round-trip costs as fractions, same order (cast to DOUBLE)
CREATE OR REPLACE TEMP TABLE label_costs AS SELECT unnest($syms) AS symbol, unnest($costs)::DOUBLE AS round_trip_cost
