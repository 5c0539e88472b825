import { REGIME_CELLS, REGIME_FEATURES, type RegimeDimension, type ResearchConfig, type ResearchTarget } from '../../domain/research.js';
import { bucketOf, bucketStats, quantileEdges, type BucketStat } from '../../stats/buckets.js';
import { icStability, icTrend, signStability } from '../../stats/decay.js';
import { crossSectionalIC, icSummary } from '../../stats/ic.js';
import { walkForwardResiduals } from '../../stats/incremental.js';
import { usageError } from '../../domain/errors.js';
import { foldOfAsset } from './fold-assets.js';
import type { Panel } from './panel.js';
import { ecdf, pooledIcTest, quantileOf, sliceSpearman, sortedFinite, subsetSeries, withKeys, type PairSeries, type PooledIc } from './pooled.js';

export interface CellResult {
  feature: string;
  horizon: string;
  /** the label: perp (forward perp return) or relative (perp minus spot); set by the run for its relative cells */
  target: ResearchTarget;
  horizon_ms: number;
  regime_dim: string;
  regime_cell: string;
  status: 'ok' | 'insufficient';
  n: number;
  assets: number;
  effective_n: number | null;
  ic: number | null;
  ic_panel: number | null;
  ic_by_asset: Record<string, number | null>;
  t_naive: number | null;
  t_nw: number | null;
  se_nw: number | null;
  nw_lags: number;
  p_value: number | null;
  p_holm: number | null;
  p_bh: number | null;
  hit_rate: number | null;
  ic_periods: number;
  ic_ir: number | null;
  ic_rolling_std: number | null;
  ic_trend: number | null;
  sign_stability: number | null;
  sign_pairs: number;
  turnover: number | null;
  buckets: BucketStat[] | null;
  monotonicity: number | null;
  monotonicity_p: number | null;
  spread: number | null;
  spread_ci_low: number | null;
  spread_ci_high: number | null;
  partial_ic: number | null;
  partial_t_nw: number | null;
  partial_p: number | null;
  r2_lift: number | null;
  ic_ex_stress: number | null;
  p_ex_stress: number | null;
  /** cross-sectional Spearman IC per decision time (alphalens), mean over times; weak with 3-5 assets */
  cs_ic: number | null;
  /** Newey-West t of the mean cross-sectional IC */
  cs_t_nw: number | null;
  /** decision times with a cross-sectional IC (at least 3 assets) */
  cs_times: number;
  viable: boolean | null;
}

/** Per asset and regime cell: which rows belong to it (1) or not (0). */
export type RegimeMasks = Map<string, Map<string, Uint8Array>>;

const cellKey = (dim: string, cell: string): string => `${dim}=${cell}`;

/**
 * Regime membership of every evaluated row. Cells read regime features at the decision time;
 * the liquidity and activity thresholds are the training segment's quantiles of the same asset.
 */
export function regimeMasks(panel: Panel, train: Map<string, Map<string, Float64Array>>, dims: readonly RegimeDimension[], cfg: ResearchConfig): RegimeMasks {
  const out: RegimeMasks = new Map();
  for (const a of panel.assets) {
    const m = new Map<string, Uint8Array>();
    const n = a.time.length;
    for (const dim of dims) {
      const v = a.features.get(REGIME_FEATURES[dim]);
      const cells = REGIME_CELLS[dim];
      const masks = cells.map(() => new Uint8Array(n));
      const trainV = train.get(a.symbol)?.get(REGIME_FEATURES[dim]);
      const thr = dim === 'liquidity' ? quantileOf(trainV, cfg.liquidity_stress_quantile) : dim === 'activity' ? quantileOf(trainV, 0.5) : Number.NaN;
      for (let i = 0; i < n && v; i++) {
        const x = v[i]!;
        if (!Number.isFinite(x)) continue;
        let c = -1;
        if (dim === 'vol') c = x < 0 ? 0 : x > 0 ? 2 : 1;
        else if (dim === 'trend') c = x > 0 ? 0 : 1;
        else if (dim === 'funding_sign') c = x >= 0 ? 0 : 1;
        else if (dim === 'settlement') c = x > 0 ? 1 : 0;
        else if (Number.isFinite(thr)) c = x > thr ? 1 : 0;
        if (c >= 0) masks[c]![i] = 1;
      }
      cells.forEach((cell, j) => m.set(cellKey(dim, cell), masks[j]!));
    }
    out.set(a.symbol, m);
  }
  return out;
}

