import { describe, expect, it } from 'vitest';
import { sliceMarketData } from '../../src/services/optimize/evaluate.js';
import { toShared } from '../../src/services/optimize/tasks.js';
import type { MarketData, TradeSeries } from '../../src/engine/types.js';
import { DAY_US, HOUR_US, T0, plantedMarket, quietConfig } from './fixture.js';

/** Trade prints every 10 minutes over the market's span (price = index, size = 1). */
function withTrades(d: MarketData): MarketData {
  const n = (d.end - d.start) / (10 * 60_000_000);
  const t = Float64Array.from({ length: n }, (_, i) => d.start + i * 10 * 60_000_000);
  const tape: TradeSeries = { event_time: t, available_time: t.map((x) => x + 1_000_000), price: Float64Array.from({ length: n }, (_, i) => i), size: new Float64Array(n).fill(1) };
  return { ...d, trades: d.symbols.map((_, j) => (j === 0 ? tape : null)) };
}

describe('optimize keeps the trade prints the backtest would execute on', () => {
  it('a part slice holds exactly the prints of [start - warm-up, end); the shared copy keeps them', () => {
    const d = withTrades(plantedMarket({ days: 6, cols: 1, planted: 0, accuracy: 0.5, seed: 3 }));
    const part: [number, number] = [T0 + 2 * DAY_US, T0 + 4 * DAY_US];
    const s = sliceMarketData(d, part, quietConfig(), 6 * HOUR_US);
    const tape = s.trades?.[0];
    expect(tape, 'trades dropped by the slice').toBeDefined();
    const all = d.trades?.[0] as TradeSeries;
    const expected = Array.from(all.event_time).filter((x) => x >= part[0] - 6 * HOUR_US && x < part[1]);
    expect(Array.from(tape!.event_time)).toEqual(expected);
    expect(expected.length).toBe(6 * 6 + 2 * 24 * 6); // 6 h of warm-up and 2 days, a print every 10 min
    expect(s.trades?.length).toBe(d.symbols.length);
    const shared = toShared(s);
    expect(Array.from(shared.trades?.[0]?.price ?? [])).toEqual(Array.from(tape!.price));
    expect(shared.trades?.[0]?.price.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});
