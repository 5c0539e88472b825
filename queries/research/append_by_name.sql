-- research: appends a further segment read to the table of the first, column by name.
-- idents: t, src
INSERT INTO {{t}} BY NAME SELECT * FROM {{src}}
