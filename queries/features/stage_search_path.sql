-- Bare table names resolve in the session's own database first, then in perpkit_stage (temp tables
-- come before both: a temp table of the same name, such as the leakage harness's restricted copies,
-- hides the staged one).
SET search_path = 'memory.main,perpkit_stage.main'
