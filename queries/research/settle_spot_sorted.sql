-- research/settlement: the spot closes in (symbol, t) order for the as-of joins of settlement_events.
-- reads: research_settle_spot
-- creates: research_settle_spot
SELECT * FROM research_settle_spot ORDER BY symbol, t
