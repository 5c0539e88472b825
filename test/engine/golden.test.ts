/**
 * Golden scenarios: a few bars each, results computed by hand in the comments.
 * Conventions (fixture.ts): hourly bars, bar k covers [k h, (k+1) h) and is available at its
 * close unless said otherwise; every cost and risk control is off unless the test turns it on.
 */
import { describe, expect, it } from 'vitest';
import { runEngine } from '../../src/engine/engine.js';
import { FUNDING_KINDS } from '../../src/engine/funding.js';
import { ORIGINS, REASONS } from '../../src/engine/orders.js';
import { Portfolio } from '../../src/engine/portfolio.js';
import { at, bars, decisions, flat, funding, instrument, market, plainConfig, scripted, type Ohlc } from './fixture.js';

const S5 = 5_000_000; // decision latency of the features: bar close + 5 s

describe('fees: a round trip, taker vs maker (Binance VIP 0: maker 0.02 %, taker 0.05 %)', () => {
  // bar:   0             1             2             3             4
  const rows: Ohlc[] = [
    [100, 101, 99, 100],
    [100, 102, 99, 101],
    [102, 103, 101, 102],
    [103, 105, 102, 104],
    [106, 107, 105.5, 106],
  ];
  const ins = [instrument('BTC-PERP', { maker_fee: 0.0002, taker_fee: 0.0005 })];
  const d = decisions([at(1) + S5, at(3) + S5]);

  it('market orders: buy at bar 2 open 102, sell at bar 4 open 106', () => {
    // Decision after bar 0 (1h + 5 s) arrives at 1h + 5.25 s, after bar 1 opened (1h): fills at
    // bar 2's open 102; fee 102 x 0.0005 = 0.051. Decision after bar 2 -> bar 4 open 106; fee 0.053.
    // Cash = 100000 + (106 - 102) - 0.051 - 0.053 = 100003.896
    const strat = scripted((ctx, i) => ctx.market(0, i === 0 ? 1 : -1));
    const r = runEngine(market({ bars: [bars(rows)], instruments: ins, decisions: d }), plainConfig(), strat);
    expect(Array.from(r.fills.price)).toEqual([102, 106]);
    expect(Array.from(r.fills.time)).toEqual([at(2), at(4)]);
    expect(r.fills.fee[0]).toBeCloseTo(0.051, 12);
    expect(r.fills.fee[1]).toBeCloseTo(0.053, 12);
    expect(Array.from(r.fills.maker)).toEqual([0, 0]);
    expect(r.counters.final_equity).toBeCloseTo(100003.896, 9);
  });

  it('limit orders: buy 101.5 fills in bar 2 (low 101), sell 105 fills in bar 4 at its low 105.5, maker fees', () => {
    // buy limit 101.5 arrives 1h + 5.25 s; bar 2 low 101 <= 101.5 - 0.01 -> filled at 101.5 (no
    // price improvement); fee 101.5 x 0.0002 = 0.0203. Sell limit 105: bar 4 traded entirely above
    // it (low 105.5): filled at the bar's worst price for a seller, 105.5 (inside the bar's range);
    // fee 105.5 x 0.0002 = 0.0211. Cash = 100000 + 4 - 0.0203 - 0.0211 = 100003.9586
    const strat = scripted((ctx, i) => (i === 0 ? ctx.limit(0, 1, 101.5) : ctx.limit(0, -1, 105)));
    const r = runEngine(market({ bars: [bars(rows)], instruments: ins, decisions: d }), plainConfig(), strat);
    expect(Array.from(r.fills.price)).toEqual([101.5, 105.5]);
    expect(Array.from(r.fills.maker)).toEqual([1, 1]);
    expect(r.counters.final_equity).toBeCloseTo(100003.9586, 9);
  });
});

