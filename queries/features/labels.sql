-- Forward-return labels (kept apart from features): for each decision time, enter at the first
-- executable price after decision_time + the execution latency (here: the open of the first bar
-- opening at or after it, as no quotes are used) and exit at the open of the first bar opening at or
-- after entry + horizon. A label is known only when it ends: available_time = label_end_time = exit.
-- Labels whose exit bar opens more than one bar late (a gap) are NULL.
-- Input: temp tables label_grid(symbol, decision_time), label_bars(symbol, open_time, open),
-- label_horizons(horizon VARCHAR, horizon_ms BIGINT), label_costs(symbol, round_trip_cost DOUBLE)
-- $exec_latency_ms BIGINT   execution latency after the decision, ms
-- $bar_ms BIGINT            length of the label bars, ms
-- Returns: symbol, decision_time, horizon, horizon_ms, entry_time, entry_price, exit_time, exit_price,
-- label_end_time, fwd_return, round_trip_cost, cost_return.
WITH e AS (
  SELECT g.symbol, g.decision_time, b.open_time AS entry_time, b.open AS entry_price
  FROM label_grid g
  ASOF LEFT JOIN label_bars b ON b.symbol = g.symbol AND b.open_time >= g.decision_time + to_milliseconds($exec_latency_ms)
), x AS (
  SELECT e.*, h.horizon, h.horizon_ms, e.entry_time + to_milliseconds(h.horizon_ms) AS target_exit
  FROM e CROSS JOIN label_horizons h
), y AS (
  SELECT x.*, b.open_time AS exit_time, b.open AS exit_price
  FROM x ASOF LEFT JOIN label_bars b ON b.symbol = x.symbol AND b.open_time >= x.target_exit
)
SELECT y.symbol, y.decision_time, y.horizon, y.horizon_ms, y.entry_time, y.entry_price,
  CASE WHEN y.exit_time < y.target_exit + to_milliseconds($bar_ms) THEN y.exit_time END AS exit_time,
  CASE WHEN y.exit_time < y.target_exit + to_milliseconds($bar_ms) THEN y.exit_price END AS exit_price,
  CASE WHEN y.exit_time < y.target_exit + to_milliseconds($bar_ms) THEN y.exit_time END AS label_end_time,
  CASE WHEN y.exit_time < y.target_exit + to_milliseconds($bar_ms) THEN y.exit_price / y.entry_price - 1 END AS fwd_return,
  c.round_trip_cost,
  CASE WHEN y.exit_time < y.target_exit + to_milliseconds($bar_ms) THEN y.exit_price / y.entry_price - 1 - c.round_trip_cost END AS cost_return
FROM y LEFT JOIN label_costs c USING (symbol)
