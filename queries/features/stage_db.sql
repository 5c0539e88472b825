-- The database the staged bar series (raw_perp, raw_spot, raw_mark) live in: in memory, compressed
-- at each CHECKPOINT (features/stage_checkpoint). A year of 1m bars of 5 perps, their spots and
-- marks holds ~840 MB as temp tables and ~200 MB here; the feature build keeps them for its whole
-- run. Attached once per session; its tables are found by their bare names through
-- features/stage_search_path.
ATTACH IF NOT EXISTS ':memory:' AS perpkit_stage (COMPRESS)