describe('latency and the signal bar', () => {
  const rows: Ohlc[] = [
    [100, 101, 99, 100],
    [100, 101, 99, 100.5],
    [102, 103, 101, 102],
  ];
  it('a decision at the close with zero latency fills at the next bar open (100), never inside the signal bar', () => {
    const r = runEngine(
      market({ bars: [bars(rows)], decisions: decisions([at(1)]) }),
      plainConfig({ execution: { latency_ms: 0 } }),
      scripted((ctx) => ctx.market(0, 1)),
    );
    expect(Array.from(r.fills.price)).toEqual([100]);
    expect(Array.from(r.fills.time)).toEqual([at(1)]);
  });
  it('250 ms of latency after the same decision pushes the fill into bar 2 (open 102)', () => {
    // arrival 1h + 0.25 s > bar 1's open (1h): the first price after arrival is bar 2's open.
    const r = runEngine(market({ bars: [bars(rows)], decisions: decisions([at(1)]) }), plainConfig(), scripted((ctx) => ctx.market(0, 1)));
    expect(Array.from(r.fills.price)).toEqual([102]);
    expect(Array.from(r.fills.time)).toEqual([at(2)]);
  });
});

describe('limit touched but not penetrated', () => {
  it('a buy limit at 99 does not fill on a low of exactly 99, fills at 99 when the low is 98.99 (one tick through)', () => {
    const rows: Ohlc[] = [
      [100, 101, 99.5, 100],
      [100, 101, 99.5, 100],
      [100, 101, 99, 100], // touched: no fill
      [100, 101, 98.99, 100], // through by one tick (0.01): fill at 99
    ];
    const r = runEngine(market({ bars: [bars(rows)], decisions: decisions([at(1) + S5]) }), plainConfig(), scripted((ctx) => ctx.limit(0, 1, 99)));
    expect(Array.from(r.fills.price)).toEqual([99]);
    expect(Array.from(r.fills.time)).toEqual([at(3)]);
  });
});

describe('slippage by the formula', () => {
  it('half-spread + base x sigma_t/sigma_ref + k x sigma_t x sqrt(q/ADV)', () => {
    // Closes 100, 100e^0.01, 100, 100e^0.02, 100: log returns 0.01, -0.01, 0.02, -0.02.
    // sigma_t (2 bars) = std(0.02, -0.02) = sqrt(0.0008) = 0.0282843
    // sigma_ref (4 bars) = sqrt((1 + 1 + 4 + 4)e-4 / 3) = 0.0182574; ratio 1.5491933
    // ADV: each bar's quote volume is 1e6 (volume = 1e6 / close), 2-bar mean x 24 bars/day = 2.4e7
    // q = 24 x 100 = 2400 (bar 5 open 100): sqrt(2400 / 2.4e7) = 0.01
    // bps = 1 + 2 x 1.5491933 + 1 x 0.0282843 x 0.01 x 1e4 = 1 + 3.0983867 + 2.8284271 = 6.9268138
    // price = 100 x (1 + 6.9268138e-4) = 100.069268138
    const lr = [0, 0.01, -0.01, 0.02, -0.02];
    let cum = 0;
    const rows: Ohlc[] = lr.map((x) => {
      cum += x;
      const c = 100 * Math.exp(cum);
      return [c, c * 1.001, c * 0.999, c, 1e6 / c];
    });
    rows.push([100, 101, 99, 100, 1e4]);
    const cfg = plainConfig({
      execution: { latency_ms: 0 },
      slippage: { mode: 'formula', half_spread_bps: 1, base_bps: 2, impact_k: 1, sigma_bars: 2, sigma_ref_bars: 4, adv_days: 2 / 24 },
    });
    const r = runEngine(market({ bars: [bars(rows)], decisions: decisions([at(5)]) }), cfg, scripted((ctx) => ctx.market(0, 24)));
    expect(r.fills.slippage_bps[0]).toBeCloseTo(6.9268138, 6);
    expect(r.fills.price[0]).toBeCloseTo(100.069268138, 8);
    expect(r.fills.ref_price[0]).toBe(100);
    expect(r.fills.slippage_cost[0]).toBeCloseTo(24 * 0.069268138, 6);
  });
  it('fixed mode: 2 bps on a buy at 100 -> 100.02; a fill never prints outside its bar (capped at the high)', () => {
    const rows: Ohlc[] = [
      [100, 100, 100, 100],
      [100, 100.01, 99, 100],
    ];
    const cfg = plainConfig({ execution: { latency_ms: 0 }, slippage: { mode: 'fixed', fixed_bps: 2 } });
    const r = runEngine(market({ bars: [bars(rows)], decisions: decisions([at(1)]) }), cfg, scripted((ctx) => ctx.market(0, 1)));
    // 100 x 1.0002 = 100.02 > high 100.01: capped at 100.01, recorded as 1 bps
    expect(r.fills.price[0]).toBe(100.01);
    expect(r.fills.slippage_bps[0]).toBeCloseTo(1, 9);
  });
});

