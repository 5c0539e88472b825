-- train: the model's panel, read column-wise: one row per feature row of the split's symbols in
-- (decision time, symbol) order, with its label at horizon $h (NaN where unlabelled) and every
-- chosen feature as DOUBLE (NULL as NaN), named as in the features table.
-- idents: feat, lab
-- lists: feats
-- $syms VARCHAR[]   the split's symbols (the index is the position in this list, 0-based)
-- $h VARCHAR        the label horizon
-- feats: __pad and the requested features present (__pad keeps the list from being empty)
-- Returns: __s INTEGER (symbol index), __t (decision time, epoch us), __r (forward return),
-- __e (label end time, epoch us), __a (label available time, epoch us), __pad, the feature columns.
SELECT list_position($syms, f.symbol)::INTEGER - 1 AS __s, epoch_us(f.event_time)::DOUBLE AS __t,
       coalesce(l.fwd_return, 'NaN'::DOUBLE) AS __r,
       coalesce(epoch_us(l.label_end_time)::DOUBLE, 'NaN'::DOUBLE) AS __e,
       coalesce(epoch_us(l.available_time)::DOUBLE, 'NaN'::DOUBLE) AS __a,
       coalesce(COLUMNS(getvariable('feats'))::DOUBLE, 'NaN'::DOUBLE)
FROM {{feat}} f LEFT JOIN {{lab}} l ON l.symbol = f.symbol AND l.event_time = f.event_time AND l.horizon = $h
WHERE list_contains($syms, f.symbol)
ORDER BY f.event_time, __s
