-- The latest stored version of each instrument (by event_time, the version's validity start).
-- reads: -
-- creates: -
-- $files VARCHAR[]   the instruments files to read (bound by the read side, which puts the
--                    read_parquet(...) relation over them in place of the FROM placeholder)
-- $kind VARCHAR      only this kind (perp, spot, ...); NULL: every kind
-- Returns: every instruments column of the latest version per (venue, symbol), ordered by venue, symbol.
SELECT * FROM __SCAN__
WHERE $kind IS NULL OR kind = $kind
QUALIFY row_number() OVER (PARTITION BY venue, symbol ORDER BY event_time DESC) = 1
ORDER BY venue, symbol
