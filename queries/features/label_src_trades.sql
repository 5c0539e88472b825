-- Appends one scanned trades series to label_src: each trade's price at its event_time.
-- idents: src
-- $tol BIGINT      the largest gap between trades still taken as executable, ms
INSERT INTO label_src SELECT symbol, event_time, price, available_time, $tol, 'trades' FROM {{src}}
