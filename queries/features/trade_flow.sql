-- Taker flow per bar from trades (section 5 of features v2): each trade goes to the bar whose
-- interval [close - bar, close) holds its event_time. A bar's flow is a snapshot taken at
-- close + $grace: only trades available by then count (later ones are counted as late and never
-- change the bar), so the value is fixed when it becomes usable. The loader (panel.ts loadFlow)
-- decides what an empty bar means.
-- reads: raw_trades
-- creates: flow_buckets
-- $tf BIGINT       bar length, microseconds
-- $grace BIGINT    snapshot delay after the bar close, microseconds
-- Input: raw_trades(symbol, leg, event_time, available_time, size, side), leg = 'perp' | 'spot'.
-- Returns one row per (symbol, leg, bar with at least one trade): close_us, min_avail_us (earliest
-- available_time of any of its trades), buy, sell (base units, snapshot trades), known (snapshot
-- trades), unsided (snapshot trades without a side), late (trades after the snapshot).
SELECT symbol, leg, close_us,
       min(avail_us)::DOUBLE AS min_avail_us,
       coalesce(sum(size) FILTER (WHERE avail_us <= close_us + $grace AND side = 'buy'), 0)::DOUBLE AS buy,
       coalesce(sum(size) FILTER (WHERE avail_us <= close_us + $grace AND side = 'sell'), 0)::DOUBLE AS sell,
       count(*) FILTER (WHERE avail_us <= close_us + $grace)::DOUBLE AS known,
       count(*) FILTER (WHERE avail_us <= close_us + $grace AND side IS NULL)::DOUBLE AS unsided,
       count(*) FILTER (WHERE avail_us > close_us + $grace)::DOUBLE AS late
FROM (
  SELECT symbol, leg, (epoch_us(event_time) // $tf) * $tf + $tf AS close_us, epoch_us(available_time) AS avail_us, size, side
  FROM raw_trades
)
GROUP BY symbol, leg, close_us
ORDER BY symbol, leg, close_us