describe('funding cash flows', () => {
  it('Binance: 8 h prints settle in cash; a long pays positive rates and receives negative ones, a short the reverse', () => {
    // Long 1 filled at 1h (bar 1 open, 100). Prints: 8h +0.0001 (mark 100) -> long pays 0.01;
    // 16h -0.0002 -> long receives 0.02. Net +0.01. Short 1: -0.01.
    const f = funding([
      { t: at(8), rate: 0.0001, interval: 8, mark: 100 },
      { t: at(16), rate: -0.0002, interval: 8, mark: 100 },
    ]);
    for (const [side, expected] of [
      [1, 0.01],
      [-1, -0.01],
    ] as const) {
      const r = runEngine(
        market({ bars: [bars(flat(20))], funding: [f], decisions: decisions([at(1)]) }),
        plainConfig({ execution: { latency_ms: 0 }, funding: { missing: 'error' } }),
        scripted((ctx) => ctx.market(0, side)),
      );
      expect(Array.from(r.funding.amount)).toEqual([-0.01 * side, 0.02 * side].map((x) => expect.closeTo(x, 12)));
      expect(r.counters.final_equity - 100000).toBeCloseTo(expected, 9);
      expect([...r.funding.kind].map((k) => FUNDING_KINDS[k])).toEqual(['settlement', 'settlement']);
    }
  });

  it('Coinbase: hourly accruals count in equity at once and move to cash at the 12 h settlement', () => {
    // Long 1 at 100 from 1h. Hourly prints of 0.00001 (each: 1 x 100 x 0.00001 = 0.001 owed).
    // The 1h print comes before the fill is known (bar 1 is available at 2h): not charged.
    // Accruals at 2h..11h: accrued -0.010 at 11h (cash 100000, equity 99999.990);
    // at 12h: accrual -> -0.011, settlement -> cash 99999.989, accrued 0.
    const prints = Array.from({ length: 14 }, (_, h) => ({ t: at(h + 1), rate: 0.00001, interval: 1 }));
    const ins = [instrument('BTC-PERP', { funding_interval_hours: 12, funding_accrual_hours: 1 })];
    const r = runEngine(
      market({ bars: [bars(flat(14))], funding: [funding(prints)], instruments: ins, decisions: decisions([at(1)]) }),
      plainConfig({ execution: { latency_ms: 0 }, funding: { missing: 'error' } }),
      scripted((ctx) => ctx.market(0, 1)),
    );
    const row = (t: number): number => Array.from(r.equity.time).indexOf(t);
    const i11 = row(at(11));
    expect(r.equity.cash[i11]).toBe(100000);
    expect(r.equity.accrued_funding[i11]).toBeCloseTo(-0.01, 12);
    expect(r.equity.equity[i11]).toBeCloseTo(99999.99, 9);
    const i12 = row(at(12));
    expect(r.equity.cash[i12]).toBeCloseTo(99999.989, 9);
    expect(r.equity.accrued_funding[i12]).toBe(0);
    const kinds = [...r.funding.kind].map((k) => FUNDING_KINDS[k]);
    expect(kinds.filter((k) => k === 'accrual')).toHaveLength(13); // 2h..14h
    expect(kinds.filter((k) => k === 'settlement')).toHaveLength(1);
  });

  it('Coinbase with settled prints only (12 h rows, as the funding dataset stores them): cash at each settlement, nothing missing', () => {
    // Long 1 at 100 from 1h; prints at 12h (+0.0012 per 12 h -> pays 0.12) and 24h (-0.0006 -> receives 0.06).
    const ins = [instrument('BTC-PERP', { funding_interval_hours: 12, funding_accrual_hours: 1 })];
    const f = funding([
      { t: at(12), rate: 0.0012, interval: 12 },
      { t: at(24), rate: -0.0006, interval: 12 },
    ]);
    const r = runEngine(
      market({ bars: [bars(flat(30))], funding: [f], instruments: ins, decisions: decisions([at(1)]) }),
      plainConfig({ execution: { latency_ms: 0 }, funding: { missing: 'error' } }),
      scripted((ctx) => ctx.market(0, 1)),
    );
    expect([...r.funding.kind].map((k) => FUNDING_KINDS[k])).toEqual(['settlement', 'settlement']);
    expect(r.counters.final_equity - 100000).toBeCloseTo(-0.06, 9);
    expect(Math.max(...Array.from(r.equity.accrued_funding).map(Math.abs))).toBe(0);
  });

  it('accrued (unpaid) funding reduces the margin before the liquidation test', () => {
    // long 1 @ 100, leverage 10: margin 10; with -1 accrued: (100 - 9) / (1 - 0.005) = 91.457286
    const p = new Portfolio(1, 1000, 0.1, 0.005);
    p.fill(0, 1, 100, 0, 0);
    expect(p.liquidationPrice(0)).toBeCloseTo(100 * (1 - 0.1) / 0.995, 9); // 90.452261
    p.accrued[0] = -1;
    expect(p.liquidationPrice(0)).toBeCloseTo(91 / 0.995, 9);
  });
});

