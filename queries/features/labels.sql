-- Forward-return labels (kept apart from features). For each decision time, entry is the first
-- executable price at or after decision_time + the execution latency on the finest data present
-- for the symbol at that time (label_px: trades where stored, else the opens of the finest bars),
-- and exit is the first such price at or after decision_time + latency + horizon. An entry or exit
-- later than intended by at least its source's tolerance (one bar of that timeframe; for trades a
-- fixed limit) is a gap: the label is NULL (counted by the caller), never a drifted price.
-- The spot leg (rel_return, the perp's return minus its spot reference's over the same window):
-- the spot reference's prices staged under 'spot:<perp symbol>'; at the perp's entry and at its
-- exit, the spot's last price at or before that instant (the open of the spot bar under way, or the
-- last trade), as the basis is read at one instant. Each must be younger than the perp price's own
-- granularity and the spot source's (least of the two tolerances), and the exit price later than
-- the entry price, so that both legs span the same window to within the perp's granularity;
-- otherwise rel_return is NULL (no spot reference, a spot gap, or spot data coarser than the perp's
-- or than the horizon), and fwd_return is kept. Both spot prices are at or before the perp's exit,
-- so label_end_time stays the perp's exit time; a label is known when its exit prices are:
-- exit_available_time is the perp exit row's available_time, or the later of the two legs' where
-- rel_return is set.
-- reads: label_grid, label_px, label_horizons, label_costs
-- creates: label_out
-- $exec_latency_ms BIGINT   execution latency after the decision, ms
-- Input columns: label_grid(symbol, decision_time); label_px(symbol, px_time, price, available_time,
-- tol_ms BIGINT, source VARCHAR), one row per (symbol, px_time), the finest source kept;
-- label_horizons(horizon VARCHAR, horizon_ms BIGINT); label_costs(symbol, round_trip_cost DOUBLE).
-- Returns: symbol, decision_time, horizon, horizon_ms, entry_time, entry_price, entry_source,
-- exit_time, exit_price, exit_source, exit_available_time, label_end_time, fwd_return,
-- round_trip_cost, cost_return (label columns NULL where a gap was found).
WITH t AS (
  SELECT symbol, 'spot:' || symbol AS spot_key, decision_time, decision_time + to_milliseconds($exec_latency_ms) AS target_entry FROM label_grid
), e AS (
  SELECT t.*, p.px_time AS entry_time, p.price AS entry_price, p.tol_ms AS entry_tol_ms, p.source AS entry_source
  FROM t ASOF LEFT JOIN label_px p ON p.symbol = t.symbol AND p.px_time >= t.target_entry
), es AS (
  SELECT e.*, p.px_time AS spot_entry_time, p.price AS spot_entry_price, p.tol_ms AS spot_entry_tol_ms
  FROM e ASOF LEFT JOIN label_px p ON p.symbol = e.spot_key AND p.px_time <= e.entry_time
), x AS (
  SELECT es.*, h.horizon, h.horizon_ms, es.target_entry + to_milliseconds(h.horizon_ms) AS target_exit
  FROM es CROSS JOIN label_horizons h
), y AS (
  SELECT x.*, p.px_time AS exit_time, p.price AS exit_price, p.tol_ms AS exit_tol_ms, p.source AS exit_source,
         p.available_time AS exit_available_time
  FROM x ASOF LEFT JOIN label_px p ON p.symbol = x.symbol AND p.px_time >= x.target_exit
), sx AS (
  SELECT y.*, p.px_time AS spot_exit_time, p.price AS spot_exit_price, p.tol_ms AS spot_exit_tol_ms,
         p.available_time AS spot_exit_available_time
  FROM y ASOF LEFT JOIN label_px p ON p.symbol = y.spot_key AND p.px_time <= y.exit_time
), ok0 AS (
  SELECT sx.*, coalesce(entry_time < target_entry + to_milliseconds(entry_tol_ms)
                        AND exit_time < target_exit + to_milliseconds(exit_tol_ms), false) AS good
  FROM sx
), ok AS (
  SELECT ok0.*, good AND coalesce(entry_time < spot_entry_time + to_milliseconds(least(entry_tol_ms, spot_entry_tol_ms))
                                  AND exit_time < spot_exit_time + to_milliseconds(least(exit_tol_ms, spot_exit_tol_ms))
                                  AND spot_exit_time > spot_entry_time, false) AS spot_good
  FROM ok0
)
SELECT ok.symbol, ok.decision_time, ok.horizon, ok.horizon_ms,
  CASE WHEN good THEN entry_time END AS entry_time,
  CASE WHEN good THEN entry_price END AS entry_price,
  CASE WHEN good THEN entry_source END AS entry_source,
  CASE WHEN good THEN exit_time END AS exit_time,
  CASE WHEN good THEN exit_price END AS exit_price,
  CASE WHEN good THEN exit_source END AS exit_source,
  CASE WHEN spot_good THEN greatest(exit_available_time, spot_exit_available_time) WHEN good THEN exit_available_time END AS exit_available_time,
  CASE WHEN good THEN exit_time END AS label_end_time,
  CASE WHEN good THEN exit_price / entry_price - 1 END AS fwd_return,
  c.round_trip_cost,
  CASE WHEN good THEN exit_price / entry_price - 1 - c.round_trip_cost END AS cost_return,
  CASE WHEN spot_good THEN spot_entry_price END AS spot_entry_price,
  CASE WHEN spot_good THEN spot_exit_price END AS spot_exit_price,
  CASE WHEN spot_good THEN (exit_price / entry_price - 1) - (spot_exit_price / spot_entry_price - 1) END AS rel_return
FROM ok LEFT JOIN label_costs c USING (symbol)
