import { EMA_WINDOW } from '../../domain/features.js';
import type { Axis, BarSeries, CloseSeries, FlowSeries, Prints } from './panel.js';
import {
  fin,
  jointRunLength,
  lagged,
  ratioChange,
  rollingMean,
  rollingMoments,
  rollingPercentile,
  rollingRegression,
  rollingStd,
  rollingTrend,
  runLength,
  truncatedEma,
  windowAvailability,
} from './kernels.js';

/**
 * The feature families as window computations on a symbol's bar axis (or its prints). Each
 * feature is emitted as (values, usable): the value of the window ending at each slot, and the
 * time the window became usable (the latest available_time of the rows it holds; NaN when the
 * window is not complete). Selection at decision times happens in select.ts.
 */
export type Emit = (name: string, values: Float64Array, usable: Float64Array) => void;

const map = (n: number, f: (j: number) => number): Float64Array => {
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = f(j);
  return out;
};

/** Sum over complete windows from the shifted moments (exact shift restored). */
function rollingSum(x: Float64Array, run: Int32Array, L: number, abs0: number): Float64Array {
  const { s1, shift } = rollingMoments(x, run, L, abs0);
  return map(x.length, (j) => (s1[j] as number) + L * (shift[j] as number));
}

/** One-bar log returns: NaN unless the slot and the one before both hold bars. */
export function logReturns(close: Float64Array): Float64Array {
  return map(close.length, (j) => (j > 0 ? fin(Math.log((close[j] as number) / (close[j - 1] as number))) : NaN));
}

export function priceFamily(p: BarSeries, ax: Axis, emit: Emit): void {
  const n = ax.n;
  const c = p.close;
  const run = runLength(c);
  const avail = (L: number): Float64Array => windowAvailability(p.avail, run, L);
  for (const k of [1, 4, 12, 24, 48, 168]) emit(`roc_${k}`, ratioChange(c, run, k), avail(k + 1));
  const lr = logReturns(c);
  const lrRun = runLength(lr);
  emit('logret_1', lr, avail(2));
  emit('rv_24', rollingStd(lr, lrRun, 24, ax.abs0, 1).std, avail(25));
  emit('rv_168', rollingStd(lr, lrRun, 168, ax.abs0, 1).std, avail(169));
  emit('hl_range', map(n, (j) => fin(((p.high[j] as number) - (p.low[j] as number)) / (c[j] as number))), avail(1));
  const ma24 = rollingMean(c, run, 24, ax.abs0);
  const ma168 = rollingMean(c, run, 168, ax.abs0);
  emit('dist_ma_24', map(n, (j) => fin((c[j] as number) / (ma24[j] as number) - 1)), avail(24));
  emit('dist_ma_168', map(n, (j) => fin((c[j] as number) / (ma168[j] as number) - 1)), avail(168));
  // RSI: Wilder's smoothing of gains and losses over EMA_WINDOW consecutive deltas (a missing
  // delta is missing, never a zero move), so EMA_WINDOW + 1 consecutive bars.
  const delta = map(n, (j) => (j > 0 ? (c[j] as number) - (c[j - 1] as number) : NaN));
  const dRun = runLength(delta);
  const gain = truncatedEma(map(n, (j) => Math.max(delta[j] as number, 0)), dRun, 1 / 14, EMA_WINDOW, ax.abs0);
  const loss = truncatedEma(map(n, (j) => Math.max(-(delta[j] as number), 0)), dRun, 1 / 14, EMA_WINDOW, ax.abs0);
  emit(
    'rsi_14',
    map(n, (j) => {
      const g = gain[j] as number;
      const l = loss[j] as number;
      if (Number.isNaN(g) || Number.isNaN(l)) return NaN;
      if (l === 0) return g === 0 ? 50 : 100;
      return 100 - 100 / (1 + g / l);
    }),
    avail(EMA_WINDOW + 1),
  );
  // MACD: EMA12 - EMA26 over EMA_WINDOW consecutive closes; signal: EMA9 of EMA_WINDOW consecutive
  // MACD values, so 2 * EMA_WINDOW - 1 consecutive closes.
  const e12 = truncatedEma(c, run, 2 / 13, EMA_WINDOW, ax.abs0);
  const e26 = truncatedEma(c, run, 2 / 27, EMA_WINDOW, ax.abs0);
  const line = map(n, (j) => (e12[j] as number) - (e26[j] as number));
  const sig = truncatedEma(line, runLength(line), 2 / 10, EMA_WINDOW, ax.abs0);
  emit('macd', map(n, (j) => fin((line[j] as number) / (c[j] as number))), avail(EMA_WINDOW));
  const sigAvail = avail(2 * EMA_WINDOW - 1);
  emit('macd_signal', map(n, (j) => fin((sig[j] as number) / (c[j] as number))), sigAvail);
  emit('macd_hist', map(n, (j) => fin(((line[j] as number) - (sig[j] as number)) / (c[j] as number))), sigAvail);
  const bb = rollingStd(c, run, 20, ax.abs0, 0);
  emit(
    'bb_pctb_20',
    map(n, (j) => {
      const sd = bb.std[j] as number;
      return sd > 0 ? ((c[j] as number) - ((bb.mean[j] as number) - 2 * sd)) / (4 * sd) : NaN;
    }),
    avail(20),
  );
}

