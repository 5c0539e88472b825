-- research/settlement: the empty table of spot closes, filled per perp by settle_spot_append.
CREATE OR REPLACE TEMP TABLE research_settle_spot (symbol VARCHAR, t TIMESTAMP, close DOUBLE)
