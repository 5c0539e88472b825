/**
 * One hourly BTC-PERP bar of binance-usdm, the i-th after 2026-03-14 00:00 UTC (close 100 + i), for the
 * in-process store tests (dataset-unit4..7); `o` overrides any column.
 */
export const H = 3_600_000_000;
export const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;

export function bar(i: number, o: Record<string, unknown> = {}): Record<string, unknown> {
  const event = T0 + (i + 1) * H;
  return {
    venue: 'binance-usdm', symbol: 'BTC-PERP', price: 'last', timeframe: '1h', event_time: event, available_time: event, source: 'test',
    ingest_time: T0, open_time: event - H, open: 100, high: 102, low: 99, close: 100 + i, volume: 5, quote_volume: null, trade_count: null, ...o,
  };
}
