-- Compresses what was appended to the staged bar series since the last checkpoint (see features/stage_db).
CHECKPOINT perpkit_stage
