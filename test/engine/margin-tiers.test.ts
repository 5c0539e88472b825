/**
 * Maintenance margin by position size (margin.tiers). A made-up three-bracket table, continuous:
 *   notional up to 10 000    max 50x   mmr 1 %    cum 0
 *   up to 100 000            max 20x   mmr 2.5 %  cum 150   (= 10 000 x (2.5 % - 1 %))
 *   above                    max 10x   mmr 5 %    cum 2 650 (= 150 + 100 000 x (5 % - 2.5 %))
 * maintenance margin = notional x mmr - cum.
 */
import { describe, expect, it } from 'vitest';
import { parseBacktestConfig } from '../../src/domain/backtest.js';
import { runEngine } from '../../src/engine/engine.js';
import { Portfolio } from '../../src/engine/portfolio.js';
import { PerpkitError } from '../../src/domain/errors.js';
import { instrumentInfo, resolveConfig } from '../../src/services/backtest.js';
import { at, bars, decisions, flat, instrument, market, plainConfig, scripted, type Ohlc } from './fixture.js';

const tiers = [
  { max_notional: 10_000, max_leverage: 50, mmr: 0.01, cum: 0 },
  { max_notional: 100_000, max_leverage: 20, mmr: 0.025, cum: 150 },
  { max_notional: 1e12, max_leverage: 10, mmr: 0.05, cum: 2_650 },
];

describe('liquidation price with brackets', () => {
  it('a long of 200 at 100 (20 000, margin 2 000 at 10x) is liquidated at 91.538..., in the second bracket', () => {
    // bracket 1: P = (200 x 100 - 2000 - 0) / (200 x 0.99) = 90.909; notional 18 182 > 10 000: not in it
    // bracket 2: P = (20000 - 2000 - 150) / (200 x 0.975) = 17850 / 195 = 91.5384615; notional 18 308: in it
    const pf = new Portfolio(1, 100_000, 0.1, 0.01, [tiers]);
    pf.fill(0, 200, 100, 0, 0);
    expect(pf.liquidationPrice(0)).toBeCloseTo(17850 / 195, 10);
    // the flat 1 % of the first bracket alone would say 90.909
    const flatPf = new Portfolio(1, 100_000, 0.1, 0.01);
    flatPf.fill(0, 200, 100, 0, 0);
    expect(flatPf.liquidationPrice(0)).toBeCloseTo(18000 / 198, 10);
  });

  it('a short of 50 at 100 (5 000, margin 500) stays in the first bracket: P = (500 + 5000) / (50 x 1.01) = 108.9109', () => {
    const pf = new Portfolio(1, 100_000, 0.1, 0.05, [tiers]);
    pf.fill(0, -50, 100, 0, 0);
    expect(pf.liquidationPrice(0)).toBeCloseTo(5500 / 50.5, 10);
  });

  const rows = (low: number): Ohlc[] => [...flat(3), [100, 100, low, 100]];
  const run = (low: number) =>
    runEngine(
      market({ bars: [bars(rows(low))], instruments: [instrument('A', { margin_tiers: tiers })], decisions: decisions([at(1)]) }),
      plainConfig({ margin: { leverage: 10, maintenance_rate: 0.01 }, execution: { latency_ms: 0 } }),
      scripted((ctx) => ctx.market(0, 200)),
    );

  it('in the engine: a wick to 91.5 liquidates the 20 000 long (bracket 2 liquidation price 91.54), a wick to 91.6 does not', () => {
    expect(run(91.5).counters.liquidations).toBe(1);
    expect(run(91.6).counters.liquidations).toBe(0);
  });
});

describe('the leverage check uses the bracket of the size after the order', () => {
  it('at 25x, 5 000 of notional (bracket 1, up to 50x) is accepted, 20 000 (bracket 2, up to 20x) is rejected', () => {
    const r = runEngine(
      market({ bars: [bars(flat(4))], instruments: [instrument('A', { margin_tiers: tiers })], decisions: decisions([at(1), at(1)]) }),
      plainConfig({ margin: { leverage: 25 } }),
      scripted((ctx, i) => ctx.market(0, i === 0 ? 50 : 150)),
    );
    // first order: 50 x 100 = 5 000 -> filled; second: position after 200 x 100 = 20 000 -> rejected
    expect(Array.from(r.orders.status)).toEqual([1, 3]);
    expect(r.orders.reason[1]).toBe(4); // REASONS[4] = leverage
  });
});

describe('margin.tiers in the config', () => {
  it('venue: Binance BTC brackets for a BTC perp, none for an asset without a table; a table given is used as is', () => {
    const venue = parseBacktestConfig({ margin: { tiers: 'venue' } });
    const btc = instrumentInfo('BTC-PERP', 'binance-usdm', undefined, venue, 0);
    expect(btc.margin_tiers?.[0]).toEqual({ max_notional: 50_000, max_leverage: 125, mmr: 0.004, cum: 0 });
    expect(btc.margin_tiers?.length).toBe(10);
    expect(instrumentInfo('DOGE-PERP', 'binance-usdm', undefined, venue, 0).margin_tiers).toBeUndefined();
    expect(instrumentInfo('BTC-PERP', 'binance-usdm', undefined, parseBacktestConfig({}), 0).margin_tiers).toBeUndefined();
    const own = instrumentInfo('X', 'coinbase', undefined, parseBacktestConfig({ margin: { tiers } }), 0);
    expect(own.margin_tiers).toEqual(tiers);
  });

  it('a bad table is exit 2 naming the field', () => {
    for (const tiers of [[{ max_notional: -1, max_leverage: 10, mmr: 0.01 }], 'exchange']) {
      let err: unknown = null;
      try {
        resolveConfig({ margin: { tiers } });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PerpkitError);
      expect((err as PerpkitError).exitCode).toBe(2);
      expect((err as PerpkitError).message).toMatch(/margin\.tiers/);
    }
  });
});