describe('a missing funding print', () => {
  // Long 1 from 1h; prints at 8h only (interval 8): the 16h print never comes. With a grace of
  // 1 h it is missing from the first step after 17h.
  const f = funding([{ t: at(8), rate: 0.0001, interval: 8, mark: 100 }]);
  const run = (missing: string) =>
    runEngine(
      market({ bars: [bars(flat(20))], funding: [f], decisions: decisions([at(1)]) }),
      plainConfig({ execution: { latency_ms: 0 }, funding: { missing } }),
      scripted((ctx) => ctx.market(0, 1)),
    );
  it('is an error (exit 3) by default', () => {
    expect(() => run('error')).toThrow(expect.objectContaining({ kind: 'validation', message: expect.stringMatching(/funding print missing for S0 at 2024-01-01T16:00:00/) }));
  });
  it('--funding-missing zero charges nothing and records it', () => {
    const r = run('zero');
    expect([...r.funding.kind].map((k) => FUNDING_KINDS[k])).toEqual(['settlement', 'missing_zero']);
    expect(r.counters.funding_missing).toBe(1);
    expect(r.counters.final_equity - 100000).toBeCloseTo(-0.01, 9);
  });
  it('--funding-missing last charges the last rate (another 0.01)', () => {
    const r = run('last');
    expect([...r.funding.kind].map((k) => FUNDING_KINDS[k])).toEqual(['settlement', 'missing_last']);
    expect(r.counters.final_equity - 100000).toBeCloseTo(-0.02, 9);
  });
});

