-- research: the symbols of a segment's features with their row counts, in the order of
-- split/segment_doubles (symbol order): the runs of rows that belong to each symbol.
-- idents: t
SELECT symbol, count(*)::BIGINT AS n FROM {{t}} GROUP BY symbol ORDER BY symbol
