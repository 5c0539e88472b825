import { REGIME_FEATURES } from '../../domain/research.js';
import { bucketOf, bucketSummary } from '../../stats/buckets.js';
import { icStability, icTrend, signStability } from '../../stats/decay.js';
import { percentileSorted } from '../../stats/descriptive.js';
import { twoSidedP } from '../../stats/multiple-testing.js';
import { normQuantile } from '../../stats/normal.js';
import { walkForwardResidualsFast } from '../../stats/research-incremental.js';
import { groupPearsonOf, groupSumsOf, rankByAsset, sideRanksFor, type GroupSet, type GroupSums } from '../../stats/research-fused.js';
import { hacSum, longRunVarianceFast } from '../../stats/research-kernels.js';
import type { CellResult, FeatureHorizonInput } from './cells.js';
import { emptyCell } from './cells.js';
import { column, heapColumn, sideRanks, sortBuffers, type GridIndex } from './grid-index.js';
import { crossSectional } from './grid-cross.js';
import { quantileOf, sortedFinite } from './pooled.js';

/**
 * The research grid over typed arrays: the panel's rows are laid out once (assets in panel order,
 * each in time order), every column is sorted once, and each (feature, horizon) ranks its valid
 * rows within every regime cell, asset and period in two passes (feature side, label side). The
 * statistics are the ones of cells.computeFeatureHorizon (the plain reference, kept for tests),
 * with the same sums in the same order; only the Newey-West sums over long lags use the O(n + L)
 * box-kernel form (stats/research-kernels).
 */

interface PooledOut {
  n: number;
  assets: number;
  ic: number | null;
  ic_by_asset: Record<string, number | null>;
  t_naive: number | null;
  t_nw: number | null;
  se_nw: number | null;
  p_value: number | null;
  effective_n: number | null;
  /** per asset x cell: hits of a positive / negative direction */
  pos: Float64Array | null;
  neg: Float64Array | null;
}

/**
 * pooled.pooledIcTest of every cell of a pooled (asset x cell) grouping k of a set, from its sums:
 * per asset the mean contribution u = z(rank x) z(rank y), and the Newey-West t of the series of
 * the mean contribution per decision time across assets.
 */
function pooledOf(ix: GridIndex, set: GroupSet, s: GroupSums, k: number, lags: number): PooledOut[] {
  const { A } = ix;
  const C = set.cells[k]!;
  const G = set.G;
  const o0 = set.off[k]!;
  const pos = s.pos.subarray(o0, set.off[k + 1]!);
  const neg = s.neg.subarray(o0, set.off[k + 1]!);
  const out: PooledOut[] = [];
  for (let c = 0; c < C; c++) {
    const icBy: Record<string, number | null> = {};
    let n = 0;
    let icSum = 0;
    let icN = 0;
    for (let a = 0; a < A; a++) {
      const idx = o0 + a * C + c;
      const m = s.cnt[idx]!;
      n += m;
      if (m >= 3 && s.sxx[idx]! > 0 && s.syy[idx]! > 0) {
        const v = s.usum[idx]! / m;
        icBy[ix.symbols[a]!] = v;
        icSum += v;
        icN++;
      } else icBy[ix.symbols[a]!] = null;
    }
    const r: PooledOut = { n, assets: icN, ic: icN ? icSum / icN : null, ic_by_asset: icBy, t_naive: null, t_nw: null, se_nw: null, p_value: null, effective_n: null, pos, neg };
    const base = set.seriesOff[k]! + c * G;
    const T = cellSeries(ix, s, base);
    if (r.ic !== null && T >= 3) {
      const pooled = ix.scratch.series.subarray(0, T);
      const { gamma0, lrv } = longRunVarianceFast(pooled, lags, ix.heap);
      if (lrv > 0) {
        r.se_nw = Math.sqrt(lrv / T);
        r.t_nw = r.ic / r.se_nw;
        r.p_value = twoSidedP(r.t_nw);
        r.effective_n = Math.min(T, (T * gamma0) / lrv);
      }
      if (gamma0 > 0) r.t_naive = r.ic / Math.sqrt(gamma0 / T);
    }
    out.push(r);
  }
  return out;
}

