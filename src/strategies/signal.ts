import { z } from 'zod';
import type { Strategy, StrategyContext, StrategyInfo } from './strategy.js';

/**
 * Trades one column of the decision rows (a feature, a research composite, model predictions):
 * enter long when value >= entry_long, short when value <= entry_short; leave a long when
 * value < exit_long (a short when value > exit_short) or after hold_bars decisions (0 = no limit).
 * `invert` flips the sign of the value first. Weights are sizing units (ctx.target).
 */
export const SignalParams = z
  .object({
    column: z.string().min(1),
    entry_long: z.number().default(0),
    entry_short: z.number().default(0),
    exit_long: z.number().optional(),
    exit_short: z.number().optional(),
    hold_bars: z.number().int().nonnegative().default(0),
    side: z.enum(['both', 'long', 'short']).default('both'),
    invert: z.boolean().default(false),
    weight: z.number().positive().default(1),
  })
  .strict()
  .refine((p) => p.entry_short <= p.entry_long, { message: 'entry_short must be <= entry_long', path: ['entry_short'] });
export type SignalParams = z.infer<typeof SignalParams>;

export function signalStrategy(input: unknown): Strategy {
  const p = SignalParams.parse(input ?? {});
  const exitLong = p.exit_long ?? p.entry_long;
  const exitShort = p.exit_short ?? p.entry_short;
  let col = -1;
  let side = new Int8Array(0);
  let held = new Float64Array(0);
  return {
    name: 'signal',
    kind: 'directional',
    columns: [p.column],
    init(info: StrategyInfo) {
      col = info.columns.indexOf(p.column);
      side = new Int8Array(info.symbols.length);
      held = new Float64Array(info.symbols.length);
    },
    onDecision(ctx: StrategyContext) {
      const s = ctx.symbol;
      let x = ctx.feature(col);
      if (Number.isNaN(x)) return;
      if (p.invert) x = -x;
      let want = side[s]!;
      if (want === 1 && x < exitLong) want = 0;
      else if (want === -1 && x > exitShort) want = 0;
      if (want !== 0) {
        held[s] = held[s]! + 1;
        if (p.hold_bars > 0 && held[s]! >= p.hold_bars) want = 0;
      }
      if (want === 0) {
        if (x >= p.entry_long && x > p.entry_short && p.side !== 'short' && side[s] !== 1) want = 1;
        else if (x <= p.entry_short && x < p.entry_long && p.side !== 'long' && side[s] !== -1) want = -1;
      }
      if (want !== side[s] || want !== 0) {
        if (want !== side[s]) held[s] = 0;
        side[s] = want;
        ctx.target(s, want * p.weight);
      }
    },
  };
}