export function volumeFamily(p: BarSeries, ax: Axis, emit: Emit): void {
  const n = ax.n;
  const c = p.close;
  const v = p.volume;
  const run = jointRunLength(c, v, p.high, p.low);
  const avail = (L: number): Float64Array => windowAvailability(p.avail, run, L);
  const vMean = rollingMean(v, run, 24, ax.abs0);
  emit('vol_ratio_24', map(n, (j) => ((vMean[j] as number) > 0 ? (v[j] as number) / (vMean[j] as number) : NaN)), avail(24));
  const tpv = map(n, (j) => (((p.high[j] as number) + (p.low[j] as number) + (c[j] as number)) / 3) * (v[j] as number));
  const sTpv = rollingSum(tpv, run, 24, ax.abs0);
  const sV = rollingSum(v, run, 24, ax.abs0);
  emit('vwap_dist_24', map(n, (j) => ((sV[j] as number) > 0 ? fin((c[j] as number) / ((sTpv[j] as number) / (sV[j] as number)) - 1) : NaN)), avail(24));
  const lr = logReturns(c);
  const lrRun = runLength(lr);
  const rv24 = rollingStd(lr, lrRun, 24, ax.abs0, 1).std;
  const rv168 = rollingStd(lr, lrRun, 168, ax.abs0, 1).std;
  emit('rv_ratio_24_168', map(n, (j) => ((rv168[j] as number) > 0 ? (rv24[j] as number) / (rv168[j] as number) : NaN)), avail(169));
  const hl2 = map(n, (j) => Math.log((p.high[j] as number) / (p.low[j] as number)) ** 2);
  const sHl = rollingSum(hl2, run, 24, ax.abs0);
  emit('parkinson_24', map(n, (j) => fin(Math.sqrt(Math.max(sHl[j] as number, 0) / (4 * Math.LN2 * 24)))), avail(24));
  const trend = rollingTrend(v, run, 24);
  emit('volume_trend_24', map(n, (j) => ((vMean[j] as number) > 0 ? (trend[j] as number) / (vMean[j] as number) : NaN)), avail(24));
}

