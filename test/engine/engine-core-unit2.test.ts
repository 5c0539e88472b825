/**
 * The engine's rolling statistics (volatility windows and ADV), caught up lazily (rolled()), checked
 * against a plain loop over the bars: after a gap of 300 bars with no read (the buffers grow), with
 * bars of unknown volume (left out of the ADV), in the batch run (cached log returns) and stepping
 * event by event (log returns computed on the fly). The slippage of a market fill and a vol-target
 * size read them. For the mutation run of engine.ts (engine-core-1).
 */
import { describe, expect, it } from 'vitest';
import { buildClock } from '../../src/engine/clock.js';
import { slippageBps, slippageParams } from '../../src/engine/costs.js';
import { Engine, runEngine, type EngineResult } from '../../src/engine/engine.js';
import type { MarketData } from '../../src/engine/types.js';
import { mulberry32 } from '../../src/stats/random.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import { at, bars, decisions, market, plainConfig, scripted, type Ohlc } from './fixture.js';

const S5 = 5_000_000;
const N = 320;

/** A random walk of N hourly bars with wide ranges (no slippage cap) and every 7th volume unknown. */
function walk(seed: number, n = N, unknownVolumes = true): Ohlc[] {
  const rnd = mulberry32(seed);
  const rows: Ohlc[] = [];
  let p = 100;
  for (let k = 0; k < n; k++) {
    const o = p;
    const c = o * Math.exp((rnd() - 0.5) * 0.04);
    const v = unknownVolumes && k % 7 === 3 ? Number.NaN : 500 + rnd() * 1000;
    rows.push([o, Math.max(o, c) * 1.05, Math.min(o, c) * 0.95, c, v]);
    p = c;
  }
  return rows;
}

/** Sample std (ddof 1) of the log returns of bars last-w+1..last (a plain loop). */
function stdOf(rows: Ohlc[], last: number, w: number): number {
  const xs: number[] = [];
  for (let j = last - w + 1; j <= last; j++) xs.push(Math.log(rows[j]![3] / rows[j - 1]![3]));
  const m = xs.reduce((a, b) => a + b, 0) / w;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (w - 1));
}

/** ADV per day: the mean of the last w known volume x close up to bar `last`, times bars per day (24). */
function advOf(rows: Ohlc[], last: number, w: number): number {
  const qv: number[] = [];
  for (let j = last; j >= 0 && qv.length < w; j--) {
    const v = rows[j]![4]!;
    if (!Number.isNaN(v)) qv.push(v * rows[j]![3]);
  }
  return (qv.reduce((a, b) => a + b, 0) / w) * 24;
}

function stepped(m: MarketData, cfg: ReturnType<typeof plainConfig>, strat: Strategy): EngineResult {
  const e = new Engine(m, cfg, strat);
  e.begin();
  const c = buildClock(e.streams());
  for (let i = 0; i < c.n; i++) e.step(c.time[i]!, c.kind[i]!, c.sym[i]!, c.row[i]!);
  return e.finish();
}

