import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStrategy } from '../../src/strategies/index.js';
import { REGIMES, regimeStrategy } from '../../src/strategies/regime.js';
import { signalStrategy } from '../../src/strategies/signal.js';
import type { Strategy, StrategyContext } from '../../src/strategies/strategy.js';

/** Feeds closes (and one column) to a strategy for symbol 0; returns the target weights it set (NaN = none). */
function drive(s: Strategy, closes: number[], column: number[] = []): number[] {
  s.init?.({ symbols: ['X'], columns: ['x'], bar_us: 3.6e9 });
  const out: number[] = [];
  let i = 0;
  const ctx = {
    time: 0,
    symbol: 0,
    symbols: ['X'],
    feature: (c: number) => (c === 0 ? (column[i] ?? Number.NaN) : Number.NaN),
    close: () => closes[i]!,
    position: () => 0,
    pending: () => 0,
    equity: () => 1e5,
    target: (_s: number, w: number) => {
      out[i] = w;
    },
    market: () => -1,
    limit: () => -1,
    stop: () => -1,
    cancel: () => undefined,
    random: () => 0.5,
  } as StrategyContext;
  for (i = 0; i < closes.length; i++) {
    out[i] = Number.NaN;
    s.onDecision(ctx);
  }
  return out;
}

const small = { sma_fast: 2, sma_slow: 3, vol_short: 2, vol_long: 4, rsi_period: 2 };

describe('regime strategy (seed §6.1B)', () => {
  it('waits until its slowest window is full', () => {
    const w = drive(regimeStrategy(small), [100, 101, 102, 103]);
    expect(w.every(Number.isNaN)).toBe(true);
  });
  it('a steady rise is overbought (RSI 100 > 70): mean reversion, short', () => {
    // closes rise by 1 each bar: every change a gain, RSI = 100. Warm from the 5th close (4 returns
    // fill vol_long); log returns shrink slowly, so sigma_2 < 1.5 sigma_4 (not high volatility).
    const s = regimeStrategy(small);
    const w = drive(s, [100, 101, 102, 103, 104, 105, 106]);
    expect(w.slice(4)).toEqual([-1, -1, -1]);
    expect(s.regimeCounts[REGIMES.indexOf('mean_reverting')]).toBe(3);
  });
  it('an uptrend with RSI in range trades the trend: long at trend_weight', () => {
    // +3, -1 alternating (RSI bounds opened so mean reversion never fires). Last close 109:
    // SMA2 = (106 + 109) / 2 = 107.5 > SMA3 = (107 + 106 + 109) / 3 = 107.33 -> up. Alternating
    // returns: sigma_2 / sigma_4 = sqrt(3/2) = 1.22 < 1.5. The mirror image is short.
    const s = regimeStrategy({ ...small, rsi_low: 0, rsi_high: 100, trend_weight: 0.7 });
    expect(drive(s, [100, 103, 102, 105, 104, 107, 106, 109])[7]).toBe(0.7);
    const d = regimeStrategy({ ...small, rsi_low: 0, rsi_high: 100, trend_weight: 0.7 });
    expect(drive(d, [100, 97, 98, 95, 96, 93, 94, 91])[7]).toBe(-0.7);
    expect(d.regimeCounts[REGIMES.indexOf('trending_down')]).toBeGreaterThan(0);
  });
  it('a volatility burst (sigma_2 > 1.5 sigma_4) trades the trend side at high_vol_weight', () => {
    // calm +-0.1 % bars then +9.5 %: sigma_2 = 0.067 > 1.5 x sigma_6 (0.038); SMA2 105.05 > SMA3 103.4 -> long x 0.25
    const s = regimeStrategy({ ...small, vol_long: 6, rsi_low: 0, rsi_high: 100, high_vol_weight: 0.25 });
    const w = drive(s, [100, 100.1, 100, 100.1, 100, 100.1, 100, 100.1, 110]);
    expect(w[8]).toBe(0.25);
    expect(w[7]).toBe(-1); // before the burst: SMA2 100.05 < SMA3 100.067, trending down at full weight
    expect(s.regimeCounts[REGIMES.indexOf('high_volatility')]).toBeGreaterThan(0);
  });
  it('invalid params are refused naming the field', () => {
    expect(() => regimeStrategy({ sma_fast: 60, sma_slow: 50 })).toThrow(/sma_fast/);
    expect(() => regimeStrategy({ smaFast: 3 })).toThrow();
  });
});

describe('signal strategy', () => {
  it('enters at the thresholds, exits at the exit band, flips sides', () => {
    const s = signalStrategy({ column: 'x', entry_long: 1, entry_short: -1, exit_long: 0.5, exit_short: -0.5 });
    const w = drive(s, [1, 1, 1, 1, 1, 1], [0, 1.2, 0.7, 0.4, -1.5, -0.2]);
    // 0: nothing; 1.2: long; 0.7: hold long (>= 0.5); 0.4: exit; -1.5: short; -0.2: exit (> -0.5)
    expect(w).toEqual([NaN, 1, 1, 0, -1, 0]);
  });
  it('hold_bars closes after N decisions; side long ignores short signals; invert flips', () => {
    const s = signalStrategy({ column: 'x', entry_long: 1, entry_short: -1, hold_bars: 2 });
    // long, held 1, closed at 2 decisions, re-entered on the next
    expect(drive(s, [1, 1, 1, 1], [2, 2, 2, 2])).toEqual([1, 1, 0, 1]);
    const l = signalStrategy({ column: 'x', entry_long: 1, entry_short: -1, side: 'long' });
    expect(drive(l, [1, 1], [-2, -2])).toEqual([NaN, NaN]);
    const inv = signalStrategy({ column: 'x', entry_long: 1, entry_short: -1, invert: true });
    expect(drive(inv, [1], [-2])).toEqual([1]);
  });
  it('needs a column', () => {
    expect(() => signalStrategy({})).toThrow(/column/);
  });
});

describe('loading strategies', () => {
  it('built-ins by name; bad params are a usage error naming the field', async () => {
    expect((await loadStrategy('regime', {})).strategy.name).toBe('regime');
    await expect(loadStrategy('regime', { rsi_low: 'x' })).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(/strategy\.rsi_low/) });
    await expect(loadStrategy('nope', {})).rejects.toMatchObject({ kind: 'usage' });
  });
  it('a user module exporting a factory gets the params', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pk-strat-'));
    const file = join(dir, 'mine.mjs');
    writeFileSync(file, 'export default (p) => ({ name: "mine-" + p.k, onDecision(ctx) { ctx.target(ctx.symbol, 1); } });\n');
    const { strategy, path } = await loadStrategy(file, { k: 3 });
    expect(strategy.name).toBe('mine-3');
    expect(path).toBe(file);
    await expect(loadStrategy(join(dir, 'absent.mjs'), {})).rejects.toMatchObject({ kind: 'missing' });
    writeFileSync(join(dir, 'bad.mjs'), 'export default 42;\n');
    await expect(loadStrategy(join(dir, 'bad.mjs'), {})).rejects.toMatchObject({ kind: 'usage' });
  });
});