/** Perp-spot family on the pairs of perp and spot bars with the same close. */
export function basisFamily(p: BarSeries, s: BarSeries, mark: CloseSeries | null, ax: Axis, emit: Emit, signRunCap: number): void {
  const n = ax.n;
  const pairAvail = map(n, (j) => Math.max(p.avail[j] as number, s.avail[j] as number));
  const basis = map(n, (j) => fin((p.close[j] as number) / (s.close[j] as number) - 1));
  const run = runLength(basis);
  const avail = (L: number): Float64Array => windowAvailability(pairAvail, run, L);
  emit('basis', basis, avail(1));
  if (mark) {
    const mb = map(n, (j) => fin((mark.close[j] as number) / (s.close[j] as number) - 1));
    emit('mark_basis', mb, windowAvailability(map(n, (j) => Math.max(mark.avail[j] as number, s.avail[j] as number)), runLength(mb), 1));
  } else emit('mark_basis', new Float64Array(n).fill(NaN), new Float64Array(n).fill(NaN));
  emit('basis_mean_24', rollingMean(basis, run, 24, ax.abs0), avail(24));
  const z = rollingStd(basis, run, 168, ax.abs0, 1);
  emit('basis_z_168', map(n, (j) => ((z.std[j] as number) > 0 ? ((basis[j] as number) - (z.mean[j] as number)) / (z.std[j] as number) : NaN)), avail(168));
  emit('basis_pctile_168', rollingPercentile(basis, run, 168), avail(168));
  emit('basis_slope_24', rollingTrend(basis, run, 24), avail(24));
  signRun(basis, pairAvail, signRunCap, emit);
  // AR(1) on exactly 168 pairs (b_t, b_t-1) of consecutive bars: 169 consecutive bars.
  const ar = rollingRegression(lagged(basis, 1), basis, 168, ax.abs0);
  emit(
    'basis_half_life_168',
    map(n, (j) => {
      const phi = ar.slope[j] as number;
      return phi > 0 && phi < 1 ? -Math.LN2 / Math.log(phi) : NaN;
    }),
    avail(169),
  );
  const pr = runLength(map(n, (j) => (p.close[j] as number) + (s.close[j] as number)));
  for (const k of [1, 3, 6]) {
    const dp = ratioChange(p.close, pr, k);
    const ds = ratioChange(s.close, pr, k);
    emit(`perp_spot_ret_delta_${k}`, map(n, (j) => (dp[j] as number) - (ds[j] as number)), avail(k + 1));
  }
  // Signed flow from bars: volume signed by the bar's direction (no trades in bar data).
  const pf = map(n, (j) => (p.volume[j] as number) * Math.sign((p.close[j] as number) - (p.open[j] as number)));
  const sf = map(n, (j) => (s.volume[j] as number) * Math.sign((s.close[j] as number) - (s.open[j] as number)));
  const fRun = jointRunLength(pf, sf);
  const spf = rollingSum(pf, fRun, 24, ax.abs0);
  const sapf = rollingSum(map(n, (j) => Math.abs(pf[j] as number)), fRun, 24, ax.abs0);
  const ssf = rollingSum(sf, fRun, 24, ax.abs0);
  const sasf = rollingSum(map(n, (j) => Math.abs(sf[j] as number)), fRun, 24, ax.abs0);
  const fAvail = windowAvailability(pairAvail, fRun, 24);
  emit(
    'flow_div_barproxy_24',
    map(n, (j) => ((sapf[j] as number) > 0 && (sasf[j] as number) > 0 ? (spf[j] as number) / (sapf[j] as number) - (ssf[j] as number) / (sasf[j] as number) : NaN)),
    fAvail,
  );
  const pq = map(n, (j) => (p.volume[j] as number) * (p.close[j] as number));
  const sq = map(n, (j) => (s.volume[j] as number) * (s.close[j] as number));
  const qRun = jointRunLength(pq, sq);
  const spq = rollingSum(pq, qRun, 24, ax.abs0);
  const ssq = rollingSum(sq, qRun, 24, ax.abs0);
  emit('perp_spot_activity_24', map(n, (j) => ((ssq[j] as number) > 0 ? (spq[j] as number) / (ssq[j] as number) : NaN)), windowAvailability(pairAvail, qRun, 24));
}

/**
 * Signed taker flow from trades (where trades are stored): imbalance = sum(buy - sell) /
 * sum(buy + sell) over 24 consecutive known bars of a leg (NaN when nothing traded), and the perp
 * minus spot divergence over 24 bars known on both legs. The bar-volume proxy
 * (flow_div_barproxy_24) stays for data without trades.
 */
