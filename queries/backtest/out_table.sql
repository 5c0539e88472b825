-- backtest outputs: a new temp table for one output table (orders, fills, equity, ...). Its
-- columns are added by out_add_* in the output's order; __row is a placeholder left out on write.
-- idents: t
CREATE TEMP TABLE {{t}} (__row INTEGER)
