/**
 * Volume-tiered fees (fees.tier auto): the tier of each fill follows the account's traded notional
 * over the trailing 30 days, counting only fills already done. Daily bars, one price per day;
 * decisions at each day's close fill at the next day's open. Schedule (taker):
 *   tier 0  from 0        0.2 %
 *   tier 1  from 1000     0.1 %
 */
import { describe, expect, it } from 'vitest';
import { parseBacktestConfig } from '../../src/domain/backtest.js';
import { runEngine } from '../../src/engine/engine.js';
import { instrumentInfo } from '../../src/services/backtest.js';
import { bars, decisions, instrument, market, plainConfig, scripted, T0, type Ohlc } from './fixture.js';

const DAY = 86_400_000_000;
const day = (k: number): number => T0 + k * DAY;
const tiers = [
  { name: 'base', min_volume_30d: 0, maker: 0.001, taker: 0.002 },
  { name: 'silver', min_volume_30d: 1000, maker: 0.0005, taker: 0.001 },
];

describe('fee tier by trailing 30-day volume', () => {
  // prices by day: 100 on day 1, 102 on day 2, 104 on day 3, 100 from day 4 on
  const rows: Ohlc[] = Array.from({ length: 40 }, (_, k): Ohlc => {
    const p = k === 2 ? 102 : k === 3 ? 104 : 100;
    return [p, p, p, p];
  });
  // decisions at the close of days 0, 1, 2 and 31 -> fills at the opens of days 1, 2, 3 and 32
  const d = decisions([day(1), day(2), day(3), day(32)]);
  const sides = [5, -5, 5, -5];

  it('changes mid-run: tier 0 until 1000 of volume is done, tier 1 after, tier 0 again once the volume leaves the window', () => {
    // day 1: buy 5 at 100 (market), volume before 0      -> base taker:     500 x 0.002  = 1.00 (volume then 500)
    // day 2: sell 5 at 102 (market), volume before 500   -> base taker:     510 x 0.002  = 1.02 (1010)
    // day 3: buy limit 5 at 105, the day trades at 104 (through it): filled at 104 as maker;
    //        volume before 1010                          -> silver maker:   520 x 0.0005 = 0.26 (1530)
    // day 32: window (day 2, day 32]: the day-1 and day-2 fills are out (day 2 exactly 30 days
    //   before: out), only day 3's 520 -> base taker: sell 5 at 100, 500 x 0.002 = 1.00
    const ins = [instrument('A', { maker_fee: 0.002, taker_fee: 0.002, fee_tiers: tiers })];
    const r = runEngine(
      market({ bars: [bars(rows, 0, DAY)], instruments: ins, decisions: d }),
      plainConfig({ execution: { latency_ms: 0 } }),
      scripted((ctx, i) => (i === 2 ? ctx.limit(0, 5, 105) : ctx.market(0, sides[i]!))),
    );
    expect(Array.from(r.fills.time)).toEqual([day(1), day(2), day(3), day(32)]);
    expect(Array.from(r.fills.price)).toEqual([100, 102, 104, 100]);
    expect(Array.from(r.fills.maker)).toEqual([0, 0, 1, 0]);
    expect(Array.from(r.fills.fee_tier)).toEqual([0, 0, 1, 0]);
    expect(Array.from(r.fills.fee_rate)).toEqual([0.002, 0.002, 0.0005, 0.002]);
    const fees = Array.from(r.fills.fee);
    [1, 1.02, 0.26, 1].forEach((f, i) => expect(fees[i]).toBeCloseTo(f, 12));
    expect(r.fee_tier_names).toEqual([['base', 'silver']]);
  });

  it('without a tiered schedule every fill pays the instrument fixed rates (tier -1)', () => {
    const r = runEngine(
      market({ bars: [bars(rows, 0, DAY)], instruments: [instrument('A', { taker_fee: 0.0007 })], decisions: d }),
      plainConfig({ execution: { latency_ms: 0 } }),
      scripted((ctx, i) => ctx.market(0, sides[i]!)),
    );
    expect(Array.from(r.fills.fee_tier)).toEqual([-1, -1, -1, -1]);
    expect(Array.from(r.fills.fee_rate)).toEqual([0.0007, 0.0007, 0.0007, 0.0007]);
    expect(r.fee_tier_names).toBeUndefined();
  });
});

describe('fees.tier auto in the instruments the service builds', () => {
  it('hands the engine the venue schedule (Binance VIP 0-9) with the base rates as the fixed ones; a named tier hands none', () => {
    const auto = instrumentInfo('BTCUSDT', 'binance-usdm', undefined, parseBacktestConfig({ fees: { tier: 'auto' } }), 0);
    expect(auto.fee_tiers?.map((t) => t.name)).toEqual(['VIP0', 'VIP1', 'VIP2', 'VIP3', 'VIP4', 'VIP5', 'VIP6', 'VIP7', 'VIP8', 'VIP9']);
    expect(auto.fee_tiers?.[3]).toEqual({ name: 'VIP3', min_volume_30d: 100_000_000, maker: 0.00012, taker: 0.00032 });
    expect([auto.maker_fee, auto.taker_fee]).toEqual([0.0002, 0.0005]);
    const vip3 = instrumentInfo('BTCUSDT', 'binance-usdm', undefined, parseBacktestConfig({ fees: { tier: 'VIP3' } }), 0);
    expect(vip3.fee_tiers).toBeUndefined();
    expect([vip3.maker_fee, vip3.taker_fee]).toEqual([0.00012, 0.00032]);
  });
});
