-- research/settlement_events: per event (a funding settlement, or a placebo time at the same clock
-- offsets away from settlements), perp and spot log returns, perp-minus-spot, basis change, and
-- volume and range ratios in windows around the event. Prices are the close of the last bar
-- closing at or before each time (bars are matched on event_time = bar close; this is an
-- after-the-fact study, not a feature). Price returns carry no funding cash flow.
-- Reads: research_settle_perp (symbol, t TIMESTAMP = bar close, close, high, low, volume),
--        research_settle_spot (symbol = the perp's symbol, t, close),
--        research_settle_events (symbol, s TIMESTAMP, kind VARCHAR settlement|placebo, rate DOUBLE).
-- Creates: nothing (returns rows).
-- Params:
--   $near_min  INTEGER  minutes of the near window on each side of the event (e.g. 30)
--   $far_min   INTEGER  minutes of the far window on each side (e.g. 120)
-- Returns: symbol, s, kind, rate, pre_perp, post_perp, pre_far_perp, post_far_perp, pre_spot,
--   post_spot, pre_rel, post_rel (perp minus spot), pre_basis_chg, post_basis_chg (log basis change),
--   log_volume_ratio (ln of perp volume per bar in (s - near, s + near] over (s - far, s - near]),
--   log_range_ratio (ln of mean (high - low) / close, same windows); DOUBLE, NULL where missing.
WITH offsets AS (
  SELECT * FROM (VALUES ('m_far', -1), ('m_near', -2), ('zero', 0), ('p_near', 2), ('p_far', 1)) v(name, code)
),
points AS (
  SELECT e.symbol, e.s, e.kind, e.rate, o.name,
         e.s + to_minutes(CASE o.code WHEN -1 THEN -$far_min WHEN -2 THEN -$near_min WHEN 0 THEN 0 WHEN 2 THEN $near_min ELSE $far_min END) AS at
  FROM research_settle_events e CROSS JOIN offsets o
),
priced AS (
  SELECT p.symbol, p.s, p.kind, p.rate, p.name, pp.close AS perp, sp.close AS spot
  FROM points p
  ASOF LEFT JOIN research_settle_perp pp ON pp.symbol = p.symbol AND pp.t <= p.at
  ASOF LEFT JOIN research_settle_spot sp ON sp.symbol = p.symbol AND sp.t <= p.at
),
wide AS (
  SELECT symbol, s, kind, rate,
         max(perp) FILTER (WHERE name = 'm_far') AS p_mf, max(perp) FILTER (WHERE name = 'm_near') AS p_mn,
         max(perp) FILTER (WHERE name = 'zero') AS p_0, max(perp) FILTER (WHERE name = 'p_near') AS p_pn,
         max(perp) FILTER (WHERE name = 'p_far') AS p_pf,
         max(spot) FILTER (WHERE name = 'm_near') AS s_mn, max(spot) FILTER (WHERE name = 'zero') AS s_0,
         max(spot) FILTER (WHERE name = 'p_near') AS s_pn
  FROM priced GROUP BY ALL
),
activity AS (
  SELECT e.symbol, e.s,
         ln(nullif(avg(b.volume) FILTER (WHERE b.t > e.s - to_minutes($near_min) AND b.t <= e.s + to_minutes($near_min)), 0)
           / nullif(avg(b.volume) FILTER (WHERE b.t > e.s - to_minutes($far_min) AND b.t <= e.s - to_minutes($near_min)), 0)) AS log_volume_ratio,
         ln(nullif(avg((b.high - b.low) / b.close) FILTER (WHERE b.t > e.s - to_minutes($near_min) AND b.t <= e.s + to_minutes($near_min)), 0)
           / nullif(avg((b.high - b.low) / b.close) FILTER (WHERE b.t > e.s - to_minutes($far_min) AND b.t <= e.s - to_minutes($near_min)), 0)) AS log_range_ratio
  FROM research_settle_events e
  JOIN research_settle_perp b ON b.symbol = e.symbol AND b.t > e.s - to_minutes($far_min) AND b.t <= e.s + to_minutes($near_min)
  GROUP BY ALL
)
SELECT w.symbol, w.s, w.kind, w.rate,
       ln(p_0 / p_mn) AS pre_perp, ln(p_pn / p_0) AS post_perp,
       ln(p_0 / p_mf) AS pre_far_perp, ln(p_pf / p_0) AS post_far_perp,
       ln(s_0 / s_mn) AS pre_spot, ln(s_pn / s_0) AS post_spot,
       ln(p_0 / p_mn) - ln(s_0 / s_mn) AS pre_rel, ln(p_pn / p_0) - ln(s_pn / s_0) AS post_rel,
       ln(p_0 / s_0) - ln(p_mn / s_mn) AS pre_basis_chg, ln(p_pn / s_pn) - ln(p_0 / s_0) AS post_basis_chg,
       a.log_volume_ratio, a.log_range_ratio
FROM wide w LEFT JOIN activity a USING (symbol, s)
ORDER BY w.s, w.symbol, w.kind;
