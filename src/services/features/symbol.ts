import { AGE_COLUMNS, FEATURES, type FeatureInput, type FeaturesConfig } from '../../domain/features.js';
import { basisFamily, crossFamily, fundingFamily, openInterestFamily, priceFamily, printRuns, tradeFlowFamily, volumeFamily, type Emit } from './families.js';
import type { Axis, BarSeries, CloseSeries, FlowSeries, Prints } from './panel.js';

/**
 * One symbol's features from its inputs on its bar axis: pure computation over typed arrays (no
 * database), so that it runs on the main thread or in a worker (symbol-worker.ts) alike. Every
 * family's windows are computed in event-time order, and each feature is selected at each decision
 * time T from the most recent complete window all of whose rows have available_time <= T, if that
 * window is younger than the input's maximum age (else NULL).
 */

/** A symbol's loaded inputs and what the computation needs of the plan (structured-clone safe). */
export interface SymbolInputs {
  ax: Axis;
  /** decision times of every axis slot, µs */
  dec: Float64Array;
  /** the decisions counted in stale/missing: [r0, r1) */
  r0: number;
  r1: number;
  perp: BarSeries;
  spot: BarSeries;
  /** mark-price and BTC bars: availability and close only */
  mark: CloseSeries;
  btc: CloseSeries | null;
  funding: Prints;
  btcFunding: Prints;
  oi: Prints;
  perpFlow: FlowSeries;
  spotFlow: FlowSeries;
  /** settlement interval of the symbol and of BTC, hours */
  hours: number;
  btcHours: number;
  tfUs: number;
  cfg: FeaturesConfig;
}

export interface SymbolResult {
  /** the source columns (featureSourceColumns: decision_us, the ages, the features), one value per axis slot */
  out: Float64Array[];
  stale: Record<string, number>;
  missing: Record<string, number>;
  /** ms spent per step */
  timings: { windows: number; prints: number; derived: number };
}

/** The column source's columns: decision_us, then the age columns, then the features. */
export const featureSourceColumns = (): string[] => ['decision_us', ...AGE_COLUMNS, ...FEATURES.map((f) => f.name)];

export const INPUTS: Array<Exclude<FeatureInput, 'grid' | 'trades'>> = ['perp_bars', 'funding', 'open_interest', 'spot_bars', 'btc_bars'];

/** For each decision: latest slot whose window is usable at T and younger than maxAge. */
function selectBars(v: Float64Array, u: Float64Array, ax: Axis, dec: Float64Array, maxAgeUs: number, out: Float64Array): void {
  for (let r = 0; r < dec.length; r++) {
    const T = dec[r] as number;
    let j = Math.min(ax.n - 1, Math.floor((T - ax.t0) / ax.tf));
    let val = NaN;
    for (; j >= 0 && T - (ax.t0 + j * ax.tf) <= maxAgeUs; j--) {
      if ((u[j] as number) <= T) {
        val = v[j] as number;
        break;
      }
    }
    out[r] = val;
  }
}

/** Same for prints: `last[r]` is the index of the last print with event_time <= T. */
function selectPrints(v: Float64Array, u: Float64Array, pr: Prints, dec: Float64Array, last: Int32Array, maxAgeUs: (r: number) => number, out: Float64Array): void {
  for (let r = 0; r < dec.length; r++) {
    const T = dec[r] as number;
    const maxAge = maxAgeUs(r);
    let val = NaN;
    for (let i = last[r] as number; i >= 0 && T - (pr.ev[i] as number) <= maxAge; i--) {
      if ((u[i] as number) <= T) {
        val = v[i] as number;
        break;
      }
    }
    out[r] = val;
  }
}

function lastPrintIndex(pr: Prints, dec: Float64Array): Int32Array {
  const out = new Int32Array(dec.length);
  let i = -1;
  for (let r = 0; r < dec.length; r++) {
    while (i + 1 < pr.ev.length && (pr.ev[i + 1] as number) <= (dec[r] as number)) i++;
    out[r] = i;
  }
  return out;
}

/** Age (ms) of the latest row with available_time <= T, NaN if none. */
function barAges(s: CloseSeries, ax: Axis, dec: Float64Array, out: Float64Array): void {
  for (let r = 0; r < dec.length; r++) {
    const T = dec[r] as number;
    let age = NaN;
    for (let j = Math.min(ax.n - 1, Math.floor((T - ax.t0) / ax.tf)); j >= 0; j--) {
      if ((s.avail[j] as number) <= T) {
        age = (T - (ax.t0 + j * ax.tf)) / 1000;
        break;
      }
    }
    out[r] = age;
  }
}

