-- The findings of enabled checks, each with its check's severity and whether it quarantines.
-- Reads: __findings, __check_cfg
-- Creates: temp table __flagged (__findings' columns, severity, quarantine)
CREATE OR REPLACE TEMP TABLE __flagged AS
SELECT f.*, c.severity, c.quarantine FROM __findings f JOIN __check_cfg c ON c.name = f."check" WHERE c.enabled;
