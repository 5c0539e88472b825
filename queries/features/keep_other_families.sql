-- A partial build (--set) replaces only its families' columns: every other family's column is
-- taken from the row already stored for the same decision, NULL where there is none. With
-- $use_prev false (nothing stored) every such column is NULL (pass feat_stage itself as {{prev}}).
-- Column order changes (the kept columns come last); writeTable selects by name.
-- reads: feat_stage, {{prev}}
-- creates: feat_stage
-- idents: others, prev
-- $use_prev BOOLEAN   false when no features are stored for the scope
SELECT s.* EXCLUDE ({{others}}), prev.* EXCLUDE (symbol, event_time)
FROM feat_stage s
LEFT JOIN (SELECT symbol, event_time, {{others}} FROM {{prev}} WHERE $use_prev) prev USING (symbol, event_time)