export function tradeFlowFamily(perp: FlowSeries, spot: FlowSeries | null, ax: Axis, emit: Emit): void {
  const n = ax.n;
  const L = 24;
  const imbalance = (x: FlowSeries, run: Int32Array): Float64Array => {
    const f = rollingSum(x.flow, run, L, ax.abs0);
    const g = rollingSum(x.gross, run, L, ax.abs0);
    return map(n, (j) => ((g[j] as number) > 0 ? (f[j] as number) / (g[j] as number) : NaN));
  };
  const pRun = runLength(perp.flow);
  emit('taker_imb_24', imbalance(perp, pRun), windowAvailability(perp.avail, pRun, L));
  if (!spot || spot.count === 0) return;
  const sRun = runLength(spot.flow);
  emit('taker_imb_spot_24', imbalance(spot, sRun), windowAvailability(spot.avail, sRun, L));
  const jRun = jointRunLength(perp.flow, spot.flow);
  const pi = imbalance(perp, jRun);
  const si = imbalance(spot, jRun);
  const both = map(n, (j) => Math.max(perp.avail[j] as number, spot.avail[j] as number));
  emit('flow_div_trades_24', map(n, (j) => (pi[j] as number) - (si[j] as number)), windowAvailability(both, jRun, L));
}

/**
 * Bars since the basis last changed sign, capped at `cap`: a run of consecutive bars with the same
 * sign; a missing bar restarts it. Usable once every bar of the run (and the bar that ended the
 * previous run, whose sign the value depends on) has arrived.
 */
function signRun(basis: Float64Array, avail: Float64Array, cap: number, emit: Emit): void {
  const n = basis.length;
  const v = new Float64Array(n).fill(NaN);
  const u = new Float64Array(n).fill(NaN);
  const dq = new Int32Array(n);
  let head = 0;
  let tail = 0;
  let run = 0;
  for (let j = 0; j < n; j++) {
    const b = basis[j] as number;
    if (Number.isNaN(b)) {
      run = 0;
      head = tail = 0;
      continue;
    }
    const prev = j > 0 ? (basis[j - 1] as number) : NaN;
    run = !Number.isNaN(prev) && Math.sign(prev) === Math.sign(b) ? run + 1 : 1;
    const r = Math.min(run, cap);
    // first slot the value depends on: below the cap, the bar that ended the previous run (if any)
    let left: number;
    if (run >= cap) left = j - cap + 1;
    else left = j - run >= 0 && !Number.isNaN(basis[j - run] as number) ? j - run : j - run + 1;
    const a = avail[j] as number;
    while (tail > head && (avail[dq[tail - 1] as number] as number) <= a) tail--;
    dq[tail++] = j;
    while ((dq[head] as number) < left) head++;
    const m = avail[dq[head] as number] as number;
    v[j] = r;
    u[j] = m;
  }
  emit('basis_sign_run', v, u);
}

/** Cross-asset family: each perp against the BTC perp, bar by bar at the same close. */
export function crossFamily(p: BarSeries, b: CloseSeries, ax: Axis, emit: Emit): void {
  const n = ax.n;
  const x = logReturns(p.close);
  const y = logReturns(b.close);
  const pa = windowAvailability(p.avail, runLength(p.close), 169);
  const ba = windowAvailability(b.avail, runLength(b.close), 169);
  const reg = rollingRegression(y, x, 168, ax.abs0); // slope of the perp's return on BTC's
  emit('beta_btc_168', map(n, (j) => ((reg.varX[j] as number) > 0 ? (reg.slope[j] as number) : NaN)), map(n, (j) => Math.max(pa[j] as number, ba[j] as number)));
  emit('corr_btc_168', reg.corr, map(n, (j) => Math.max(pa[j] as number, ba[j] as number)));
  for (const k of [1, 2, 4]) {
    const r = rollingRegression(lagged(y, k), x, 168, ax.abs0);
    emit(`corr_btc_lag${k}_168`, r.corr, map(n, (j) => (j >= k ? Math.max(pa[j] as number, ba[j - k] as number) : NaN)));
  }
  const pr = runLength(map(n, (j) => (p.close[j] as number) + (b.close[j] as number)));
  const dp = ratioChange(p.close, pr, 24);
  const db = ratioChange(b.close, pr, 24);
  emit(
    'rel_strength_btc_24',
    map(n, (j) => (dp[j] as number) - (db[j] as number)),
    windowAvailability(map(n, (j) => Math.max(p.avail[j] as number, b.avail[j] as number)), pr, 25),
  );
}

