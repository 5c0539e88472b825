-- Rows staged for the quarantine of the datasets this run validated.
-- Reads: __q_stage
-- $validated LIST(VARCHAR)  the datasets this run validated
-- Returns one row: n.
SELECT count(*)::BIGINT AS n FROM __q_stage WHERE list_contains($validated, dataset);
