-- Appends one scanned trades series to raw_trades under the perp's symbol and its leg.
-- idents: src
-- $sym VARCHAR   the perp's symbol
-- $leg VARCHAR   'perp' or 'spot'
INSERT INTO raw_trades SELECT $sym, $leg, event_time, available_time, size, side FROM {{src}}
