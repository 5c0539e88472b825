import { z } from 'zod';
import { Rolling } from '../engine/risk.js';
import type { Strategy, StrategyContext, StrategyInfo } from './strategy.js';

/**
 * The rule-based regime system of seed §6.1B. At each decision of a symbol, from the closes of
 * completed bars seen at its decisions (so one close per decision bar):
 *   high_volatility  sigma(vol_short) > high_vol_ratio x sigma(vol_long)  -> trend side at high_vol_weight
 *   mean_reverting   RSI(rsi_period) < rsi_low -> long, > rsi_high -> short, at mean_reversion_weight
 *   trending_up      SMA(sma_fast) > SMA(sma_slow) -> long at trend_weight
 *   trending_down    otherwise -> short at trend_weight (flat when allow_short is false)
 * checked in that order (the seed's). Weights are in sizing units (ctx.target); nothing is traded
 * until the slowest window is full.
 */
export const RegimeParams = z
  .object({
    sma_fast: z.number().int().min(2).default(20),
    sma_slow: z.number().int().min(3).default(50),
    vol_short: z.number().int().min(2).default(24),
    vol_long: z.number().int().min(3).default(168),
    high_vol_ratio: z.number().positive().default(1.5),
    rsi_period: z.number().int().min(2).default(14),
    rsi_low: z.number().min(0).max(100).default(30),
    rsi_high: z.number().min(0).max(100).default(70),
    trend_weight: z.number().min(0).default(1),
    mean_reversion_weight: z.number().min(0).default(1),
    /** weight in the high-volatility regime, on the trend's side (0 = stand aside) */
    high_vol_weight: z.number().min(0).default(0.5),
    allow_short: z.boolean().default(true),
  })
  .strict()
  .refine((p) => p.sma_fast < p.sma_slow, { message: 'sma_fast must be shorter than sma_slow', path: ['sma_fast'] })
  .refine((p) => p.vol_short < p.vol_long, { message: 'vol_short must be shorter than vol_long', path: ['vol_short'] })
  .refine((p) => p.rsi_low < p.rsi_high, { message: 'rsi_low must be below rsi_high', path: ['rsi_low'] });
export type RegimeParams = z.infer<typeof RegimeParams>;

export const REGIMES = ['warmup', 'high_volatility', 'mean_reverting', 'trending_up', 'trending_down'] as const;

export interface RegimeStrategy extends Strategy {
  /** decisions per regime, by REGIMES index (for reports) */
  readonly regimeCounts: Float64Array;
}

export function regimeStrategy(input: unknown = {}): RegimeStrategy {
  const p = RegimeParams.parse(input ?? {});
  let fast: Rolling;
  let slow: Rolling;
  let vs: Rolling;
  let vl: Rolling;
  let lastClose = new Float64Array(0);
  let avgGain = new Float64Array(0);
  let avgLoss = new Float64Array(0);
  let changes = new Float64Array(0);
  const regimeCounts = new Float64Array(REGIMES.length);

  const rsi = (s: number): number => {
    if (changes[s]! < p.rsi_period) return Number.NaN;
    const g = avgGain[s]!;
    const l = avgLoss[s]!;
    if (l === 0) return g === 0 ? 50 : 100;
    return 100 - 100 / (1 + g / l);
  };

  return {
    name: 'regime',
    kind: 'directional',
    columns: [],
    regimeCounts,
    init(info: StrategyInfo) {
      const n = info.symbols.length;
      fast = new Rolling(n, p.sma_fast);
      slow = new Rolling(n, p.sma_slow);
      vs = new Rolling(n, p.vol_short);
      vl = new Rolling(n, p.vol_long);
      lastClose = new Float64Array(n).fill(Number.NaN);
      avgGain = new Float64Array(n);
      avgLoss = new Float64Array(n);
      changes = new Float64Array(n);
    },
    onDecision(ctx: StrategyContext) {
      const s = ctx.symbol;
      const c = ctx.close(s);
      if (!(c > 0)) return;
      const prev = lastClose[s]!;
      lastClose[s] = c;
      fast.push(s, c);
      slow.push(s, c);
      if (prev > 0) {
        const lr = Math.log(c / prev);
        vs.push(s, lr);
        vl.push(s, lr);
        // Wilder's smoothing: simple mean over the first period, then alpha 1/period
        const d = c - prev;
        const gain = d > 0 ? d : 0;
        const loss = d < 0 ? -d : 0;
        const k = changes[s]! + 1;
        changes[s] = k;
        if (k <= p.rsi_period) {
          avgGain[s] = avgGain[s]! + gain / p.rsi_period;
          avgLoss[s] = avgLoss[s]! + loss / p.rsi_period;
        } else {
          avgGain[s] = (avgGain[s]! * (p.rsi_period - 1) + gain) / p.rsi_period;
          avgLoss[s] = (avgLoss[s]! * (p.rsi_period - 1) + loss) / p.rsi_period;
        }
      }
      if (!slow.full(s) || !vl.full(s) || changes[s]! < p.rsi_period) {
        regimeCounts[0] = regimeCounts[0]! + 1;
        return;
      }
      const up = fast.sum(s) / p.sma_fast > slow.sum(s) / p.sma_slow;
      const trendSide = up ? 1 : p.allow_short ? -1 : 0;
      const r = rsi(s);
      let w: number;
      let regime: number;
      if (vs.std(s) > p.high_vol_ratio * vl.std(s)) {
        regime = 1;
        w = trendSide * p.high_vol_weight;
      } else if (r < p.rsi_low || r > p.rsi_high) {
        regime = 2;
        w = r < p.rsi_low ? p.mean_reversion_weight : p.allow_short ? -p.mean_reversion_weight : 0;
      } else if (up) {
        regime = 3;
        w = p.trend_weight;
      } else {
        regime = 4;
        w = trendSide * p.trend_weight;
      }
      regimeCounts[regime] = regimeCounts[regime]! + 1;
      ctx.target(s, w);
    },
  };
}
