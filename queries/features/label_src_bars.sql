-- Appends the opens of one scanned last-price bar series to label_src: a bar's open is executable
-- at its open_time.
-- idents: src
-- $key VARCHAR     the label_src symbol key: the perp's symbol, or 'spot:<perp symbol>' for the
--                  bars of its spot reference (the spot leg of rel_return)
-- $tol BIGINT      the bar length, ms
-- $src VARCHAR     the source name, e.g. 'bars:15m'
INSERT INTO label_src SELECT $key, open_time, open, available_time, $tol, $src FROM {{src}}