/**
 * A pooled cell's series (the mean contribution per decision time with rows, in time order) into the
 * index's working array (in the heap: the kernel `series`); returns its length.
 */
function cellSeries(ix: GridIndex, s: GroupSums, base: number): number {
  const G = ix.times.length;
  const out = ix.scratch.series;
  const heap = ix.heap;
  if (heap && heap.owns(out) && heap.owns(s.tsum) && heap.owns(s.tcnt)) return heap.k.series(G, s.tsum.byteOffset + 8 * base, s.tcnt.byteOffset + 4 * base, out.byteOffset);
  let j = 0;
  for (let t = 0; t < G; t++) if (s.tcnt[base + t]! > 0) out[j++] = s.tsum[base + t]! / s.tcnt[base + t]!;
  return j;
}

/** Statistics of every regime cell of one (feature, horizon), as cells.computeFeatureHorizon. */
export function gridFeatureHorizon(ix: GridIndex, o: Omit<FeatureHorizonInput, 'panel' | 'train' | 'masks'>): CellResult[] {
  const { N, A, P, cfg } = ix;
  const fx = column(ix, `f:${o.feature}`, (a) => a.features.get(o.feature), false);
  const fy = column(ix, `y:${o.horizon}`, (a) => a.labels.get(o.horizon), true);
  const X = fx.values;
  const Y = fy.values;
  // the usable rows and the signs: working arrays of the grid, every entry rewritten (a fresh array
  // per (feature, horizon) costs its page faults; everything that keeps a mask copies it)
  const valid = ix.scratch.rows;
  // x - x is 0 for a finite x and NaN otherwise (NaN and the infinities): both finite without a branch
  for (let i = 0; i < N; i++) valid[i] = +(X[i]! - X[i]! + (Y[i]! - Y[i]!) === 0);
  // hit rate: sign agreement of (x - training median) and the return, per row (in the kernels' heap: the sums pass reads it there)
  const sign = ix.scratch.sign;
  for (let a = 0; a < A; a++) {
    const med = quantileOf(ix.train.get(ix.symbols[a]!)?.get(o.feature), 0.5, ix.heap);
    if (!Number.isFinite(med)) {
      sign.fill(0, ix.offsets[a]!, ix.offsets[a + 1]!);
      continue;
    }
    // Math.sign(x - med) * Math.sign(y) without branches (the signs are random: a branch per row
    // mispredicts half the time); 0 on rows not used
    for (let i = ix.offsets[a]!, e = ix.offsets[a + 1]!; i < e; i++) {
      const d = X[i]! - med;
      const y = Y[i]!;
      sign[i] = valid[i]! * (+(d > 0) - +(d < 0)) * (+(y > 0) - +(y < 0));
    }
  }
  // every grouping's rank sums (stats/research-fused): the feature's ranks are shared by its horizons
  // and the label's by the features with the same usable rows, then one pass in row order
  const set = ix.set;
  const s = groupSumsOf(set, sideRanks(ix, 'x', o.feature, fx, valid), sideRanks(ix, `y:${o.horizon}`, o.horizon, fy, valid), ix.tIdx, sign);
  const ex = pooledOf(ix, set, s, ix.calm, o.lags)[0]!;
  const out: CellResult[] = [];
  const input = { ...o, panel: ix.panel, train: ix.train, masks: new Map() } as FeatureHorizonInput;
  ix.dims.forEach((d) => {
    const C = d.cells.length;
    const pooled = pooledOf(ix, set, s, d.asset, o.lags);
    const offP = set.off[d.panel]!;
    const offQ = set.off[d.period]!;
    d.cells.forEach((cell, c) => {
      const p = pooled[c]!;
      if (p.n < cfg.min_obs_per_cell) {
        out.push(emptyCell(input, d.dim, cell, p.n));
        return;
      }
      // period ICs: mean over assets of the within-period IC, dense from the first to the last period
      const accS = new Float64Array(P);
      const accN = new Int32Array(P);
      for (let a = 0; a < A; a++) {
        for (let q = 0; q < P; q++) {
          const k = offQ + (a * P + q) * C + c;
          const m = s.cnt[k]!;
          if (m < cfg.min_obs_per_period || m < 3) continue;
          const r = groupPearsonOf(s, k);
          if (!Number.isFinite(r)) continue;
          accS[q] = accS[q]! + r;
          accN[q]!++;
        }
      }
      let lo = -1;
      let hi = -1;
      for (let q = 0; q < P; q++) {
        if (accN[q]! > 0) {
          if (lo < 0) lo = q;
          hi = q;
        }
      }
      const per: Array<number | null> = [];
      if (lo >= 0) for (let q = lo; q <= hi; q++) per.push(accN[q]! > 0 ? accS[q]! / accN[q]! : null);
      const stab = icStability(per);
      const sg = signStability(per);
      const dir = p.ic !== null && p.ic < 0 ? -1 : 1;
      let hits = 0;
      let counted = 0;
      for (let a = 0; a < A; a++) {
        const k = a * C + c;
        const h = dir > 0 ? p.pos![k]! : p.neg![k]!;
        hits += h;
        counted += p.pos![k]! + p.neg![k]!;
      }
      const pr = p.n >= 3 ? groupPearsonOf(s, offP + c) : Number.NaN;
      const r: CellResult = {
        ...emptyCell(input, d.dim, cell, p.n),
        status: 'ok',
        assets: p.assets,
        effective_n: p.effective_n,
        ic: p.ic,
        ic_panel: Number.isFinite(pr) ? pr : null,
        ic_by_asset: p.ic_by_asset,
        t_naive: p.t_naive,
        t_nw: p.t_nw,
        se_nw: p.se_nw,
        p_value: p.p_value,
        hit_rate: counted ? hits / counted : null,
        ic_periods: stab.periods,
        ic_ir: stab.periods >= 3 ? stab.ir : null,
        ic_rolling_std: stab.periods >= 3 ? stab.std : null,
        ic_trend: icTrend(per),
        sign_stability: sg.share,
        sign_pairs: sg.pairs,
      };
      if (d.dim === 'all') {
        r.ic_ex_stress = ex.ic;
        r.p_ex_stress = ex.p_value;
        gridAllCellExtras(ix, input, valid, X, Y, r);
      }
      if (r.ic !== null && r.ic_ir !== null && r.ic_trend !== null) {
        const dd = Math.sign(r.ic);
        const v = cfg.viability;
        r.viable = Math.abs(r.ic) > v.ic && dd * r.ic_ir > v.ic_ir && dd * r.ic_trend > v.ic_trend;
      }
      out.push(r);
    });
  });
  return out;
}

