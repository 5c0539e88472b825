-- Where one feature family is built (features --list): per venue and timeframe, the symbols and
-- decision rows where at least one of the family's columns has a value, and their first and last
-- decision times.
-- idents: t, cols
-- Returns: venue, timeframe, symbols BIGINT, n BIGINT, first, last (ISO strings, NULL when none),
-- ordered by venue, timeframe.
SELECT venue, timeframe,
       count(DISTINCT symbol) FILTER (WHERE coalesce({{cols}}) IS NOT NULL)::BIGINT AS symbols,
       count(*) FILTER (WHERE coalesce({{cols}}) IS NOT NULL)::BIGINT AS n,
       strftime(min(event_time) FILTER (WHERE coalesce({{cols}}) IS NOT NULL), '%Y-%m-%dT%H:%M:%S.%gZ') AS first,
       strftime(max(event_time) FILTER (WHERE coalesce({{cols}}) IS NOT NULL), '%Y-%m-%dT%H:%M:%S.%gZ') AS last
FROM {{t}} GROUP BY ALL ORDER BY ALL
