import { z } from 'zod';

/**
 * The planted effects of the synthetic market and the market structure around them, with their
 * true values. `--effects default` uses DEFAULT_EFFECTS, `--effects none` uses NO_EFFECTS (every
 * predictive effect switched off, the marginal structure kept), `--effects FILE.json` any partial
 * override of the defaults (deep-merged, then validated here).
 *
 * "No effect" per hypothesis (what NO_EFFECTS sets, and why the marginals stay the same):
 * - H1 basis: the basis is a driftless random walk (unit root, no reversion to predict) whose
 *   one-year spread equals the stationary std of the effect mode; its 1-minute increments are
 *   smaller than the AR(1)'s, which moves the variance of 1-minute perp returns by < 0.1%.
 * - H2 funding: funding is still the smoothed basis plus the same noise; the gap no longer moves
 *   the basis (gap_pull 0).
 * - H3 lead-lag: spot moves with the fair price in the same minute (lead weight 0).
 * - H4 flow: perp and spot flows keep their distributions and their link to same-minute returns;
 *   the divergence has no impact on later returns.
 * - H5: nothing to scale (the perp/spot volume ratio process itself is kept).
 * - H6: no displacement around settlements.
 * - Regimes: the calm/stress chain is kept (volatility, basis width, volume by regime are
 *   marginal structure, not a directional edge), so volatility, kurtosis and clustering agree.
 * Every random draw is made in both modes in the same order, so with one seed the two modes
 * share the same shocks: differences come from the effects alone.
 */

const halfLife = z.number().positive().max(1e7);

export const EffectsSchema = z
  .object({
    basis: z
      .object({
        /**
         * H1: half-life (minutes) of the perp-spot basis AR(1) around its target; the AR(1)
         * coefficient per minute is 0.5^(1/half_life). null = random walk (no reversion).
         */
        half_life_minutes: halfLife.nullable().default(20),
        /** multiplier of the basis innovation in the stress regime */
        stress_width: z.number().positive().default(2),
      })
      .strict()
      .default({ half_life_minutes: 20, stress_width: 2 }),
    funding: z
      .object({
        /**
         * Funding per 8 h = mean + sensitivity x (EMA of basis - basis mean) + noise:
         * sensitivity in funding fraction per 8 h per unit of log basis (1 = 1 bp of smoothed basis
         * moves the 8h funding by 1 bp).
         */
        basis_sensitivity: z.number().min(0).default(1),
        /** EMA span (minutes) of the smoothed basis driving funding */
        basis_ema_minutes: z.number().positive().default(480),
        /** AR(1) coefficient per hour of the funding noise (0.976 = 0.82 per 8 h, as measured) */
        noise_ar_per_hour: z.number().min(0).max(0.9999).default(0.976),
        /**
         * H2: share of the funding-basis gap (noise / sensitivity, in basis units) that moves the
         * basis target: the basis converges towards the funding-implied level. 0 = no effect.
         */
        gap_pull: z.number().min(0).max(5).default(1),
        /** H2: half-life (minutes) of the basis target's move towards the funding-implied level */
        convergence_half_life_minutes: halfLife.default(240),
      })
      .strict()
      .default({ basis_sensitivity: 1, basis_ema_minutes: 480, noise_ar_per_hour: 0.976, gap_pull: 1, convergence_half_life_minutes: 240 }),
    lead_lag: z
      .object({
        /** H3: minutes by which the perp leads spot (spot takes part of each move this much later) */
        lag_minutes: z.number().int().min(1).max(60).default(1),
        /** H3: share of the fair-price move that spot takes `lag_minutes` late, calm regime */
        weight_calm: z.number().min(0).max(0.9).default(0.15),
        /** the same in the stress regime (0: the lead disappears) */
        weight_stress: z.number().min(0).max(0.9).default(0),
      })
      .strict()
      .default({ lag_minutes: 1, weight_calm: 0.15, weight_stress: 0 }),
    flow: z
      .object({
        /**
         * H4: which side's signed flow the divergence resolves towards: perp = prices move in the
         * direction of perp flow minus spot flow, spot = in the direction of spot flow.
         */
        side: z.enum(['perp', 'spot']).default('perp'),
        /**
         * H4: total move of the fair price per unit of divergence (imbalance_perp - imbalance_spot,
         * each in [-1, 1]), in units of the minute's volatility (so it scales with the market);
         * the unpredictable shock is shrunk by the variance this adds, keeping volatility equal.
         */
        impact_sigmas: z.number().min(0).max(1.2).default(0.3),
        /** minutes over which the move is spread, starting the minute after the divergence */
        horizon_minutes: z.number().int().min(1).max(240).default(5),
      })
      .strict()
      .default({ side: 'perp', impact_sigmas: 0.3, horizon_minutes: 5 }),
    volume_ratio: z
      .object({
        /**
         * H5: elasticity of the lead weight and the flow impact to the perp/spot volume ratio:
         * strength x (ratio / median ratio)^elasticity, capped at 3x. 0 = constant strength.
         */
        elasticity: z.number().min(0).max(5).default(1),
      })
      .strict()
      .default({ elasticity: 1 }),
    settlement: z
      .object({
        /**
         * H6: the perp (not spot) is displaced by -sign(predicted funding) x effect_bps, ramping
         * in over the window before each settlement and out over the window after it (longs
         * about to pay sell into the settlement and buy back). 0 = no effect.
         */
        effect_bps: z.number().min(0).default(1.5),
        window_minutes: z.number().int().min(1).max(240).default(30),
      })
      .strict()
      .default({ effect_bps: 1.5, window_minutes: 30 }),
    regimes: z
      .object({
        /** hidden Markov chain per minute: probability calm -> stress (1/5760: one stress spell per 4 days on average) */
        p_calm_to_stress: z.number().min(0).max(1).default(1 / 5760),
        /** probability stress -> calm per minute (1/720: stress lasts 12 h on average) */
        p_stress_to_calm: z.number().min(0).max(1).default(1 / 720),
        /** volatility multipliers; defaults keep the mean variance at 1 with stationary shares 8/9 calm, 1/9 stress */
        vol_calm: z.number().positive().default(0.866),
        vol_stress: z.number().positive().default(1.732),
        /** volume multiplier in stress */
        volume_stress: z.number().positive().default(1.8),
      })
      .strict()
      .default({ p_calm_to_stress: 1 / 5760, p_stress_to_calm: 1 / 720, vol_calm: 0.866, vol_stress: 1.732, volume_stress: 1.8 }),
  })
  .strict();