/**
 * The bucket (0..buckets-1) of each panel row of a feature, by its asset's quintile edges from the
 * training segment (-1: no training values, or the value is missing); kept for the feature's horizons.
 */
function featureBuckets(ix: GridIndex, feature: string, X: Float64Array): Int8Array {
  const hit = ix.buckets.get(feature);
  if (hit) return hit;
  const k = ix.cfg.buckets;
  const out = new Int8Array(ix.N).fill(-1);
  for (let a = 0; a < ix.A; a++) {
    const s = sortedFinite(ix.train.get(ix.symbols[a]!)?.get(feature), ix.heap);
    if (!s.length) continue;
    const edges: number[] = [];
    for (let i = 1; i < k; i++) edges.push(percentileSorted(s, i / k));
    for (let i = ix.offsets[a]!; i < ix.offsets[a + 1]!; i++) out[i] = bucketOf(X[i]!, edges);
  }
  ix.buckets.set(feature, out);
  return out;
}

/** Buckets, turnover, incrementality and the cross-sectional IC of the unconditional cell. */
function gridAllCellExtras(ix: GridIndex, o: FeatureHorizonInput, valid: Uint8Array, X: Float64Array, Y: Float64Array, r: CellResult): void {
  const { cfg, A } = ix;
  const k = cfg.buckets;
  // Buckets: per asset, edges from the training segment (each row's bucket is the feature's, kept
  // across its horizons); sums in asset then time order, as stats/buckets.bucketStats; the spread's
  // HAC variance over each asset's usable rows, long lags by the box kernel.
  const bk = featureBuckets(ix, o.feature, X);
  const sums = new Float64Array(k);
  const counts = new Float64Array(k);
  const wins = new Float64Array(k);
  for (let i = 0; i < ix.N; i++) {
    if (valid[i] !== 1) continue;
    const bi = bk[i]!;
    if (bi < 0) continue;
    const y = Y[i]!;
    sums[bi] = sums[bi]! + y;
    counts[bi] = counts[bi]! + 1;
    // + 1 for a positive return, without a branch (adding 0 changes nothing)
    wins[bi] = wins[bi]! + +(y > 0);
  }
  const { buckets, mono } = bucketSummary(sums, counts, wins);
  const top = k - 1;
  const nTop = counts[top]!;
  const nBot = counts[0]!;
  let spread: number | null = null;
  let lo95: number | null = null;
  let hi95: number | null = null;
  if (nTop > 1 && nBot > 1) {
    const mTop = sums[top]! / nTop;
    const mBot = sums[0]! / nBot;
    spread = mTop - mBot;
    let v = 0;
    const d = ix.scratch.spread;
    // a row's term (y - mean) / n of its bucket, -(y - mean) / n for the bottom (written y - mean over
    // -n: the same bits) and 0 for the others (y / Infinity: a zero, whose sign no sum sees), read from
    // tables by bucket + 1 (0: no bucket) instead of a branch per row (the buckets are random: a
    // branch mispredicts often)
    const mean = new Float64Array(k + 1);
    const over = new Float64Array(k + 1).fill(Number.POSITIVE_INFINITY);
    mean[1] = mBot;
    over[1] = -nBot;
    mean[top + 1] = mTop;
    over[top + 1] = nTop;
    for (let a = 0; a < A; a++) {
      let m = 0;
      for (let i = ix.offsets[a]!; i < ix.offsets[a + 1]!; i++) {
        if (valid[i] !== 1) continue;
        const b = bk[i]! + 1;
        d[m++] = (Y[i]! - mean[b]!) / over[b]!;
      }
      v += hacSum(d.subarray(0, m), o.lags, ix.heap);
    }
    const se = Math.sqrt(Math.max(v, 0));
    const z = normQuantile(0.5 + cfg.confidence / 2);
    lo95 = spread - z * se;
    hi95 = spread + z * se;
  }
  Object.assign(r, { buckets, monotonicity: mono.rho, monotonicity_p: mono.p_value, spread, spread_ci_low: lo95, spread_ci_high: hi95 });
  // Turnover does not depend on the horizon: once per feature.
  if (!ix.turnover.has(o.feature)) ix.turnover.set(o.feature, featureTurnover(ix, o.feature, X));
  r.turnover = ix.turnover.get(o.feature) ?? null;
  gridIncrementality(ix, o, r);
  crossSectional(ix, o.feature, o.horizon, valid, X, Y, o.lags, r);
}