function printAges(pr: Prints, dec: Float64Array, last: Int32Array, out: Float64Array): void {
  for (let r = 0; r < dec.length; r++) {
    const T = dec[r] as number;
    let age = NaN;
    for (let i = last[r] as number; i >= 0; i--) {
      if ((pr.avail[i] as number) <= T) {
        age = (T - (pr.ev[i] as number)) / 1000;
        break;
      }
    }
    out[r] = age;
  }
}

/**
 * Computes one symbol's source columns from its inputs, into the arrays of `reuse` where they have
 * the axis' length (an earlier symbol's columns, already written: the worker path recycles them, so
 * that at most two symbols' columns exist at once).
 */
export function computeSymbol(i: SymbolInputs, reuse?: Float64Array[]): SymbolResult {
  const { ax, dec, cfg, perp, spot, mark, btc, funding, btcFunding, oi } = i;
  const m = ax.n;
  const latUs = cfg.decision_latency_ms * 1000;
  const barMaxAge = latUs + cfg.bar_max_age_bars * i.tfUs;
  const oiMaxAge = cfg.open_interest_max_age_ms * 1000;
  const featIndex = new Map(FEATURES.map((f, k) => [f.name, k]));
  const cols = featureSourceColumns();
  const F0 = 1 + AGE_COLUMNS.length;
  const timings = { windows: 0, prints: 0, derived: 0 };
  let t = performance.now();
  const out = cols.map((_, k) => {
    const a = reuse?.[k];
    return (a && a.length === m ? a : new Float64Array(m)).fill(NaN);
  });
  const col = (name: string): Float64Array => out[cols.indexOf(name)] as Float64Array;
  out[0]!.set(dec);
  const fundMaxAge = (i.hours + cfg.funding_grace_hours) * 3_600_000_000;
  const barEmit: Emit = (name, v, u) => {
    const k = featIndex.get(name);
    if (k === undefined) throw new Error(`feature ${name} is not in the catalog`);
    selectBars(v, u, ax, dec, barMaxAge, out[F0 + k] as Float64Array);
  };
  priceFamily(perp, ax, barEmit);
  volumeFamily(perp, ax, barEmit);
  if (spot.count > 0) basisFamily(perp, spot, mark.count > 0 ? mark : null, ax, barEmit, 168);
  if (btc) crossFamily(perp, btc, ax, barEmit);
  if (i.perpFlow.count > 0) tradeFlowFamily(i.perpFlow, i.spotFlow, ax, barEmit);
  timings.windows = performance.now() - t;

  t = performance.now();
  const fLast = lastPrintIndex(funding, dec);
  const printEmit =
    (pr: Prints, last: Int32Array, maxAge: number): Emit =>
    (name, v, u) => {
      const k = featIndex.get(name);
      if (k === undefined) throw new Error(`feature ${name} is not in the catalog`);
      selectPrints(v, u, pr, dec, last, () => maxAge, out[F0 + k] as Float64Array);
    };
  fundingFamily(funding, printRuns(funding, { intervalHours: i.hours }), printEmit(funding, fLast, fundMaxAge));
  const oLast = lastPrintIndex(oi, dec);
  openInterestFamily(oi, printRuns(oi, { maxGapUs: cfg.open_interest_max_gap_ms * 1000 }), printEmit(oi, oLast, oiMaxAge));
  // BTC's own last settled funding at each decision time, for funding_diff_btc.
  const btcRate = new Float64Array(m).fill(NaN);
  const bLast = lastPrintIndex(btcFunding, dec);
  selectPrints(btcFunding.value, btcFunding.avail, btcFunding, dec, bLast, () => (i.btcHours + cfg.funding_grace_hours) * 3_600_000_000, btcRate);
  timings.prints = performance.now() - t;

  // Ages and staleness per input.
  barAges(perp, ax, dec, col('perp_bars_age_ms'));
  if (spot.count > 0) barAges(spot, ax, dec, col('spot_bars_age_ms'));
  if (btc) barAges(btc, ax, dec, col('btc_bars_age_ms'));
  printAges(funding, dec, fLast, col('funding_age_ms'));
  printAges(oi, dec, oLast, col('open_interest_age_ms'));
  const stale: Record<string, number> = Object.fromEntries(INPUTS.map((x) => [x, 0]));
  const missing: Record<string, number> = Object.fromEntries(INPUTS.map((x) => [x, 0]));
  const maxAgeMs: Record<string, number> = { perp_bars: barMaxAge / 1000, spot_bars: barMaxAge / 1000, btc_bars: barMaxAge / 1000, funding: fundMaxAge / 1000, open_interest: oiMaxAge / 1000 };
  for (const input of INPUTS) {
    const a = col(`${input}_age_ms`);
    for (let r = i.r0; r < i.r1; r++) {
      const x = a[r] as number;
      if (Number.isNaN(x)) missing[input] = (missing[input] ?? 0) + 1;
      else if (x > (maxAgeMs[input] as number)) stale[input] = (stale[input] ?? 0) + 1;
    }
  }

  t = performance.now();
  derived({ col, m, dec, hours: i.hours, tfUs: i.tfUs, cfg, btcRate });
  timings.derived = performance.now() - t;
  return { out, stale, missing, timings };
}