describe('rolling statistics caught up after 300 bars without a read', () => {
  const rows = walk(11);
  const m = (): MarketData => market({ bars: [bars(rows)], decisions: decisions([at(300) + S5]) });
  const cfg = plainConfig({ slippage: { mode: 'formula', half_spread_bps: 1, base_bps: 2, impact_k: 1, sigma_bars: 24, sigma_ref_bars: 168, adv_days: 1 } });

  it('slippage of a market buy at the 301 h bar: sigma over 24 and 168 returns and ADV over the 24 last known volumes, as a plain loop gives', () => {
    // the order arrives at 300 h + 5.25 s and fills at the open of bar 301; the statistics take bars 0..300
    const sig = stdOf(rows, 300, 24);
    const ref = stdOf(rows, 300, 168);
    const adv = advOf(rows, 300, 24);
    const open = rows[301]![0];
    const bps = slippageBps(slippageParams(cfg.slippage), sig, ref, 3 * open, adv, 0);
    expect(bps).toBeGreaterThan(3.5); // the impact term is not 0
    for (const r of [runEngine(m(), cfg, scripted((ctx) => ctx.market(0, 3))), stepped(m(), cfg, scripted((ctx) => ctx.market(0, 3)))]) {
      expect(Array.from(r.fills.time)).toEqual([at(301)]);
      expect(r.fills.slippage_bps[0]).toBeCloseTo(bps, 9);
      expect(r.fills.price[0]).toBeCloseTo(open * (1 + bps / 1e4), 9);
    }
  });

  it('a sell pays the slippage the other way: below the open', () => {
    const sig = stdOf(rows, 300, 24);
    const ref = stdOf(rows, 300, 168);
    const open = rows[301]![0];
    const bps = slippageBps(slippageParams(cfg.slippage), sig, ref, 2 * open, advOf(rows, 300, 24), 0);
    const r = runEngine(m(), cfg, scripted((ctx) => ctx.market(0, -2)));
    expect(r.fills.slippage_bps[0]).toBeCloseTo(bps, 9);
    expect(r.fills.price[0]).toBeCloseTo(open * (1 - bps / 1e4), 9);
  });

  it('vol-target size from its own 48-bar window (not the 168-bar reference window): target_vol x equity / (sigma x sqrt(8760)) / price', () => {
    const c = plainConfig({ initial_cash: 10_000, sizing: { mode: 'vol_target', vol_bars: 48, target_vol: 0.5 } });
    // at 300 h + 5 s the last bar is 299 (available at 300 h); its close is the price
    const sig = stdOf(rows, 299, 48);
    const want = (0.5 * 10_000) / (sig * Math.sqrt(8760)) / rows[299]![3];
    for (const r of [runEngine(m(), c, scripted((ctx) => ctx.target(0, 1))), stepped(m(), c, scripted((ctx) => ctx.target(0, 1)))]) {
      expect(r.orders.qty.length).toBe(1);
      expect(r.orders.qty[0]).toBeCloseTo(want, 9);
    }
  });

  it('a second read later takes only the bars since the first: sizes at 300 h and 310 h as the plain loop gives', () => {
    const c = plainConfig({ initial_cash: 10_000, sizing: { mode: 'vol_target', vol_bars: 168, target_vol: 0.5 } });
    const data = market({ bars: [bars(rows)], decisions: decisions([at(300) + S5, at(310) + S5]) });
    const seen: number[] = [];
    const strat = scripted((ctx) => {
      ctx.target(0, 1);
      seen.push(ctx.pending(0) + ctx.position(0));
    });
    runEngine(data, c, strat);
    const q1 = (0.5 * 10_000) / (stdOf(rows, 299, 168) * Math.sqrt(8760)) / rows[299]![3];
    expect(seen[0]).toBeCloseTo(q1, 9);
    // at 310 h: the buy filled at the 301 h open (no costs); equity moved with the mark (close of bar 309), the
    // window now ends at bar 309
    const equity = 10_000 + q1 * (rows[309]![3] - rows[301]![0]);
    const q2 = (0.5 * equity) / (stdOf(rows, 309, 168) * Math.sqrt(8760)) / rows[309]![3];
    expect(seen[1]).toBeCloseTo(q2, 9);
    expect(Math.abs(q2 - q1)).toBeGreaterThan(0.1);
  });

  it('no vol-target trade before the window is full (bar 24 of a 24-bar window needs 25 closes)', () => {
    const c = plainConfig({ sizing: { mode: 'vol_target', vol_bars: 24, target_vol: 0.5 } });
    const data = market({ bars: [bars(rows.slice(0, 30))], decisions: decisions([at(24) + S5, at(25) + S5]) });
    const r = runEngine(data, c, scripted((ctx) => ctx.target(0, 1)));
    // at 24 h the bars 0..23 give 23 returns: no trade; at 25 h 24 returns: one order
    expect(r.orders.qty.length).toBe(1);
    expect(r.orders.created[0]).toBe(at(25) + S5);
    expect(r.orders.qty[0]).toBeCloseTo((0.5 * 100_000) / (stdOf(rows, 24, 24) * Math.sqrt(8760)) / rows[24]![3], 9);
  });
});

describe('the read buffers grow to any gap', () => {
  // the buffers start at 256 values. The first read is at the bar before the fill (its open precedes the
  // arrival): bars 0..gap-1, i.e. 257 values (one more than fit) and 600 (more than twice); every volume known,
  // so that the volume buffer needs as many places as bars
  for (const gap of [257, 600]) {
    it(`a market buy after ${gap} bars without a read: the same slippage as the plain loop`, () => {
      const rows = walk(5, gap + 4, false);
      const cfg = plainConfig({ slippage: { mode: 'formula', sigma_bars: 24, sigma_ref_bars: 168, adv_days: 1 } });
      const r = runEngine(market({ bars: [bars(rows)], decisions: decisions([at(gap) + S5]) }), cfg, scripted((ctx) => ctx.market(0, 3)));
      const open = rows[gap + 1]![0];
      const bps = slippageBps(slippageParams(cfg.slippage), stdOf(rows, gap, 24), stdOf(rows, gap, 168), 3 * open, advOf(rows, gap, 24), 0);
      expect(r.fills.time[0]).toBe(at(gap + 1));
      expect(r.fills.slippage_bps[0]).toBeCloseTo(bps, 9);
    });
  }
});
