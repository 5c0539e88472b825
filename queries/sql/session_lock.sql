-- Engine guard of `perpkit sql`, second half: no file access beyond allowed_paths (no writes, no extensions,
-- no ATTACH of files), and a query cannot switch any of it back.
SET enable_external_access = false;
SET lock_configuration = true;
