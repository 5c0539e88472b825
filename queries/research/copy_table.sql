-- research: a copy of a segment read (the temp table readSegment returns) under this module's fixed name.
-- idents: t, src
CREATE OR REPLACE TEMP TABLE {{t}} AS SELECT * FROM {{src}}