export function periodKeyOfDay(day: number, period: Exclude<ResearchConfig['ic_period'], 'fold'>): number {
  if (period === 'day') return day;
  if (period === 'week') return Math.floor((day + 3) / 7); // weeks starting Monday (1970-01-01 was a Thursday)
  const d = new Date(day * 86_400_000);
  return d.getUTCFullYear() * 12 + d.getUTCMonth();
}

/**
 * The period key of an asset's fold (ic_period fold: the asset of a folds-test panel, whose rows are
 * all one fold's); an error for an asset of one segment (runResearch refuses that config first).
 */
export function foldPeriodKey(symbol: string): number {
  const f = foldOfAsset(symbol);
  if (f === null) throw usageError(`ic_period fold needs the folds of a walk-forward split (--segment folds-test); ${symbol} is not a fold's asset`);
  return f;
}

/** Period key of each time (times in ms) of an asset; one Date per distinct day, not per row. */
function periodKeys(time: Float64Array, period: ResearchConfig['ic_period'], symbol: string): Float64Array {
  const out = new Float64Array(time.length);
  if (period === 'fold') return out.fill(foldPeriodKey(symbol));
  let lastDay = Number.NaN;
  let lastKey = Number.NaN;
  for (let i = 0; i < time.length; i++) {
    const day = Math.floor(time[i]! / 86_400_000);
    if (day !== lastDay) {
      lastDay = day;
      lastKey = periodKeyOfDay(day, period);
    }
    out[i] = lastKey;
  }
  return out;
}

/** Per-period pooled IC (mean over assets of the within-period Spearman IC), dense from first to last period. */
export function periodIcs(input: readonly PairSeries[], cfg: ResearchConfig): Array<number | null> {
  const acc = new Map<number, [number, number]>();
  for (const s of withKeys(input)) {
    const keys = periodKeys(s.time, cfg.ic_period, s.symbol);
    let start = 0;
    while (start < s.time.length) {
      const k = keys[start]!;
      let end = start;
      while (end < s.time.length && keys[end] === k) end++;
      if (end - start >= cfg.min_obs_per_period) {
        const r = sliceSpearman(s, start, end);
        if (Number.isFinite(r)) {
          const e = acc.get(k) ?? [0, 0];
          acc.set(k, [e[0] + r, e[1] + 1]);
        }
      }
      start = end;
    }
  }
  if (acc.size === 0) return [];
  const keys = [...acc.keys()];
  const lo = Math.min(...keys);
  const hi = Math.max(...keys);
  const out: Array<number | null> = [];
  for (let k = lo; k <= hi; k++) {
    const e = acc.get(k);
    out.push(e ? e[0] / e[1] : null);
  }
  return out;
}

export interface FeatureHorizonInput {
  panel: Panel;
  train: Map<string, Map<string, Float64Array>>;
  masks: RegimeMasks;
  dims: readonly RegimeDimension[];
  feature: string;
  horizon: string;
  horizon_ms: number;
  lags: number;
  cfg: ResearchConfig;
}

/** Pairs of one asset where feature, label (and the mask, if any) are present. */
function pairs(panel: Panel, feature: string, horizon: string, mask: (symbol: string) => Uint8Array | null, extra?: (symbol: string, i: number) => boolean): PairSeries[] {
  const out: PairSeries[] = [];
  for (const a of panel.assets) {
    const x = a.features.get(feature);
    const y = a.labels.get(horizon);
    if (!x || !y) continue;
    const m = mask(a.symbol);
    const keep = (i: number): boolean => Number.isFinite(x[i]!) && Number.isFinite(y[i]!) && (!m || m[i] === 1) && (!extra || extra(a.symbol, i));
    let count = 0;
    for (let i = 0; i < x.length; i++) if (keep(i)) count++;
    const s = { symbol: a.symbol, time: new Float64Array(count), x: new Float64Array(count), y: new Float64Array(count), row: new Int32Array(count) };
    let k = 0;
    for (let i = 0; i < x.length; i++) {
      if (!keep(i)) continue;
      s.time[k] = a.time[i]!;
      s.x[k] = x[i]!;
      s.y[k] = y[i]!;
      s.row[k] = i;
      k++;
    }
    out.push(s);
  }
  return out;
}