describe('liquidation on the mark price', () => {
  // Long 1 at 100 (bar 1 open), leverage 10: margin 10; maintenance 0.5 %:
  // liquidation price = (100 - 10) / (1 - 0.005) = 90.4522613; liquidation fee 0.2 %.
  const cfg = plainConfig({ execution: { latency_ms: 0 }, margin: { leverage: 10, maintenance_rate: 0.005, liquidation_fee_rate: 0.002 } });
  const trade: Ohlc[] = [
    [100, 100, 100, 100],
    [100, 101, 99, 100],
    [100, 100.5, 95, 99],
    [99, 99, 99, 99],
  ];
  it('a long is liquidated on a wick of the mark low although no close reaches the liquidation price', () => {
    // mark bar 2: low 90 <= 90.4523 -> filled at min(90.4523, open 100) = 90.4522613
    // pnl = -9.5477387, fee = 0.002 x 90.4522613 = 0.1809045; cash change -9.7286432 (above -10: no cap)
    const mark: Ohlc[] = [trade[0]!, trade[1]!, [100, 100.5, 90, 99], trade[3]!];
    const r = runEngine(market({ bars: [bars(trade)], mark: [bars(mark)], decisions: decisions([at(1)]) }), cfg, scripted((ctx) => ctx.market(0, 1)));
    expect(r.counters.liquidations).toBe(1);
    expect(r.fills.liquidation[1]).toBe(1);
    expect(r.fills.price[1]).toBeCloseTo(90.4522613, 6);
    expect(r.fills.fee[1]).toBeCloseTo(0.1809045, 6);
    expect(r.counters.final_equity).toBeCloseTo(100000 - 9.7286432, 6);
    expect(r.events.map((e) => e.kind)).toContain('liquidation');
  });
  it('a gap through the liquidation price fills at the open (80) and the isolated loss is capped at the margin (10)', () => {
    // mark bar 2 opens at 80: fill min(90.4523, 80) = 80; pnl -20, fee 0.16: -20.16 -> capped at -10
    const mark: Ohlc[] = [trade[0]!, trade[1]!, [80, 85, 79, 84], trade[3]!];
    const r = runEngine(market({ bars: [bars(trade)], mark: [bars(mark)], decisions: decisions([at(1)]) }), cfg, scripted((ctx) => ctx.market(0, 1)));
    expect(r.fills.price[1]).toBe(80);
    expect(r.counters.final_equity).toBeCloseTo(99990, 9);
    expect(r.events.find((e) => e.kind === 'liquidation')?.detail).toMatch(/absorbed 10\.16/);
  });
  it('a short is liquidated on a wick of the mark high', () => {
    // short 1 at 100, margin 10: liquidation price = (10 + 100) / (1 + 0.005) = 109.4527363;
    // mark bar 2 high 110 -> filled at max(109.4527, open 100) = 109.4527363;
    // pnl -9.4527363, fee 0.002 x 109.4527363 = 0.2189055; cash change -9.6716418
    const mark: Ohlc[] = [trade[0]!, trade[1]!, [100, 110, 99, 100], trade[3]!];
    const r = runEngine(market({ bars: [bars(trade)], mark: [bars(mark)], decisions: decisions([at(1)]) }), cfg, scripted((ctx) => ctx.market(0, -1)));
    expect(r.counters.liquidations).toBe(1);
    expect(r.fills.price[1]).toBeCloseTo(109.4527363, 6);
    expect(r.counters.final_equity).toBeCloseTo(100000 - 9.6716418, 6);
  });
  it('no liquidation when the mark low stays above the liquidation price', () => {
    const mark: Ohlc[] = [trade[0]!, trade[1]!, [100, 100.5, 90.5, 99], trade[3]!];
    const r = runEngine(market({ bars: [bars(trade)], mark: [bars(mark)], decisions: decisions([at(1)]) }), cfg, scripted((ctx) => ctx.market(0, 1)));
    expect(r.counters.liquidations).toBe(0);
  });
});

describe('the drawdown controller in the engine', () => {
  it('normal -> reduced -> halted (flatten) -> cooldown -> normal', () => {
    // Long 1000 at 100 (equity 100000). Closes: 89 at 3h (drawdown 11 %: reduced), 84 at 4h
    // (16 %: halted; a flattening order fills at bar 5's open 84), cooldown from 5h, normal again
    // once 24 h have passed since the halt at 4h, i.e. at 28h, with the peak reset.
    const rows: Ohlc[] = [[100, 100, 100, 100], [100, 100, 100, 100], [100, 100, 89, 89], [89, 89, 84, 84], ...flat(30, 84)];
    const cfg = plainConfig({ execution: { latency_ms: 0 }, drawdown: { enabled: true, warning: 0.1, max: 0.15, cooldown_hours: 24 } });
    const r = runEngine(market({ bars: [bars(rows)], decisions: decisions([at(1)]) }), cfg, scripted((ctx) => ctx.market(0, 1000)));
    const states = r.events.filter((e) => e.kind === 'drawdown_state').map((e) => [e.detail.split(' ')[0], (e.time - at(0)) / 3.6e9]);
    expect(states).toEqual([
      ['reduced', 3],
      ['halted', 4],
      ['cooldown', 5],
      ['normal', 28],
    ]);
    const flattening = Array.from(r.orders.origin).indexOf(ORIGINS.indexOf('flatten_drawdown'));
    expect(flattening).toBeGreaterThan(0);
    expect(r.fills.price[1]).toBe(84);
    expect(r.counters.final_equity).toBeCloseTo(84000, 6);
  });
});

