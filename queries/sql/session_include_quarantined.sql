-- Session setting of `perpkit sql`: whether the dataset views keep the rows perpkit validate quarantined.
-- $b BOOLEAN   true: keep them (--include-quarantined)
SET VARIABLE perpkit_include_quarantined = $b;