export function emptyCell(o: FeatureHorizonInput, dim: string, cell: string, n: number): CellResult {
  return {
    feature: o.feature, horizon: o.horizon, target: 'perp', horizon_ms: o.horizon_ms, regime_dim: dim, regime_cell: cell, status: 'insufficient', n, assets: 0,
    effective_n: null, ic: null, ic_panel: null, ic_by_asset: {}, t_naive: null, t_nw: null, se_nw: null, nw_lags: o.lags, p_value: null,
    p_holm: null, p_bh: null, hit_rate: null, ic_periods: 0, ic_ir: null, ic_rolling_std: null, ic_trend: null, sign_stability: null,
    sign_pairs: 0, turnover: null, buckets: null, monotonicity: null, monotonicity_p: null, spread: null, spread_ci_low: null,
    spread_ci_high: null, partial_ic: null, partial_t_nw: null, partial_p: null, r2_lift: null, ic_ex_stress: null, p_ex_stress: null,
    cs_ic: null, cs_t_nw: null, cs_times: 0, viable: null,
  };
}

function hitRate(series: readonly PairSeries[], train: FeatureHorizonInput['train'], feature: string, direction: number): number | null {
  let hits = 0;
  let counted = 0;
  for (const s of series) {
    const med = quantileOf(train.get(s.symbol)?.get(feature), 0.5);
    if (!Number.isFinite(med)) continue;
    for (let i = 0; i < s.x.length; i++) {
      const a = Math.sign(s.x[i]! - med) * direction;
      const b = Math.sign(s.y[i]!);
      if (a === 0 || b === 0) continue;
      counted++;
      if (a === b) hits++;
    }
  }
  return counted ? hits / counted : null;
}

/** Statistics of every regime cell of one (feature, horizon); the 'all' cell also gets buckets, decay extras and incrementality. */
export function computeFeatureHorizon(o: FeatureHorizonInput): CellResult[] {
  const out: CellResult[] = [];
  const cells: Array<[string, string]> = [['all', 'all'], ...o.dims.flatMap((d) => REGIME_CELLS[d].map((c): [string, string] => [d, c]))];
  // Every pair of the (feature, horizon), keyed once; each regime cell is a subset of it.
  const base = withKeys(pairs(o.panel, o.feature, o.horizon, () => null));
  for (const [dim, cell] of cells) {
    const series =
      dim === 'all'
        ? base
        : base.map((s) => {
            const m = o.masks.get(s.symbol)?.get(cellKey(dim, cell));
            const rows = s.row!;
            const keep: number[] = [];
            for (let j = 0; j < rows.length; j++) if (m && m[rows[j]!] === 1) keep.push(j);
            return subsetSeries(s, Int32Array.from(keep));
          });
    const n = series.reduce((s, x) => s + x.x.length, 0);
    if (n < o.cfg.min_obs_per_cell) {
      out.push(emptyCell(o, dim, cell, n));
      continue;
    }
    const p: PooledIc = pooledIcTest(series, o.lags);
    const per = periodIcs(series, o.cfg);
    const stab = icStability(per);
    const sign = signStability(per);
    const r: CellResult = {
      ...emptyCell(o, dim, cell, n),
      status: 'ok',
      assets: p.assets,
      effective_n: p.effective_n,
      ic: p.ic,
      ic_panel: p.ic_panel,
      ic_by_asset: p.ic_by_asset,
      t_naive: p.t_naive,
      t_nw: p.t_nw,
      se_nw: p.se_nw,
      p_value: p.p_value,
      hit_rate: hitRate(series, o.train, o.feature, p.ic !== null && p.ic < 0 ? -1 : 1),
      ic_periods: stab.periods,
      // A ratio over one or two periods is noise dressed as stability: three periods at least.
      ic_ir: stab.periods >= 3 ? stab.ir : null,
      ic_rolling_std: stab.periods >= 3 ? stab.std : null,
      ic_trend: icTrend(per),
      sign_stability: sign.share,
      sign_pairs: sign.pairs,
    };
    if (dim === 'all') allCellExtras(o, series, r);
    if (r.ic !== null && r.ic_ir !== null && r.ic_trend !== null) {
      const d = Math.sign(r.ic);
      const v = o.cfg.viability;
      r.viable = Math.abs(r.ic) > v.ic && d * r.ic_ir > v.ic_ir && d * r.ic_trend > v.ic_trend;
    }
    out.push(r);
  }
  return out;
}

