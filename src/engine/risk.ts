import type { BacktestConfig } from '../domain/backtest.js';

/**
 * Risk (seed §9): rolling volatility of completed bars, vol-target sizing with the 24/7 year,
 * the drawdown controller, the regime filter and the kill switch. No I/O, no allocation per call.
 */

/**
 * Mean and standard deviation of the last `window` values per symbol (running sums over a ring
 * buffer). Values pushed are those of completed bars only, so nothing here sees a bar in progress.
 */
export class Rolling {
  private readonly ring: Float64Array;
  private readonly pos: Uint32Array;
  private readonly cnt: Uint32Array;
  private readonly s1: Float64Array;
  private readonly s2: Float64Array;

  constructor(
    nSym: number,
    readonly window: number,
  ) {
    this.ring = new Float64Array(nSym * window);
    this.pos = new Uint32Array(nSym);
    this.cnt = new Uint32Array(nSym);
    this.s1 = new Float64Array(nSym);
    this.s2 = new Float64Array(nSym);
  }

  push(s: number, x: number): void {
    const w = this.window;
    const i = s * w + this.pos[s]!;
    if (this.cnt[s]! >= w) {
      const old = this.ring[i]!;
      this.s1[s] = this.s1[s]! - old;
      this.s2[s] = this.s2[s]! - old * old;
    } else this.cnt[s] = this.cnt[s]! + 1;
    this.ring[i] = x;
    this.s1[s] = this.s1[s]! + x;
    this.s2[s] = this.s2[s]! + x * x;
    const np = this.pos[s]! + 1;
    this.pos[s] = np === w ? 0 : np;
  }

  /**
   * push(s, x) for x = xs[from..to), in order: the same operations in the same order (so the
   * same sums to the last bit), with the state of s held in locals for the loop.
   */
  pushRange(s: number, xs: Float64Array, from: number, to: number): void {
    const w = this.window;
    const ring = this.ring;
    const base = s * w;
    let pos = this.pos[s]!;
    let cnt = this.cnt[s]!;
    let s1 = this.s1[s]!;
    let s2 = this.s2[s]!;
    for (let j = from; j < to; j++) {
      const x = xs[j]!;
      const i = base + pos;
      if (cnt >= w) {
        const old = ring[i]!;
        s1 = s1 - old;
        s2 = s2 - old * old;
      } else cnt++;
      ring[i] = x;
      s1 = s1 + x;
      s2 = s2 + x * x;
      pos++;
      if (pos === w) pos = 0;
    }
    this.pos[s] = pos;
    this.cnt[s] = cnt;
    this.s1[s] = s1;
    this.s2[s] = s2;
  }

  /** true once `window` values were pushed */
  full(s: number): boolean {
    return this.cnt[s]! >= this.window;
  }

  sum(s: number): number {
    return this.s1[s]!;
  }

  /** sample standard deviation (ddof 1) of the full window; NaN before it is full */
  std(s: number): number {
    const n = this.cnt[s]!;
    if (n < this.window || n < 2) return Number.NaN;
    const m = this.s1[s]! / n;
    const v = (this.s2[s]! - n * m * m) / (n - 1);
    return v > 0 ? Math.sqrt(v) : 0;
  }
}

export const DD_NORMAL = 0;
export const DD_REDUCED = 1;
export const DD_HALTED = 2;
export const DD_COOLDOWN = 3;
export const DD_STATE_NAMES = ['normal', 'reduced', 'halted', 'cooldown'] as const;

/**
 * Drawdown controller (seed §9.2): normal below `warning`, reduced (size x reduced_size) from it,
 * halted at `max` (flatten, no new exposure), then cooldown for cooldown_hours; after the cooldown
 * the peak is reset to the equity then (otherwise the controller would halt again at once on the
 * same drawdown) and the state is normal.
 */
export class DrawdownController {
  state = DD_NORMAL;
  peak = 0;
  breachTime = Number.NaN;
  drawdown = 0;
  private readonly cooldownUs: number;

  constructor(private readonly c: BacktestConfig['drawdown']) {
    this.cooldownUs = c.cooldown_hours * 3_600_000_000;
  }

  /** Updates with the equity at time t (µs); returns true when the state changed. */
  update(equity: number, t: number): boolean {
    if (equity > this.peak) this.peak = equity;
    this.drawdown = this.peak > 0 ? Math.max(0, 1 - equity / this.peak) : 0;
    if (!this.c.enabled) return false;
    const before = this.state;
    if (this.state === DD_HALTED || this.state === DD_COOLDOWN) {
      if (t - this.breachTime < this.cooldownUs) this.state = DD_COOLDOWN;
      else {
        this.peak = equity;
        this.drawdown = 0;
        this.breachTime = Number.NaN;
        this.state = DD_NORMAL;
      }
    } else if (this.drawdown >= this.c.max) {
      this.state = DD_HALTED;
      this.breachTime = t;
    } else if (this.drawdown >= this.c.warning) this.state = DD_REDUCED;
    else this.state = DD_NORMAL;
    return this.state !== before;
  }

  multiplier(): number {
    if (this.state === DD_NORMAL) return 1;
    if (this.state === DD_REDUCED) return this.c.reduced_size;
    return 0;
  }
}

/** Periods per year of a bar of `barUs` µs on the 365 x 24 h calendar of a market that never closes. */
export function periodsPerYear(barUs: number): number {
  return (365 * 24 * 3600 * 1e6) / barUs;
}

/**
 * Notional at weight 1 for one symbol (before the drawdown multiplier and the caps):
 * fixed_notional: the configured notional; fixed_fraction: fraction x equity; vol_target:
 * target_vol x equity / (sigma_bar x sqrt(bars per year)). NaN when vol targeting has no full
 * window of completed bars yet (no trade then).
 */
export function baseNotional(c: BacktestConfig['sizing'], equity: number, sigmaBar: number, barUs: number): number {
  if (c.mode === 'fixed_notional') return c.notional;
  if (c.mode === 'fixed_fraction') return c.fraction * equity;
  if (!(sigmaBar > 0)) return Number.NaN;
  return (c.target_vol * equity) / (sigmaBar * Math.sqrt(periodsPerYear(barUs)));
}

/** Rounds a size towards zero to the lot (base units); lot 0 = no rounding. */
export function roundToLot(qty: number, lot: number): number {
  if (!(lot > 0)) return qty;
  const n = Math.trunc(qty / lot + (qty >= 0 ? 1e-9 : -1e-9));
  return n * lot;
}

export const KILL_NONE = 0;
export const KILL_DAILY_LOSS = 1;
export const KILL_STALE_DATA = 2;
export const KILL_REJECTS = 3;
export const KILL_REASONS = ['', 'daily_loss', 'stale_data', 'repeated_rejects'] as const;
