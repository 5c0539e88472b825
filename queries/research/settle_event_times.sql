-- research/settlement: the events, each settlement and its placebo half an interval later.
-- reads: research_settle_raw
-- creates: research_settle_events
-- $half BIGINT   half the usual settlement interval, ms
-- Returns: symbol, s TIMESTAMP, kind ('settlement' | 'placebo'), rate DOUBLE.
SELECT symbol, s, 'settlement' AS kind, rate FROM research_settle_raw
UNION ALL SELECT symbol, s + to_milliseconds($half::BIGINT), 'placebo', rate FROM research_settle_raw