/**
 * The signal's turnover (cells.turnover): the mean absolute change of each row's place in its
 * asset's training distribution (the empirical CDF) between consecutive rows. The CDF values come
 * from one walk over the feature's sorted column, each asset's training values merged in as the
 * values rise (no binary search per row); the same numbers as ecdf, summed in the same order.
 */
function featureTurnover(ix: GridIndex, feature: string, X: Float64Array): number | null {
  const { order } = column(ix, `f:${feature}`, (a) => a.features.get(feature), false).sorted;
  const trs = ix.symbols.map((sym) => sortedFinite(ix.train.get(sym)?.get(feature), ix.heap));
  // the grid's working array (a fresh one per feature costs its page faults)
  const q = ix.scratch.turnover.fill(Number.NaN);
  const ptr = new Int32Array(ix.A);
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!;
    const a = ix.assetOf[i]!;
    const tr = trs[a]!;
    if (tr.length === 0) continue;
    const v = X[i]!;
    let p = ptr[a]!;
    while (p < tr.length && tr[p]! <= v) p++;
    ptr[a] = p;
    q[i] = p / tr.length;
  }
  let tSum = 0;
  let tN = 0;
  for (let a = 0; a < ix.A; a++) {
    let prev = Number.NaN;
    for (let i = ix.offsets[a]!; i < ix.offsets[a + 1]!; i++) {
      const v = q[i]!;
      if (Number.isFinite(v) && Number.isFinite(prev)) {
        tSum += Math.abs(v - prev);
        tN++;
      }
      prev = v;
    }
  }
  return tN ? tSum / tN : null;
}

