-- The checks' configuration as a table, to join with the findings.
-- Creates: temp table __check_cfg (name, severity, quarantine, enabled)
-- $cfg VARCHAR   JSON array of {name, severity, quarantine, enabled}, one per check
CREATE OR REPLACE TEMP TABLE __check_cfg AS
SELECT unnest(from_json($cfg, '[{"name":"VARCHAR","severity":"VARCHAR","quarantine":"BOOLEAN","enabled":"BOOLEAN"}]'), recursive := true);