export type Effects = z.infer<typeof EffectsSchema>;

export const DEFAULT_EFFECTS: Effects = EffectsSchema.parse({});

/** Every predictive effect off; regimes and all marginal structure kept (see the file comment). */
export const NO_EFFECTS: Effects = EffectsSchema.parse({
  basis: { half_life_minutes: null },
  funding: { gap_pull: 0 },
  lead_lag: { weight_calm: 0, weight_stress: 0 },
  flow: { impact_sigmas: 0 },
  volume_ratio: { elasticity: 0 },
  settlement: { effect_bps: 0 },
});

/** Deep merge of a partial override (from a JSON file) into the defaults, then validation. */
export function effectsFrom(override: unknown): Effects {
  const merge = (base: unknown, over: unknown): unknown => {
    if (over === undefined) return base;
    if (base && over && typeof base === 'object' && typeof over === 'object' && !Array.isArray(over)) {
      const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
      for (const [k, v] of Object.entries(over as Record<string, unknown>)) out[k] = merge(out[k], v);
      return out;
    }
    return over;
  };
  return EffectsSchema.parse(merge(DEFAULT_EFFECTS, override));
}

/** Funding cadences of the venues the generator imitates. */
export const FUNDING_CADENCES = {
  /** Coinbase US perp-style futures: accrual every hour, settlement twice a day (00:00 and 12:00 UTC assumed) */
  coinbase: { interval_hours: 12, accrual_hours: 1 },
  /** Binance USD-M: settlement every 8 h (00:00, 08:00, 16:00 UTC) */
  binance: { interval_hours: 8, accrual_hours: 8 },
} as const;
export type FundingCadence = keyof typeof FUNDING_CADENCES;

/** Publication delays and data faults of the synthetic venue. */
export const PublicationSchema = z
  .object({
    /** bar available this long after its close, plus a uniform jitter below bar_jitter_ms (ms) */
    bar_delay_ms: z.number().int().min(0).default(1_500),
    bar_jitter_ms: z.number().int().min(1).default(1_000),
    /** probability that a bar is published late, by up to late_bar_max_ms */
    late_bar_probability: z.number().min(0).max(1).default(0.001),
    late_bar_max_ms: z.number().int().min(1).default(120_000),
    /** settled funding available this long after settlement (ms) */
    funding_delay_ms: z.number().int().min(0).default(5_000),
    /** probability that a settled rate appears late, between 1 and late_funding_max_ms */
    late_funding_probability: z.number().min(0).max(1).default(0.03),
    late_funding_max_ms: z.number().int().min(1).default(1_800_000),
    /** probability that an hourly ticker repeats the previous predicted funding rate (stale feed) */
    stale_ticker_probability: z.number().min(0).max(1).default(0.03),
    /** ticker, open interest: published this long after their event_time (ms) */
    ticker_delay_ms: z.number().int().min(0).default(1_000),
    /** trades and quotes: receive latency (ms) plus a jitter below tick_jitter_ms */
    tick_delay_ms: z.number().int().min(0).default(50),
    tick_jitter_ms: z.number().int().min(1).default(100),
  })
  .strict();
export type Publication = z.infer<typeof PublicationSchema>;
export const DEFAULT_PUBLICATION: Publication = PublicationSchema.parse({});
