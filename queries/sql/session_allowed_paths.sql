-- Engine guard of `perpkit sql`, first half: reads of the listed files only.
-- $paths LIST(VARCHAR)   the files the views and macros read
SET allowed_paths = $paths;