interface DerivedInput {
  col: (name: string) => Float64Array;
  m: number;
  dec: Float64Array;
  hours: number;
  tfUs: number;
  cfg: FeaturesConfig;
  btcRate: Float64Array;
}

/** Features combining inputs at the decision time (regimes, carry, settlement, stress, cascade). */
function derived(d: DerivedInput): void {
  const { col, m, cfg } = d;
  const rvRatio = col('rv_ratio_24_168');
  const ma24 = col('dist_ma_24');
  const ma168 = col('dist_ma_168');
  const bm = col('basis_mean_24');
  const fr = col('funding_rate');
  const gap = col('funding_basis_gap');
  const vel = col('funding_basis_gap_vel_8');
  const volRegime = col('vol_regime');
  const trendRegime = col('trend_regime');
  const fDiff = col('funding_diff_btc');
  const toNextH = col('settle_time_to_next_h');
  const inWindow = col('settle_in_window');
  const rv24 = col('rv_24');
  const hl = col('hl_range');
  const stress = col('liquidity_stress');
  const roc24 = col('roc_24');
  const oi24 = col('oi_chg_24');
  const divergence = col('price_oi_divergence');
  const lr1 = col('logret_1');
  const vr24 = col('vol_ratio_24');
  const oi1 = col('oi_chg_1');
  const cascade = col('liq_cascade');
  const settleMs = d.hours * 3_600_000;
  const windowMs = Math.max(cfg.settle_window_ms, d.tfUs / 1000);
  for (let r = 0; r < m; r++) {
    const x = rvRatio[r] as number;
    volRegime[r] = Number.isNaN(x) ? NaN : x < cfg.vol_regime_low ? -1 : x > cfg.vol_regime_high ? 1 : 0;
    const a = ma24[r] as number;
    const b = ma168[r] as number;
    // (1 + dist_ma_168) / (1 + dist_ma_24) = sma_24 / sma_168: above 1 is an uptrend
    trendRegime[r] = Number.isNaN(a) || Number.isNaN(b) ? NaN : (1 + b) / (1 + a) > 1 ? 1 : -1;
    // basis and funding in one unit: funding restated per 8 h, the premium convention it tracks
    gap[r] = (bm[r] as number) - (fr[r] as number) * (8 / d.hours);
    fDiff[r] = (fr[r] as number) - (d.btcRate[r] as number);
    // Settlements fall on multiples of the interval from 00:00 UTC; exactly at a settlement the next
    // one is a full interval away.
    const ms = (d.dec[r] as number) / 1000;
    const toNext = settleMs - (((ms % settleMs) + settleMs) % settleMs);
    toNextH[r] = toNext / 3_600_000;
    inWindow[r] = toNext <= windowMs ? 1 : 0;
    const rv = rv24[r] as number;
    stress[r] = rv > 0 ? (hl[r] as number) / rv : NaN;
    const roc = roc24[r] as number;
    const oc = oi24[r] as number;
    divergence[r] = Number.isNaN(roc) || Number.isNaN(oc) ? NaN : Math.sign(roc) !== 0 && Math.sign(oc) !== 0 && Math.sign(roc) !== Math.sign(oc) ? 1 : 0;
    const lr = lr1[r] as number;
    const vr = vr24[r] as number;
    const o1 = oi1[r] as number;
    if (Number.isNaN(lr) || Number.isNaN(rv) || Number.isNaN(vr)) cascade[r] = NaN;
    else {
      const known = (rv > 0 && Math.abs(lr) / rv > cfg.cascade_z ? 1 : 0) + (vr > cfg.cascade_volume ? 1 : 0);
      // without open interest the answer is known only when it cannot depend on it
      if (!Number.isNaN(o1)) cascade[r] = known + (o1 < -cfg.cascade_oi_drop ? 1 : 0) >= 2 ? 1 : 0;
      else cascade[r] = known === 2 ? 1 : known === 0 ? 0 : NaN;
    }
  }
  for (let r = 0; r < m; r++) vel[r] = r >= 8 ? (gap[r] as number) - (gap[r - 8] as number) : NaN;
}