describe('the kill switch', () => {
  it('daily loss: 6 % down within the day flattens and stops the strategy', () => {
    // Long 1000 at 100; at 3h the close is 94: equity 94000 < 95000 (5 % under the day's opening).
    const rows: Ohlc[] = [[100, 100, 100, 100], [100, 100, 100, 100], [100, 100, 99, 99], [99, 99, 94, 94], ...flat(6, 94)];
    const cfg = plainConfig({ execution: { latency_ms: 0 }, kill_switch: { enabled: true, daily_loss: 0.05 } });
    const strat = scripted((ctx, i) => {
      if (i === 0) ctx.market(0, 1000);
    });
    const times = Array.from({ length: 9 }, (_, k) => at(k + 1));
    const r = runEngine(market({ bars: [bars(rows)], decisions: decisions(times) }), cfg, strat);
    const k = r.events.find((e) => e.kind === 'kill_switch');
    expect(k?.detail).toMatch(/^daily_loss/);
    expect(k?.time).toBe(at(4));
    expect(r.counters.kill_switch).toBe('daily_loss');
    expect(strat.calls).toBe(3); // decisions at 1h, 2h, 3h; none after the kill at 4h
    expect(r.fills.price[1]).toBe(94); // flattened at bar 4's open
  });
  it('repeated rejects: orders outside the universe, 3 in a row with max_consecutive_rejects 3', () => {
    const ins = [instrument('X', { valid_to: at(2) })];
    const cfg = plainConfig({ kill_switch: { enabled: true, max_consecutive_rejects: 3 } });
    const strat = scripted((ctx) => ctx.market(0, 1));
    const r = runEngine(
      market({ bars: [bars(flat(10))], instruments: ins, decisions: decisions([3, 4, 5, 6, 7].map((h) => at(h))) }),
      cfg,
      strat,
    );
    expect(r.counters.outside_universe).toBe(3);
    expect(r.counters.kill_switch).toBe('repeated_rejects');
    expect(strat.calls).toBe(3);
  });
  it('stale data: a held symbol without bars for longer than the limit', () => {
    // S0 has bars until 3h only; S1 keeps ticking. Long S0 from 1h; stale limit 2 h -> kill at 6h (> 3h + 2h).
    const cfg = plainConfig({ execution: { latency_ms: 0 }, kill_switch: { enabled: true, stale_data_ms: 2 * 3_600_000 } });
    const r = runEngine(
      market({ bars: [bars(flat(3)), bars(flat(10))], decisions: decisions([at(1)]) }),
      cfg,
      scripted((ctx) => ctx.market(0, 1)),
    );
    const k = r.events.find((e) => e.kind === 'kill_switch');
    expect(k?.detail).toMatch(/^stale_data: no bar of S0/);
    expect(k?.time).toBe(at(6));
  });
});

describe('universe at T', () => {
  it('orders outside the instrument validity are refused and counted; inside they fill', () => {
    const ins = [instrument('X', { valid_from: at(2) })];
    const r = runEngine(
      market({ bars: [bars(flat(6))], instruments: ins, decisions: decisions([at(1), at(3)]) }),
      plainConfig(),
      scripted((ctx) => ctx.market(0, 1)),
    );
    expect(r.counters.outside_universe).toBe(1);
    expect(r.fills.qty.length).toBe(1);
  });
});