/** Buckets, turnover, incrementality and the rare-stress check of the unconditional cell. */
function allCellExtras(o: FeatureHorizonInput, series: PairSeries[], r: CellResult): void {
  const k = o.cfg.buckets;
  const bucketSeries = series.map((s) => {
    const edges = quantileEdges(o.train.get(s.symbol)?.get(o.feature) ?? [], k);
    const b = Float64Array.from(s.x, (v) => (edges.length === k - 1 ? bucketOf(v, edges) : Number.NaN));
    return { feature: b, forward: s.y };
  });
  const inner = Array.from({ length: k - 1 }, (_, i) => i + 0.5);
  const b = bucketStats(bucketSeries, inner, o.lags, o.cfg.confidence);
  Object.assign(r, {
    buckets: b.buckets,
    monotonicity: b.monotonicity,
    monotonicity_p: b.monotonicity_p,
    spread: b.spread,
    spread_ci_low: b.spread_ci_low,
    spread_ci_high: b.spread_ci_high,
  });
  // Turnover: mean absolute change of the training-quantile position between consecutive decisions.
  let tSum = 0;
  let tN = 0;
  for (const a of o.panel.assets) {
    const x = a.features.get(o.feature);
    const tr = sortedFinite(o.train.get(a.symbol)?.get(o.feature));
    if (!x || tr.length === 0) continue;
    let prev = Number.NaN;
    for (let i = 0; i < x.length; i++) {
      const q = Number.isFinite(x[i]!) ? ecdf(tr, x[i]!) : Number.NaN;
      if (Number.isFinite(q) && Number.isFinite(prev)) {
        tSum += Math.abs(q - prev);
        tN++;
      }
      prev = q;
    }
  }
  r.turnover = tN ? tSum / tN : null;
  incrementality(o, r);
  // Rare-stress dependence: drop the decisions whose stress measure is above its training quantile.
  const thr = new Map<string, number>();
  for (const a of o.panel.assets) thr.set(a.symbol, quantileOf(o.train.get(a.symbol)?.get(o.cfg.stress_feature), 1 - o.cfg.stress_drop_share));
  const stressOf = new Map(o.panel.assets.map((a) => [a.symbol, a.features.get(o.cfg.stress_feature)]));
  const calm = pairs(o.panel, o.feature, o.horizon, () => null, (sym, i) => {
    const v = stressOf.get(sym)?.[i];
    const t = thr.get(sym) ?? Number.NaN;
    return v === undefined || !Number.isFinite(v) || !Number.isFinite(t) || v <= t;
  });
  const ex = pooledIcTest(calm, o.lags);
  r.ic_ex_stress = ex.ic;
  r.p_ex_stress = ex.p_value;
  // Cross-sectional IC per decision time (existing alphalens definition in stats/ic.ts): with
  // 3-5 assets each is a correlation of 3-5 points, so it is reported, never judged on.
  const time: number[] = [];
  const factor: number[] = [];
  const forward: number[] = [];
  for (const s of series) {
    for (let i = 0; i < s.x.length; i++) {
      time.push(s.time[i]!);
      factor.push(s.x[i]!);
      forward.push(s.y[i]!);
    }
  }
  const cs = crossSectionalIC({ time, factor, forward }, 'spearman', 3);
  const sum = icSummary(cs.ic, o.lags + 1);
  r.cs_ic = sum.ic_mean;
  r.cs_t_nw = sum.newey_west_t_stat;
  r.cs_times = sum.n;
}

/** Incrementality: residualise on the baseline stack within walk-forward folds of the evaluated rows. */
export function incrementality(o: FeatureHorizonInput, r: CellResult, wf: typeof walkForwardResiduals = walkForwardResiduals): void {
  const baseline = o.cfg.baseline_features.filter((f) => f !== o.feature);
  const resid: PairSeries[] = [];
  const lifts: number[] = [];
  for (const a of o.panel.assets) {
    const x = a.features.get(o.feature);
    const y = a.labels.get(o.horizon);
    const cols = baseline.map((f) => a.features.get(f));
    if (!x || !y || cols.some((c) => !c)) continue;
    const w = wf({ time: a.time, feature: x, label: y, baseline: cols as Float64Array[] }, o.cfg.incremental_folds, o.horizon_ms);
    const idx: number[] = [];
    w.fold.forEach((f, i) => {
      if (f >= 0) idx.push(i);
    });
    resid.push({
      symbol: a.symbol,
      time: Float64Array.from(idx, (i) => a.time[i]!),
      x: Float64Array.from(idx, (i) => w.feature_resid[i]!),
      y: Float64Array.from(idx, (i) => w.label_resid[i]!),
    });
    if (w.r2_lift !== null) lifts.push(w.r2_lift);
  }
  const pr = pooledIcTest(resid, o.lags);
  r.partial_ic = pr.ic;
  r.partial_t_nw = pr.t_nw;
  r.partial_p = pr.p_value;
  r.r2_lift = lifts.length ? lifts.reduce((s, v) => s + v, 0) / lifts.length : null;
}
