-- Session setting of `perpkit sql`: the Parquet files (or split JSON files) a view or macro reads.
-- idents: var
-- {{var}}               the variable, perpkit_files_<dataset> (read by the view as getvariable('perpkit_files_<dataset>'))
-- $files LIST(VARCHAR)  the files
SET VARIABLE {{var}} = $files;