describe('volume cap', () => {
  it('a market order larger than 10 % of the bar volume fills over several bars', () => {
    // volume 100 per bar: at most 10 per bar; 25 -> 10 @ bar 2 open, 10 @ bar 3, 5 @ bar 4
    const rows: Ohlc[] = Array.from({ length: 6 }, (_, k) => [100 + k, 100 + k, 100 + k, 100 + k, 100]);
    const r = runEngine(market({ bars: [bars(rows)], decisions: decisions([at(1) + S5]) }), plainConfig(), scripted((ctx) => ctx.market(0, 25)));
    expect(Array.from(r.fills.qty)).toEqual([10, 10, 5]);
    expect(Array.from(r.fills.price)).toEqual([102, 103, 104]);
  });
});

describe('cancels travel with the latency', () => {
  it('a market order in flight is not cancelled by the next target: it fills, and the new target trades the difference', () => {
    // fixed notional 100 at 100 = 1 unit. Decision 1h+5s: target 1 -> buy arrives 1h+5.25s, fills at
    // bar 2's open (2h), which the engine learns at 3h. Decision 2h+5s: target 0. The buy counts as
    // pending (it has reached the venue), so one sell of 1 is sent; it fills at bar 3's open (3h).
    // Cancelling the buy at 2h+5s instead would have traded nothing: a lookahead-free engine cannot
    // know at 2h+5s that the 2h open was not yet traded.
    const rows: Ohlc[] = [
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [101, 102, 100, 101],
      [103, 104, 102, 103],
      [103, 104, 102, 103],
    ];
    const cfg = plainConfig({ sizing: { mode: 'fixed_notional', notional: 100 } });
    const r = runEngine(
      market({ bars: [bars(rows)], decisions: decisions([at(1) + S5, at(2) + S5]) }),
      cfg,
      scripted((ctx, i) => ctx.target(0, i === 0 ? 1 : 0)),
    );
    expect(Array.from(r.fills.qty)).toEqual([1, -1]);
    expect(Array.from(r.fills.price)).toEqual([101, 103]);
    expect(r.counters.final_equity).toBeCloseTo(100002, 9);
  });
});

describe('cross margin', () => {
  // Cash 25, leverage 10, maintenance 0.5 %, liquidation fee 0.2 %. Long 1 A at 100 and long 1 B
  // at 100 (bar 1 opens). Mark bar 2: A opens 100 and wicks to `low`, B stays at 100.
  const run = (mode: string, aLow: number, aOpen = 100) => {
    const trade: Ohlc[] = [
      [100, 100, 100, 100],
      [100, 100, 100, 100],
      [aOpen, 100, aLow, 99],
      [99, 99, 99, 99],
    ];
    const cfg = plainConfig({
      initial_cash: 25,
      execution: { latency_ms: 0 },
      margin: { mode, leverage: 10, maintenance_rate: 0.005, liquidation_fee_rate: 0.002 },
    });
    return runEngine(
      market({ bars: [bars(trade), bars(flat(4))], mark: [bars(trade), bars(flat(4))], decisions: decisions([at(1), at(1)], [0, 1]) }),
      cfg,
      scripted((ctx) => ctx.market(ctx.symbol, 1)),
    );
  };
  it('the account is liquidated where equity meets the total maintenance margin, every position at once', () => {
    // A + lambda B with A = 25 - 0.005 x 200 = 24 and, for a wick to 70 (d = -30),
    // B = -30 + 0.005 x 30 = -29.85: negative at the extreme -> lambda = 24 / 29.85 = 0.8040201.
    // A closes at 100 - 30 lambda = 75.8793970, B at 100. Check: equity 25 - 24.120603 = 0.879397 =
    // 0.005 x (75.879397 + 100). Fees 0.1517588 + 0.2; cash = 25 - 24.1206030 - 0.3517588 = 0.5276382
    const r = run('cross', 70);
    expect(r.counters.liquidations).toBe(2);
    expect(r.fills.price[2]).toBeCloseTo(75.879397, 5);
    expect(r.fills.price[3]).toBe(100);
    expect(r.counters.final_equity).toBeCloseTo(0.5276382, 6);
  });
  it('a wick to 85 is covered by the account (A + B = 24 - 14.925 > 0), while isolated margin liquidates A alone', () => {
    expect(run('cross', 85).counters.liquidations).toBe(0);
    // isolated: A's margin 10 -> liquidation price 90 / 0.995 = 90.4523 > 85
    const iso = run('isolated', 85);
    expect(iso.counters.liquidations).toBe(1);
    expect(iso.fills.sym[2]).toBe(0);
  });
  it('a gap (A opens at 70) closes everything at the opens and caps the account loss at its equity', () => {
    // A = 25 - 30 - 0.005 x 170 = -5.85 <= 0 -> lambda 0: A at 70, B at 100;
    // cash = 25 - 30 - 0.14 - 0.2 = -5.34 -> 0, 5.34 absorbed
    const r = run('cross', 70, 70);
    expect(Array.from(r.fills.price.slice(2))).toEqual([70, 100]);
    expect(r.counters.final_equity).toBe(0);
    expect(r.events.find((e) => e.kind === 'liquidation')?.detail).toMatch(/absorbed 5\.34/);
  });
});

