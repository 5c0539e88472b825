-- Appends one scanned trades series to label_src: each trade's price at its event_time.
-- idents: src
-- $key VARCHAR     the label_src symbol key: the perp's symbol, or 'spot:<perp symbol>' for the
--                  trades of its spot reference (the spot leg of rel_return)
-- $tol BIGINT      the largest gap between trades still taken as executable, ms
INSERT INTO label_src SELECT $key, event_time, price, available_time, $tol, 'trades' FROM {{src}}
