/**
 * Set-up details of the engine that the first mutation run of engine.ts (engine-core-1) left
 * untested: mark bars arriving before the traded bars (the mark wins), no equity row before the
 * first bar, no events on a quiet run, margin brackets on some instruments only, the ADV window in
 * bars of another length than an hour, state() after a kill.
 */
import { describe, expect, it } from 'vitest';
import { slippageBps, slippageParams } from '../../src/engine/costs.js';
import { runEngine } from '../../src/engine/engine.js';
import { at, bars, decisions, flat, H, instrument, market, plainConfig, scripted, T0, type Ohlc } from './fixture.js';
import { Engine } from '../../src/engine/engine.js';
import { buildClock } from '../../src/engine/clock.js';

describe('mark bars and traded bars', () => {
  it('a mark bar known before the traded bar of the same hour stays the mark: unrealised P&L on 110, not the traded 100', () => {
    // traded bars known 1 s after their close, mark bars at their close
    const mark = bars(flat(6, 110));
    const r = runEngine(
      market({ bars: [bars(flat(6), 1_000_000)], mark: [mark], decisions: decisions([at(1) + 2_000_000]) }),
      plainConfig({ execution: { latency_ms: 0 } }),
      scripted((ctx) => ctx.market(0, 1)),
    );
    // bought 1 at the 2 h open (100); every equity row after carries the mark 110
    const last = r.equity.time.length - 1;
    expect(r.equity.unrealised[last]).toBe(10);
    expect(r.equity.equity[last]).toBe(100_010);
  });

  it('no equity row before the first traded bar (a mark bar first), and no events on a quiet run', () => {
    const mark = bars(flat(5, 100), 0, H, T0 - H / 2);
    const r = runEngine(market({ bars: [bars(flat(4))], mark: [mark], decisions: decisions([at(1)]) }), plainConfig(), scripted(() => {}));
    expect(Array.from(r.equity.time, (t) => (t - T0) / H)).toEqual([1, 2, 3, 4]);
    expect(r.events).toEqual([]);
  });
});

describe('margin brackets on some instruments only', () => {
  it('the instrument with brackets uses them, the other the flat rate', () => {
    // A: brackets allowing at most 5x; B: none. At leverage 10 an order of A is refused (leverage), of B accepted
    const tiers = [{ max_notional: 1e12, max_leverage: 5, mmr: 0.01, cum: 0 }];
    const r = runEngine(
      market({ bars: [bars(flat(4)), bars(flat(4))], instruments: [instrument('A', { margin_tiers: tiers }), instrument('B')], decisions: decisions([at(1), at(1)], [0, 1]) }),
      plainConfig({ margin: { leverage: 10 } }),
      scripted((ctx) => ctx.market(ctx.symbol, 10)),
    );
    expect(Array.from(r.orders.status)).toEqual([3, 1]);
  });
});

describe('the ADV window', () => {
  it('is adv_days of bars of the data bar length: 4 h bars, 1 day = 6 bars', () => {
    // 4 h bars with volumes 100, 200, ...; sigma windows of 2 bars; a market buy of 10 at the open of bar 10
    const rows: Ohlc[] = Array.from({ length: 12 }, (_, k) => {
      const c = 100 + (k % 2);
      return [c, 110, 90, c, 100 * (k + 1)];
    });
    const cfg = plainConfig({ slippage: { mode: 'formula', sigma_bars: 2, sigma_ref_bars: 3, adv_days: 1 } });
    const r = runEngine(market({ bars: [bars(rows, 0, 4 * H)], decisions: decisions([T0 + 9 * 4 * H + 1]) }), cfg, scripted((ctx) => ctx.market(0, 10)));
    // bars 0..9 known at the fill: ADV = mean of volume x close over bars 4..9, times 6 bars a day
    let sum = 0;
    for (let k = 4; k <= 9; k++) sum += rows[k]![4]! * rows[k]![3];
    const adv = (sum / 6) * 6;
    const lr = (k: number) => Math.log(rows[k]![3] / rows[k - 1]![3]);
    const std = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
    };
    const bps = slippageBps(slippageParams(cfg.slippage), std([lr(8), lr(9)]), std([lr(7), lr(8), lr(9)]), 10 * rows[10]![0], adv, 0);
    expect(r.fills.time[0]).toBe(T0 + 10 * 4 * H);
    expect(r.fills.slippage_bps[0]).toBeCloseTo(bps, 9);
  });

  it('no impact term until the ADV window is full, although the volatility windows are', () => {
    const rows: Ohlc[] = Array.from({ length: 12 }, (_, k) => {
      const c = 100 + (k % 2);
      return [c, 110, 90, c, 1000];
    });
    // adv_days 2 = 48 hourly bars: never full here; sigma 2 and 3 bars: full. bps = half-spread 1 + base 2 x ratio
    const cfg = plainConfig({ slippage: { mode: 'formula', sigma_bars: 2, sigma_ref_bars: 3, adv_days: 2 } });
    const r = runEngine(market({ bars: [bars(rows)], decisions: decisions([at(9) + 1]) }), cfg, scripted((ctx) => ctx.market(0, 10)));
    const lr = (k: number) => Math.log(rows[k]![3] / rows[k - 1]![3]);
    const std = (xs: number[]) => {
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
    };
    const ratio = std([lr(8), lr(9)]) / std([lr(7), lr(8), lr(9)]);
    expect(r.fills.slippage_bps[0]).toBeCloseTo(1 + 2 * ratio, 9);
  });
});

describe('state() after a kill', () => {
  it('names the kill reason and the drawdown state', () => {
    const rows: Ohlc[] = [...flat(2), [100, 100, 70, 70], ...flat(3, 70)];
    const m = market({ bars: [bars(rows)], decisions: decisions([at(1)]) });
    const e = new Engine(m, plainConfig({ execution: { latency_ms: 0 }, kill_switch: { enabled: true, daily_loss: 0.2 } }), scripted((ctx) => ctx.market(0, 1000)));
    const c = buildClock(e.streams());
    for (let i = 0; i < c.n; i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
    const st = e.state();
    expect(st.killed).toBe('daily_loss');
    expect(st.drawdown_state).toBe('normal');
  });
});

describe('the margin step runs when something new came, not at every decision', () => {
  it('a second decision with no bar since does not run the kill switch check: stale data is found at the next bar (6 h), not at 5.5 h', () => {
    // S0 has bars until 3 h (held from 1 h); S1 ticks hourly; stale limit 2 h: 5 h is not stale, the 5.5 h decision
    // comes with no new event since the 5 h one, the next check is at the 6 h bars
    const cfg = plainConfig({ execution: { latency_ms: 0 }, kill_switch: { enabled: true, stale_data_ms: 2 * 3_600_000 } });
    const r = runEngine(market({ bars: [bars(flat(3)), bars(flat(10))], decisions: decisions([at(1), at(5), at(5) + H / 2]) }), cfg, scripted((ctx, i) => (i === 0 ? ctx.market(0, 1) : undefined)));
    expect(r.events.find((e) => e.kind === 'kill_switch')?.time).toBe(at(6));
  });
});