describe('execution on quotes where they exist', () => {
  it('a market buy fills at the ask of the first quote after its arrival, not at the next bar open', () => {
    // decision 1h+5s, arrival 1h+5.25s. Quotes: 1h+3s (before arrival: unused), 1h+10s bid 100.9
    // ask 101.1 size 0.4, 1h+20s bid 101 ask 101.2 size 5. Buy 1: 0.4 at 101.1 (the size shown),
    // 0.6 at 101.2. Slippage recorded against the mid: 10 bps (0.4 x 0.1 + 0.6 x 0.1 = 0.1).
    const q = {
      event_time: Float64Array.from([at(1) + 3e6, at(1) + 10e6, at(1) + 20e6]),
      available_time: Float64Array.from([at(1) + 3e6, at(1) + 10e6, at(1) + 20e6]),
      bid: Float64Array.from([99, 100.9, 101]),
      ask: Float64Array.from([99.2, 101.1, 101.2]),
      bid_size: Float64Array.from([5, 5, 5]),
      ask_size: Float64Array.from([5, 0.4, 5]),
    };
    const data = { ...market({ bars: [bars(flat(4))], decisions: decisions([at(1) + S5]) }), quotes: [q] };
    const r = runEngine(data, plainConfig(), scripted((ctx) => ctx.market(0, 1)));
    expect(Array.from(r.fills.qty)).toEqual([0.4, expect.closeTo(0.6, 12)]);
    expect(Array.from(r.fills.price)).toEqual([101.1, 101.2]);
    expect(Array.from(r.fills.time)).toEqual([at(1) + 10e6, at(1) + 20e6]);
    expect(r.fills.slippage_cost[0]! + r.fills.slippage_cost[1]!).toBeCloseTo(0.1, 9);
  });
});

describe('caps checked before an order is accepted', () => {
  it('an order beyond max_position_pct or max_gross_leverage of equity is rejected (reason leverage)', () => {
    // equity 100000, price 100: max position 20 % = 200 units; gross cap 3 x = 3000 units
    const cfg = plainConfig({ sizing: { max_position_pct: 0.2, max_gross_leverage: 3 } });
    const r = runEngine(
      market({ bars: [bars(flat(4)), bars(flat(4))], decisions: decisions([at(1), at(1), at(1)], [0, 0, 1]) }),
      cfg,
      scripted((ctx, i) => ctx.market(ctx.symbol, i === 0 ? 201 : i === 1 ? 200 : -150)),
    );
    expect(Array.from(r.orders.status)).toEqual([3, 1, 1]); // rejected, filled, filled
    expect(r.orders.reason[0]).toBe(REASONS.indexOf('leverage'));
    expect(r.counters.rejected).toBe(1);
  });
});