/**
 * Run lengths of prints, consecutive when the gap to the previous print equals its settlement
 * interval (funding, within 1 s) or is at most maxGapUs (open interest).
 */
export function printRuns(pr: Prints, rule: { intervalHours: number } | { maxGapUs: number }): Int32Array {
  const m = pr.ev.length;
  const out = new Int32Array(m);
  let run = 0;
  for (let i = 0; i < m; i++) {
    const ok = Number.isFinite(pr.value[i] as number);
    if (!ok) run = 0;
    else if (i === 0 || run === 0) run = 1;
    else {
      const gap = (pr.ev[i] as number) - (pr.ev[i - 1] as number);
      let consecutive: boolean;
      if ('intervalHours' in rule) {
        const h = Number.isFinite(pr.interval[i] as number) ? (pr.interval[i] as number) : rule.intervalHours;
        consecutive = Math.abs(gap - h * 3_600_000_000) <= 1_000_000;
      } else consecutive = gap <= rule.maxGapUs;
      run = consecutive ? run + 1 : 1;
    }
    out[i] = run;
  }
  return out;
}

export function fundingFamily(f: Prints, run: Int32Array, emit: Emit): void {
  const m = f.ev.length;
  const x = f.value;
  const avail = (L: number): Float64Array => windowAvailability(f.avail, run, L);
  // Prints are few (three a day at most per hour of bars): each window is computed directly.
  emit('funding_rate', x, avail(1));
  const sum = (L: number): Float64Array => direct(x, run, L, (w) => w.reduce((a, b) => a + b, 0));
  const sum24 = sum(24);
  emit('funding_mean_24', map(m, (i) => (sum24[i] as number) / 24), avail(24));
  const z = direct(x, run, 168, (w) => {
    const mu = w.reduce((a, b) => a + b, 0) / w.length;
    const sd = Math.sqrt(w.reduce((a, b) => a + (b - mu) ** 2, 0) / (w.length - 1));
    return sd > 0 ? ((w[w.length - 1] as number) - mu) / sd : NaN;
  });
  emit('funding_z_168', z, avail(168));
  emit('funding_cum_24', sum24, avail(24));
  emit('funding_cum_168', sum(168), avail(168));
  emit('funding_pos_share_48', direct(x, run, 48, (w) => w.filter((v) => v > 0).length / 48), avail(48));
}

export function openInterestFamily(o: Prints, run: Int32Array, emit: Emit): void {
  const m = o.ev.length;
  const x = o.value;
  const avail = (L: number): Float64Array => windowAvailability(o.avail, run, L);
  const chg = (k: number): Float64Array =>
    map(m, (i) => ((run[i] as number) > k && (x[i - k] as number) > 0 ? (x[i] as number) / (x[i - k] as number) - 1 : NaN));
  emit('oi_chg_1', chg(1), avail(2));
  emit('oi_chg_24', chg(24), avail(25));
  emit(
    'oi_dist_168',
    direct(x, run, 168, (w) => {
      const mu = w.reduce((a, b) => a + b, 0) / w.length;
      return mu > 0 ? (w[w.length - 1] as number) / mu - 1 : NaN;
    }),
    avail(168),
  );
}

/** A statistic of each complete window of L prints, computed directly (prints are few). */
function direct(x: Float64Array, run: Int32Array, L: number, stat: (w: Float64Array) => number): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  for (let i = L - 1; i < x.length; i++) if ((run[i] as number) >= L) out[i] = stat(x.subarray(i - L + 1, i + 1));
  return out;
}
