-- Assembles the engine's output: feat_raw (every value a DOUBLE, NaN for "no value", written by
-- the kernels) into feat_out with the symbol's name, the decision time as a TIMESTAMP, NaN as
-- NULL, and the age columns as BIGINT ms.
-- reads: feat_raw
-- creates: feat_out
-- lists: ages, feats
-- $syms VARCHAR[]   the symbols, in the order of feat_raw.symbol_index (0-based)
-- ages: the age columns; feats: the catalog's features (both in the dataset's order)
-- Returns: symbol, decision_time, the ages, the features.
SELECT s.symbol, make_timestamp(f.decision_us::BIGINT) AS decision_time,
       CASE WHEN isnan(COLUMNS(getvariable('ages'))) THEN NULL ELSE COLUMNS(getvariable('ages'))::BIGINT END,
       CASE WHEN isnan(COLUMNS(getvariable('feats'))) THEN NULL ELSE COLUMNS(getvariable('feats')) END
FROM feat_raw f JOIN (SELECT unnest($syms) AS symbol, generate_subscripts($syms, 1) - 1 AS i) s ON s.i = f.symbol_index::INTEGER
