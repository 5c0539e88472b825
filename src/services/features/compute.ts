import type { ServiceContext } from '../../domain/context.js';
import { AGE_COLUMNS, FEATURES, type FeatureInput, type FeaturesConfig } from '../../domain/features.js';
import { basisFamily, crossFamily, fundingFamily, openInterestFamily, priceFamily, printRuns, tradeFlowFamily, volumeFamily, type Emit } from './families.js';
import { execQuery } from '../../store/queries.js';
import { runStep } from '../../store/steps.js';
import { ColumnSource } from '../../store/columns.js';
import { barRange, loadBars, loadFlow, loadPrints, type Axis, type BarSeries, type Prints } from './panel.js';

/**
 * The feature engine: for each symbol, its staged inputs (temp tables raw_perp, raw_spot, raw_mark,
 * raw_funding, raw_oi) are placed on the symbol's bar axis, every family's windows are computed in
 * event-time order, and each feature is selected at each decision time T from the most recent
 * complete window all of whose rows have available_time <= T, if that window is younger than the
 * input's maximum age (else NULL). Each symbol's rows (decision_us, the age columns, the catalog's
 * features; NaN read as NULL) are handed to a sink as a ColumnSource, one symbol at a time and one UTC
 * calendar month per hand-over (the features dataset's partition: the store writes each as one file), so
 * that only one symbol's columns are held at once; plus the stale/missing counts per input.
 */

/**
 * Receives a run of one symbol's computed rows, at most one UTC calendar month of decisions (span:
 * its first decision time and one past its last, µs); the source is valid until the promise settles.
 */
export type FeatureSink = (symbol: string, src: ColumnSource, rows: number, span: { from: number; to: number }) => Promise<void>;

/** The column source's name and columns (decision_us, then the age columns, then the features). */
export const FEATURE_SOURCE = 'perpkit_feature_rows';
export const featureSourceColumns = (): string[] => ['decision_us', ...AGE_COLUMNS, ...FEATURES.map((f) => f.name)];

/**
 * The default sink: collects every symbol's rows into temp table feat_out (symbol, decision_time,
 * ages as BIGINT, features), for the leakage harness and tests.
 */
export function collectFeatOut(ctx: Pick<ServiceContext, 'db'>): FeatureSink {
  let first = true;
  return async (symbol, src) => {
    await execQuery(ctx.db, first ? 'features/feat_out_create' : 'features/feat_out_insert', { symbol }, { idents: { src: src.name }, lists: { feat_age_cols: [...AGE_COLUMNS] } });
    first = false;
  };
}

export interface ComputePlan {
  symbols: string[];
  /** bar length, µs */
  tfUs: number;
  cfg: FeaturesConfig;
  /** settlement interval per symbol, hours */
  fundingHours: Map<string, number>;
  /** decision times in [from, to), µs */
  from: number | undefined;
  to: number | undefined;
}

export interface ComputeResult {
  rows: number;
  stale: Record<string, number>;
  missing: Record<string, number>;
  /** trades that arrived after their bar's taker-flow snapshot (left out of it) */
  late_trades: number;
}

