import type { BacktestConfig, FeeTier } from '../domain/backtest.js';
import { FEE_SCHEDULES } from '../domain/backtest.js';
import { usageError } from '../domain/errors.js';

/**
 * Trading costs: fee tiers (maker/taker) and slippage. Pure functions; the engine calls
 * `slippageBps` once per taker fill, never allocates.
 */

/** The fee tier named `tier` (its name, or its index in the schedule). Exit 2 when it does not exist. */
export function resolveFeeTier(schedule: readonly FeeTier[], tier: string, venue: string): FeeTier {
  const byName = schedule.find((t) => t.name === tier);
  if (byName) return byName;
  if (/^\d+$/.test(tier)) {
    const byIndex = schedule[Number(tier)];
    if (byIndex) return byIndex;
  }
  throw usageError(`fee tier ${JSON.stringify(tier)} does not exist for ${venue}`, {
    hint: `use one of ${schedule.map((t) => t.name).join(', ')} (or an index 0-${schedule.length - 1})`,
  });
}

/** The schedule of a venue: the config override, else the instruments' own, else the built-in one. */
export function feeSchedule(venue: string, config: BacktestConfig, fromInstruments: FeeTier[] | null): FeeTier[] {
  if (config.fees.schedule) return config.fees.schedule;
  if (fromInstruments && fromInstruments.length > 0) return fromInstruments;
  const key = venue.startsWith('coinbase') ? 'coinbase' : venue.startsWith('binance') ? 'binance-usdm' : venue;
  const s = FEE_SCHEDULES[key];
  if (!s) {
    throw usageError(`no fee schedule for venue ${venue}`, { hint: 'give fees.schedule in the --config file' });
  }
  return s;
}

export const SLIPPAGE_NONE = 0;
export const SLIPPAGE_FIXED = 1;
export const SLIPPAGE_FORMULA = 2;

/** The slippage parameters, resolved to numbers. */
export interface SlippageParams {
  mode: number;
  fixed_bps: number;
  half_spread_bps: number;
  base_bps: number;
  impact_k: number;
  noise: number;
}

export function slippageParams(c: BacktestConfig['slippage']): SlippageParams {
  return {
    mode: c.mode === 'none' ? SLIPPAGE_NONE : c.mode === 'fixed' ? SLIPPAGE_FIXED : SLIPPAGE_FORMULA,
    fixed_bps: c.fixed_bps,
    half_spread_bps: c.half_spread_bps,
    base_bps: c.base_bps,
    impact_k: c.impact_k,
    noise: c.noise,
  };
}

/**
 * Slippage of a taker fill, bps of the reference price:
 *   none     0
 *   fixed    fixed_bps
 *   formula  half_spread + base x (sigma_t / sigma_ref) + k x sigma_t x sqrt(q / ADV) x 1e4
 * sigma_t, sigma_ref: per-bar stdev of log returns of completed bars (NaN until enough bars: the
 * ratio is then taken as 1 and the impact term uses sigma_ref or 0); q: order notional; adv: quote
 * volume per day (NaN/0 when unknown: no impact term). `gauss` is a N(0,1) draw, used only when
 * noise > 0: the result is multiplied by max(0, 1 + noise x gauss).
 */
export function slippageBps(p: SlippageParams, sigmaT: number, sigmaRef: number, notional: number, adv: number, gauss: number): number {
  if (p.mode === SLIPPAGE_NONE) return 0;
  let bps: number;
  if (p.mode === SLIPPAGE_FIXED) bps = p.fixed_bps;
  else {
    const ratio = sigmaT > 0 && sigmaRef > 0 ? sigmaT / sigmaRef : 1;
    const sig = sigmaT > 0 ? sigmaT : sigmaRef > 0 ? sigmaRef : 0;
    const impact = adv > 0 && notional > 0 ? p.impact_k * sig * Math.sqrt(notional / adv) * 1e4 : 0;
    bps = p.half_spread_bps + p.base_bps * ratio + impact;
  }
  if (p.noise > 0) bps *= Math.max(0, 1 + p.noise * gauss);
  return bps;
}
