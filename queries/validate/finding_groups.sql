-- The report's findings: flagged rows grouped by dataset, series and check, most severe first, with the
-- first $n rows (by event_time, row_key) as examples.
-- Reads: __flagged
-- $n INTEGER   examples kept per group
-- Returns: dataset, venue, symbol, check, query, severity, quarantined, n, first_event_time, last_event_time
-- (ISO text, milliseconds), examples (JSON text: [{row_key, event_time, reason}]).
SELECT dataset, venue, symbol, "check", any_value(query) AS query, any_value(severity) AS severity, bool_or(quarantine) AS quarantined,
       count(*)::BIGINT AS n,
       strftime(min(event_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS first_event_time,
       strftime(max(event_time), '%Y-%m-%dT%H:%M:%S.%gZ') AS last_event_time,
       to_json(list({'row_key': row_key, 'event_time': strftime(event_time, '%Y-%m-%dT%H:%M:%S.%fZ'), 'reason': reason} ORDER BY event_time, row_key)[1:$n])::VARCHAR AS examples
FROM __flagged GROUP BY dataset, venue, symbol, "check"
ORDER BY CASE any_value(severity) WHEN 'error' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, dataset, venue, symbol, "check";