const INPUTS: Array<Exclude<FeatureInput, 'grid' | 'trades'>> = ['perp_bars', 'funding', 'open_interest', 'spot_bars', 'btc_bars'];

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
function barAges(s: BarSeries, ax: Axis, dec: Float64Array, out: Float64Array): void {
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

export async function computeFeatures(ctx: ServiceContext, p: ComputePlan, timings: Record<string, number>, sink: FeatureSink = collectFeatOut(ctx)): Promise<ComputeResult> {
  const cfg = p.cfg;
  const latUs = cfg.decision_latency_ms * 1000;
  const barMaxAge = latUs + cfg.bar_max_age_bars * p.tfUs;
  const oiMaxAge = cfg.open_interest_max_age_ms * 1000;
  const featNames = FEATURES.map((f) => f.name);
  const featIndex = new Map(featNames.map((n, i) => [n, i]));
  const cols = featureSourceColumns();
  const src = ColumnSource.open(ctx.db, FEATURE_SOURCE, cols);
  const F0 = 1 + AGE_COLUMNS.length;
  const stale: Record<string, number> = Object.fromEntries(INPUTS.map((i) => [i, 0]));
  const missing: Record<string, number> = Object.fromEntries(INPUTS.map((i) => [i, 0]));
  const clock = (): number => performance.now();
  const add = (k: string, t: number): void => {
    timings[k] = (timings[k] ?? 0) + (clock() - t);
  };
  const btcRange = await barRange(ctx.db, 'raw_perp', cfg.btc_symbol);
  const graceUs = cfg.trade_flow_grace_ms * 1000;
  await runStep(ctx, 'features/trade_flow', { tf: BigInt(p.tfUs), grace: BigInt(graceUs) });
  let lateTrades = 0;
  let rows = 0;
  for (const [si, sym] of p.symbols.entries()) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    ctx.log.progress(`features: ${sym} (${si + 1}/${p.symbols.length})`);
    let t = clock();
    const range = await barRange(ctx.db, 'raw_perp', sym);
    if (!range) continue;
    const n = Math.round((range.t1 - range.t0) / p.tfUs) + 1;
    const ax: Axis = { t0: range.t0, tf: p.tfUs, n, abs0: Math.round(range.t0 / p.tfUs) };
    // Decision grid: every bar close of the axis + the decision latency. All of it is computed (a
    // feature over earlier decisions, such as a velocity, then has them); rows inside [from, to) are written.
    const dec = new Float64Array(n);
    let r0 = n;
    let r1 = 0;
    for (let k = 0; k < n; k++) {
      const T = ax.t0 + k * ax.tf + latUs;
      dec[k] = T;
      if ((p.from === undefined || T >= p.from) && (p.to === undefined || T < p.to)) {
        r0 = Math.min(r0, k);
        r1 = k + 1;
      }
    }
    if (r1 <= r0) continue;
    const m = n;
    const perp = await loadBars(ctx.db, 'raw_perp', sym, ax);
    const spot = await loadBars(ctx.db, 'raw_spot', sym, ax);
    const mark = await loadBars(ctx.db, 'raw_mark', sym, ax);
    const btc = btcRange ? (sym === cfg.btc_symbol ? perp : await loadBars(ctx.db, 'raw_perp', cfg.btc_symbol, ax)) : null;
    const funding = await loadPrints(ctx.db, 'raw_funding', 'funding_rate', sym, true);
    const btcFunding = sym === cfg.btc_symbol ? funding : await loadPrints(ctx.db, 'raw_funding', 'funding_rate', cfg.btc_symbol, true);
    const oi = await loadPrints(ctx.db, 'raw_oi', 'open_interest', sym, false);
    const perpFlow = await loadFlow(ctx.db, sym, 'perp', ax, graceUs);
    const spotFlow = await loadFlow(ctx.db, sym, 'spot', ax, graceUs);
    lateTrades += perpFlow.late + spotFlow.late;
    add('load', t);

    t = clock();
    const out = cols.map(() => new Float64Array(m).fill(NaN));
    const col = (name: string): Float64Array => out[cols.indexOf(name)] as Float64Array;
    out[0]!.set(dec);
    const hours = p.fundingHours.get(sym) ?? cfg.default_funding_interval_hours;
    const fundMaxAge = (hours + cfg.funding_grace_hours) * 3_600_000_000;
    const barEmit: Emit = (name, v, u) => {
      const i = featIndex.get(name);
      if (i === undefined) throw new Error(`feature ${name} is not in the catalog`);
      selectBars(v, u, ax, dec, barMaxAge, out[F0 + i] as Float64Array);
    };
    priceFamily(perp, ax, barEmit);
    volumeFamily(perp, ax, barEmit);
    if (spot.count > 0) basisFamily(perp, spot, mark.count > 0 ? mark : null, ax, barEmit, 168);
    if (btc) crossFamily(perp, btc, ax, barEmit);
    if (perpFlow.count > 0) tradeFlowFamily(perpFlow, spotFlow, ax, barEmit);
    add('windows', t);

    t = clock();
    const fLast = lastPrintIndex(funding, dec);
    const printEmit =
      (pr: Prints, last: Int32Array, maxAge: number): Emit =>
      (name, v, u) => {
        const i = featIndex.get(name);
        if (i === undefined) throw new Error(`feature ${name} is not in the catalog`);
        selectPrints(v, u, pr, dec, last, () => maxAge, out[F0 + i] as Float64Array);
      };
    fundingFamily(funding, printRuns(funding, { intervalHours: hours }), printEmit(funding, fLast, fundMaxAge));
    const oLast = lastPrintIndex(oi, dec);
    openInterestFamily(oi, printRuns(oi, { maxGapUs: cfg.open_interest_max_gap_ms * 1000 }), printEmit(oi, oLast, oiMaxAge));
    // BTC's own last settled funding at each decision time, for funding_diff_btc.
    const btcRate = new Float64Array(m).fill(NaN);
    const bLast = lastPrintIndex(btcFunding, dec);
    const btcHours = p.fundingHours.get(cfg.btc_symbol) ?? cfg.default_funding_interval_hours;
    selectPrints(btcFunding.value, btcFunding.avail, btcFunding, dec, bLast, () => (btcHours + cfg.funding_grace_hours) * 3_600_000_000, btcRate);
    add('prints', t);

    // Ages and staleness per input.
    barAges(perp, ax, dec, col('perp_bars_age_ms'));
    if (spot.count > 0) barAges(spot, ax, dec, col('spot_bars_age_ms'));
    if (btc) barAges(btc, ax, dec, col('btc_bars_age_ms'));
    printAges(funding, dec, fLast, col('funding_age_ms'));
    printAges(oi, dec, oLast, col('open_interest_age_ms'));
    const maxAgeMs: Record<string, number> = { perp_bars: barMaxAge / 1000, spot_bars: barMaxAge / 1000, btc_bars: barMaxAge / 1000, funding: fundMaxAge / 1000, open_interest: oiMaxAge / 1000 };
    for (const input of INPUTS) {
      const a = col(`${input}_age_ms`);
      for (let r = r0; r < r1; r++) {
        const x = a[r] as number;
        if (Number.isNaN(x)) missing[input] = (missing[input] ?? 0) + 1;
        else if (x > (maxAgeMs[input] as number)) stale[input] = (stale[input] ?? 0) + 1;
      }
    }

    t = clock();
    derived({ col, m, dec, hours, tfUs: p.tfUs, cfg, btcRate });
    add('derived', t);
    t = clock();
    // One calendar month (UTC, of the decision time) per hand-over: the features dataset's time
    // partition, so that the store writes each batch as one file.
    try {
      for (const [a, b] of monthRanges(dec, r0, r1)) {
        src.set(out, a, b - a);
        await sink(sym, src, b - a, { from: dec[a] as number, to: (dec[b - 1] as number) + 1 });
      }
    } finally {
      src.clear();
    }
    add('write_rows', t);
    rows += r1 - r0;
  }
  ctx.log.progressDone();
  await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t: 'flow_buckets' } });
  return { rows, stale, missing, late_trades: lateTrades };
}

/** Rows [r0, r1) of ascending decision times (µs) cut into runs of one UTC calendar month each. */
export function monthRanges(dec: Float64Array, r0: number, r1: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let a = r0;
  while (a < r1) {
    const d = new Date(Math.floor((dec[a] as number) / 1000));
    const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) * 1000;
    let b = a + 1;
    while (b < r1 && (dec[b] as number) < next) b++;
    out.push([a, b]);
    a = b;
  }
  return out;
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