export { REGIME_FEATURES };
export { buildGridIndex, releaseColumn, type GridIndex } from './grid-index.js';

/**
 * Incrementality (cells.incrementality): per asset, walk-forward residuals of the feature and the
 * label on the baseline stack; the partial IC is the pooled IC of the residuals, each side sorted
 * and ranked asset by asset (research-fused rankByAsset).
 */
function gridIncrementality(ix: GridIndex, o: FeatureHorizonInput, r: CellResult): void {
  const baseline = o.cfg.baseline_features.filter((f) => f !== o.feature);
  // scratch buffers of the grid (the label residual's sort is kept, so it gets arrays of its own; a new label residual is copied into the cache)
  const { FR, LR, valid } = ix.scratch;
  FR.fill(Number.NaN);
  LR.fill(Number.NaN);
  valid.fill(0);
  const lifts: number[] = [];
  // the columns as views of the heap's copies (the kernels read them there), the same views each time
  const xs = heapColumn(ix, `f:${o.feature}`, (a) => a.features.get(o.feature));
  const ys = heapColumn(ix, `y:${o.horizon}`, (a) => a.labels.get(o.horizon));
  const ts = heapColumn(ix, 't', (a) => a.time);
  const bs = baseline.map((f) => heapColumn(ix, `b:${f}`, (a) => a.features.get(f)));
  ix.panel.assets.forEach((_, k) => {
    const x = xs[k];
    const y = ys[k];
    const time = ts[k]!;
    const cols = bs.map((c) => c[k]);
    if (!x || !y || cols.some((c) => !c)) return;
    // the label's side of the regressions is the same for features with the same usable rows: kept per asset and horizon
    const key = `${k}:${o.horizon}`;
    const cache = ix.walkForward.get(key) ?? { side: null };
    ix.walkForward.set(key, cache);
    const w = walkForwardResidualsFast({ time, feature: x, label: y, baseline: cols as Float64Array[] }, o.cfg.incremental_folds, o.horizon_ms, cache, ix.scratch.wf[k], ix.heap);
    ix.scratch.wf[k] = w;
    // the rows in a fold, copied run by run (the rows out of every fold are few and mostly first)
    const off = ix.offsets[k]!;
    const n = w.fold.length;
    for (let i = 0; i < n; ) {
      if (w.fold[i]! < 0) {
        i++;
        continue;
      }
      let e = i + 1;
      while (e < n && w.fold[e]! >= 0) e++;
      FR.set(w.feature_resid.subarray(i, e), off + i);
      LR.set(w.label_resid.subarray(i, e), off + i);
      valid.fill(1, off + i, off + e);
      i = e;
    }
    if (w.r2_lift !== null) lifts.push(w.r2_lift);
  });
  // The label residual depends on the feature only through the usable rows: reuse its sort and ranks when equal, bit for bit.
  let lr = ix.residuals.get(o.horizon);
  if (!lr || !sameBits(lr.values, LR)) {
    // copied, then sorted and ranked asset by asset into the previous residual's arrays (in the kernels' heap when there is one)
    const values = lr?.values ?? new Float64Array(LR.length);
    values.set(LR);
    const into = lr?.into ?? sortBuffers(ix);
    const ranks = lr?.ranks ?? sideRanksFor(ix.bare);
    const sorted = rankByAsset(ix.bare, ix.offsets, LR, into, valid, ranks);
    lr = { values, sorted, into, ranks };
    ix.residuals.set(o.horizon, lr);
  }
  rankByAsset(ix.bare, ix.offsets, FR, ix.scratch.frSorted, valid, ix.scratch.frRanks);
  const s = groupSumsOf(ix.bare, ix.scratch.frRanks, lr.ranks, ix.tIdx, null);
  const pr = pooledOf(ix, ix.bare, s, 0, o.lags)[0]!;
  r.partial_ic = pr.ic;
  r.partial_t_nw = pr.t_nw;
  r.partial_p = pr.p_value;
  r.r2_lift = lifts.length ? lifts.reduce((s, v) => s + v, 0) / lifts.length : null;
}

/** Equal arrays, bit for bit (NaN included). */
function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length * 2);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}
