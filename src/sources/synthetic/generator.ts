import { ABS_RETURN_PROFILE_BY_UTC_HOUR, ASSETS, VOLUME_PROFILE_BY_UTC_HOUR, VOL_DYNAMICS, type AssetCalibration } from './calibration.js';
import { FUNDING_CADENCES, type Effects, type FundingCadence, type Publication } from './effects.js';
import { Rng } from './rng.js';

/**
 * The synthetic market: one simulation step per minute for every asset, state carried across
 * chunks so a run can be written month by month in bounded memory. Pure computation, no I/O.
 *
 * Prices (logs): F = fair price (random walk: common t4 shock with GARCH and calm/stress regimes,
 * jumps, flow impact); perp = F + basis + settlement displacement; spot = F - w (F - F[t - lag])
 * (w = lead weight); index = spot + small noise; mark = index + EMA(perp - index).
 * Every random draw happens whatever the effects, in the same order (see effects.ts).
 */

export const SERIES_PER_ASSET = 4;
/** Series of an asset, in sid order: sid = 4 * asset + kind. */
export const SERIES_KINDS = [
  { market: 'PERP', price: 'last' },
  { market: 'PERP', price: 'mark' },
  { market: 'PERP', price: 'index' },
  { market: 'SPOT', price: 'last' },
] as const;

export interface GeneratorOptions {
  seed: number;
  /** base assets with a calibration in ASSETS */
  bases: string[];
  /** first simulated minute, epoch minutes (UTC) */
  start_minute: number;
  /** bar length in minutes (1 for 1m) */
  timeframe_minutes: number;
  effects: Effects;
  cadence: FundingCadence;
  publication: Publication;
  with_ticks: boolean;
}

/** Column arrays of bars: one row per (series, bar). Times in epoch minutes / milliseconds. */
export interface BarColumns {
  n: number;
  sid: Int32Array;
  /** bar close, epoch minutes */
  end_minute: Float64Array;
  /** available_time - event_time, ms */
  delay_ms: Int32Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  /** NaN for mark and index bars (stored as NULL) */
  volume: Float64Array;
  trade_count: Int32Array;
}

export interface FundingRow {
  asset: number;
  /** settlement time, epoch minutes */
  minute: number;
  delay_ms: number;
  funding_rate: number;
  funding_interval_hours: number;
  mark_price: number;
}

export interface TickerRow {
  asset: number;
  minute: number;
  delay_ms: number;
  last_price: number;
  mark_price: number;
  index_price: number;
  predicted_funding_rate: number;
  next_funding_minute: number;
  open_interest: number;
}

export interface OiColumns {
  n: number;
  asset: Int32Array;
  minute: Float64Array;
  open_interest: Float64Array;
  open_interest_value: Float64Array;
}

/** Trades and the top-of-book quote just before each; times in epoch microseconds. */
export interface TickColumns {
  n: number;
  /** sid of the market (perp last or spot last) */
  sid: Int32Array;
  time_us: Float64Array;
  delay_us: Float64Array;
  trade_id: Float64Array;
  price: Float64Array;
  size: Float64Array;
  /** 1 buy (taker bought), -1 sell */
  side: Int8Array;
  bid: Float64Array;
  ask: Float64Array;
  bid_size: Float64Array;
  ask_size: Float64Array;
}

export interface ChunkOutput {
  bars: BarColumns;
  funding: FundingRow[];
  ticker: TickerRow[];
  oi: OiColumns;
  ticks: TickColumns | null;
  /** hidden regime per simulated minute of the chunk: 0 calm, 1 stress */
  regime: Uint8Array;
}

const BPS = 1e-4;

/**
 * Variance of the flow divergence tanh(0.5 z + 0.7 n1) - tanh(0.5 z + 0.7 n2) for z, n1, n2
 * independent standard normals (Monte Carlo, 4e6 draws: 0.4615).
 */
export const FLOW_DIVERGENCE_VAR = 0.4615;

class Growable {
  f: Float64Array;
  constructor(n: number) {
    this.f = new Float64Array(n);
  }
}

export class SyntheticMarket {
  private readonly o: GeneratorOptions;
  private readonly assets: AssetCalibration[];
  private readonly nA: number;
  private readonly market: Rng;
  private readonly rRet: Rng[];
  private readonly rBasis: Rng[];
  private readonly rFlow: Rng[];
  private readonly rVol: Rng[];
  private readonly rBar: Rng[];
  private readonly rPub: Rng[];
  private readonly rFund: Rng[];
  private readonly rTick: Rng[];
  private readonly volProfile: number[];
  private readonly intervalMin: number;
  private readonly lag: number;
  private readonly horizon: number;
  // state
  private minute: number;
  private regime = 0;
  private garchH = 1;
  private lastZ0 = 0;
  private readonly F: Float64Array;
  private readonly Fhist: Float64Array;
  private readonly basis: Float64Array;
  private readonly emaBasisFunding: Float64Array;
  private readonly emaBasisMark: Float64Array;
  private readonly idxNoise: Float64Array;
  private readonly eta: Float64Array;
  private readonly gap: Float64Array;
  private readonly target: Float64Array;
  private readonly fpred: Float64Array;
  private readonly published: Float64Array;
  private readonly fundSum: Float64Array;
  private readonly fundCount: Float64Array;
  private readonly settleSign: Float64Array;
  private readonly vr: Float64Array;
  private readonly oiLog: Float64Array;
  private readonly pending: Float64Array;
  private readonly prevClose: Float64Array;
  private readonly lastMark: Float64Array;
  private readonly lastIndex: Float64Array;
  private readonly tradeSeq: Float64Array;

  constructor(opts: GeneratorOptions) {
    this.o = opts;
    this.assets = opts.bases.map((b) => {
      const a = ASSETS[b];
      if (!a) throw new Error(`no calibration for ${b}`);
      return a;
    });
    const nA = (this.nA = this.assets.length);
    const s = opts.seed;
    this.market = new Rng(s, 'market');
    const per = (name: string): Rng[] => opts.bases.map((b) => new Rng(s, `${b}/${name}`));
    this.rRet = per('ret');
    this.rBasis = per('basis');
    this.rFlow = per('flow');
    this.rVol = per('volume');
    this.rBar = per('bar');
    this.rPub = per('publication');
    this.rFund = per('funding');
    this.rTick = per('ticks');
    const ms = Math.sqrt(ABS_RETURN_PROFILE_BY_UTC_HOUR.reduce((acc, x) => acc + x * x, 0) / 24);
    this.volProfile = ABS_RETURN_PROFILE_BY_UTC_HOUR.map((x) => x / ms);
    this.intervalMin = FUNDING_CADENCES[opts.cadence].interval_hours * 60;
    this.lag = opts.effects.lead_lag.lag_minutes;
    this.horizon = opts.effects.flow.horizon_minutes;
    this.minute = opts.start_minute;
    this.F = new Float64Array(nA);
    this.Fhist = new Float64Array(nA * (this.lag + 1));
    this.basis = new Float64Array(nA);
    this.emaBasisFunding = new Float64Array(nA);
    this.emaBasisMark = new Float64Array(nA);
    this.idxNoise = new Float64Array(nA);
    this.eta = new Float64Array(nA);
    this.gap = new Float64Array(nA);
    this.target = new Float64Array(nA);
    this.fpred = new Float64Array(nA);
    this.published = new Float64Array(nA);
    this.fundSum = new Float64Array(nA);
    this.fundCount = new Float64Array(nA);
    this.settleSign = new Float64Array(nA);
    this.vr = new Float64Array(nA);
    this.oiLog = new Float64Array(nA);
    this.pending = new Float64Array(nA * (this.horizon + 1));
    this.prevClose = new Float64Array(nA * SERIES_PER_ASSET);
    this.lastMark = new Float64Array(nA);
    this.lastIndex = new Float64Array(nA);
    this.tradeSeq = new Float64Array(nA * 2);
    const e = opts.effects;
    for (let a = 0; a < nA; a++) {
      const c = this.assets[a]!;
      const f = this.rFund[a]!;
      this.F[a] = Math.log(c.start_price);
      for (let k = 0; k <= this.lag; k++) this.Fhist[a * (this.lag + 1) + k] = this.F[a]!;
      this.basis[a] = c.basis_mean_bps * BPS;
      this.emaBasisFunding[a] = this.basis[a]!;
      this.target[a] = this.basis[a]!;
      this.emaBasisMark[a] = this.basis[a]!;
      this.eta[a] = c.funding_noise_std_8h * f.normal();
      this.gap[a] = e.funding.basis_sensitivity > 0 ? this.eta[a]! / e.funding.basis_sensitivity : 0;
      this.fpred[a] = c.funding_mean_8h + this.eta[a]!;
      this.published[a] = this.fpred[a]! * (this.intervalMin / 480);
      this.settleSign[a] = Math.sign(this.fpred[a]!);
      const spot = Math.log(c.start_price);
      const perp = spot + this.basis[a]!;
      this.prevClose[a * 4] = roundTick(Math.exp(perp), c.tick_size);
      this.prevClose[a * 4 + 1] = Math.exp(perp);
      this.prevClose[a * 4 + 2] = Math.exp(spot);
      this.prevClose[a * 4 + 3] = roundTick(Math.exp(spot), c.tick_size);
    }
  }

  /**
   * Simulates `minutes` minutes from the current position (must be a whole number of bars).
   * With emit false (the run-up to a window) ticks are not generated; every other draw is, so
   * bars, funding, open interest and tickers do not depend on where the window starts (ticks do:
   * their stream starts at the window).
   */
  run(minutes: number, emit = true): ChunkOutput {
    const o = emit ? this.o : { ...this.o, with_ticks: false };
    const e = o.effects;
    const nA = this.nA;
    const tf = o.timeframe_minutes;
    const nBars = Math.floor(minutes / tf);
    const nRows = nBars * nA * SERIES_PER_ASSET;
    const bars: BarColumns = {
      n: 0,
      sid: new Int32Array(nRows),
      end_minute: new Float64Array(nRows),
      delay_ms: new Int32Array(nRows),
      open: new Float64Array(nRows),
      high: new Float64Array(nRows),
      low: new Float64Array(nRows),
      close: new Float64Array(nRows),
      volume: new Float64Array(nRows),
      trade_count: new Int32Array(nRows),
    };
    const nOi = Math.ceil(minutes / 5) * nA + nA;
    const oi: OiColumns = {
      n: 0,
      asset: new Int32Array(nOi),
      minute: new Float64Array(nOi),
      open_interest: new Float64Array(nOi),
      open_interest_value: new Float64Array(nOi),
    };
    const funding: FundingRow[] = [];
    const ticker: TickerRow[] = [];
    const regimeOut = new Uint8Array(minutes);
    const ticks = o.with_ticks ? new TickBuffer() : null;

    // per-bar accumulators per series
    const nS = nA * SERIES_PER_ASSET;
    const accO = new Float64Array(nS);
    const accH = new Float64Array(nS);
    const accL = new Float64Array(nS);
    const accV = new Float64Array(nS);
    const accT = new Float64Array(nS);
    const accDelay = new Float64Array(nS);

    const rg = e.regimes;
    const phiB = e.basis.half_life_minutes === null ? 1 : Math.pow(0.5, 1 / e.basis.half_life_minutes);
    // Random-walk basis of the null: one-year spread equal to the stationary std.
    const innovScaleB = e.basis.half_life_minutes === null ? Math.sqrt(1 / 525_600) : Math.sqrt(1 - phiB * phiB);
    const aEmaF = 1 - Math.exp(-1 / e.funding.basis_ema_minutes);
    const aEmaM = 1 - Math.exp(-1 / VOL_DYNAMICS.mark_basis_ema_minutes);
    const phiIdx = Math.pow(0.5, 1 / VOL_DYNAMICS.index_noise_half_life_minutes);
    const sIdx = VOL_DYNAMICS.index_noise_bps * BPS * Math.sqrt(1 - phiIdx * phiIdx);
    const phiVr = Math.pow(0.5, 1 / VOL_DYNAMICS.volume_ratio_half_life_minutes);
    const sVr = VOL_DYNAMICS.volume_ratio_std * Math.sqrt(1 - phiVr * phiVr);
    const phiOi = Math.pow(0.5, 5 / VOL_DYNAMICS.oi_half_life_minutes);
    const sOi = VOL_DYNAMICS.oi_log_std * Math.sqrt(1 - phiOi * phiOi);
    const phiEta = e.funding.noise_ar_per_hour;
    const aConv = 1 - Math.pow(0.5, 1 / e.funding.convergence_half_life_minutes);
    const ga = VOL_DYNAMICS.garch_alpha;
    const gb = VOL_DYNAMICS.garch_beta;
    const lagN = this.lag + 1;
    const hN = this.horizon + 1;
    const W = e.settlement.window_minutes;
    const I = this.intervalMin;
    const settle = e.settlement.effect_bps * BPS;
    const flowSign = e.flow.side === 'perp' ? 1 : -1;
    const impact = e.flow.impact_sigmas / this.horizon;
    // Variance the flow impact adds, per minute over horizons longer than its spread, as a share of
    // the minute's variance: (impact_sigmas x strength x divergence)^2 with E[strength^2] =
    // exp(2 (elasticity x sd)^2) for the log-normal volume ratio and Var(divergence) =
    // FLOW_DIVERGENCE_VAR. The unpredictable shock is shrunk by it, so volatility from 5 minutes
    // up is the same with and without the effect (1-minute volatility is lower by < 1%).
    const addedShare =
      e.flow.impact_sigmas ** 2 * Math.exp(2 * (e.volume_ratio.elasticity * VOL_DYNAMICS.volume_ratio_std) ** 2) * FLOW_DIVERGENCE_VAR;
    const shockScale = Math.sqrt(Math.max(0.5, 1 - addedShare));
    const vNoise = VOL_DYNAMICS.volume_noise_std;
    const vLoad = VOL_DYNAMICS.volume_abs_shock_loading;
    const pub = o.publication;
    const interval8 = I / 480;
    const intervalHours = I / 60;
    // t4 standardised: E|z| = 0.5 * sqrt(2)... normalise |z| loading by its mean (0.707 for unit-variance t4)
    const meanAbsT4 = Math.SQRT1_2;

    for (let t = 0; t < minutes; t++) {
      const m = this.minute;
      const end = m + 1;
      const hour = Math.floor((m % 1440) / 60);
      // regime chain
      const u = this.market.uniform();
      if (this.regime === 0 ? u < rg.p_calm_to_stress : u < rg.p_stress_to_calm) this.regime = 1 - this.regime;
      const stress = this.regime === 1;
      regimeOut[t] = this.regime;
      const z0 = this.market.t4();
      // market-wide jump (news): hits every asset in the same minute, in proportion to its volatility
      const uJ = this.market.uniform();
      const zJ = this.market.normal();
      const jump = uJ < VOL_DYNAMICS.jump_probability ? VOL_DYNAMICS.jump_size_sigmas * zJ : 0;
      this.garchH = Math.min(VOL_DYNAMICS.garch_cap, 1 - ga - gb + ga * this.garchH * this.lastZ0 * this.lastZ0 + gb * this.garchH);
      this.lastZ0 = z0;
      const sigMult = (stress ? rg.vol_stress : rg.vol_calm) * this.volProfile[hour]! * Math.sqrt(this.garchH);
      const volMult = (stress ? rg.volume_stress : 1) * VOLUME_PROFILE_BY_UTC_HOUR[hour]!;
      const barStart = (m - o.start_minute) % tf === 0;
      const barEnd = (end - o.start_minute) % tf === 0;
      const hourEnd = end % 60 === 0;
      const toNext = (I - (end % I)) % I;
      const sinceLast = end % I;

      for (let a = 0; a < nA; a++) {
        const c = this.assets[a]!;
        const sigma = c.vol_per_minute * sigMult;
        const rho = c.corr_to_btc;
        // -- shocks (always drawn)
        const rr = this.rRet[a]!;
        const zi = rr.t4();
        const zStd = rho * z0 + Math.sqrt(1 - rho * rho) * zi;
        const eps = sigma * (zStd * shockScale + jump);
        const rb = this.rBasis[a]!;
        const nB = rb.normal();
        const nIdx = rb.normal();
        const rf = this.rFlow[a]!;
        const nFp = rf.normal();
        const nFs = rf.normal();
        const rv = this.rVol[a]!;
        const nVs = rv.normal();
        const nVp = rv.normal();
        const nVr = rv.normal();
        const rbar = this.rBar[a]!;
        const wPH = Math.abs(rbar.normal());
        const wPL = Math.abs(rbar.normal());
        const wSH = Math.abs(rbar.normal());
        const wSL = Math.abs(rbar.normal());
        const rp = this.rPub[a]!;
        const dP = rp.uniform();
        const dS = rp.uniform();
        const lP = rp.uniform();
        const lS = rp.uniform();

        // -- H5: perp/spot volume ratio and the strength it gives the effects
        this.vr[a] = phiVr * this.vr[a]! + sVr * nVr;
        const strength = Math.min(3, Math.exp(e.volume_ratio.elasticity * this.vr[a]!));

        // -- H4: flows and their delayed impact on the fair price
        const base = 0.5 * zStd;
        const ofiP = Math.tanh(base + 0.7 * nFp);
        const ofiS = Math.tanh(base + 0.7 * nFs);
        const div = ofiP - ofiS;
        const pend = this.pending[a * hN + ((m - o.start_minute) % hN)]!;
        this.pending[a * hN + ((m - o.start_minute) % hN)] = 0;
        if (impact > 0) {
          const add = flowSign * impact * sigma * strength * div;
          for (let k = 1; k <= this.horizon; k++) {
            const j = a * hN + ((m - o.start_minute + k) % hN);
            this.pending[j] = this.pending[j]! + add;
          }
        }
        this.F[a] = this.F[a]! + eps + pend;

        // -- H3: lead-lag; Fhist keeps F of the last lag+1 minutes
        const hi = a * lagN;
        const pos = (m - o.start_minute) % lagN;
        this.Fhist[hi + pos] = this.F[a]!;
        const lagged = this.Fhist[hi + ((m - o.start_minute + 1) % lagN)]!; // F at m - lag
        const w = Math.min(0.9, (stress ? e.lead_lag.weight_stress : e.lead_lag.weight_calm) * strength);
        const spotLog = this.F[a]! - w * (this.F[a]! - lagged);

        // -- H1/H2: basis AR(1) around a target moved by the funding gap
        // the target drifts towards the funding-implied level, so a fresh gap is a dislocation
        this.target[a] = this.target[a]! + aConv * (c.basis_mean_bps * BPS + e.funding.gap_pull * this.gap[a]! - this.target[a]!);
        const target = this.target[a]!;
        const sB = c.basis_std_bps * BPS * (stress ? e.basis.stress_width : 1) * innovScaleB;
        this.basis[a] = target + phiB * (this.basis[a]! - target) + sB * nB;

        // -- H6: perp displacement around settlements
        if (toNext === W) this.settleSign[a] = Math.sign(this.fpred[a]!);
        let disp = 0;
        if (toNext <= W && toNext < I) disp = (-this.settleSign[a]! * settle * (W - toNext)) / W;
        else if (sinceLast > 0 && sinceLast < W) disp = -this.settleSign[a]! * settle * (1 - sinceLast / W);
        const perpLog = this.F[a]! + this.basis[a]! + disp;

        this.idxNoise[a] = phiIdx * this.idxNoise[a]! + sIdx * nIdx;
        const indexLog = spotLog + this.idxNoise[a]!;
        this.emaBasisMark[a] = this.emaBasisMark[a]! + aEmaM * (perpLog - indexLog - this.emaBasisMark[a]!);
        this.emaBasisFunding[a] = this.emaBasisFunding[a]! + aEmaF * (perpLog - indexLog - this.emaBasisFunding[a]!);
        const markLog = indexLog + this.emaBasisMark[a]!;

        // -- volumes
        const absLoad = 1 - vLoad + (vLoad * Math.abs(zStd)) / meanAbsT4;
        const spotVol = c.spot_volume_per_minute * volMult * Math.exp(vNoise * nVs - (vNoise * vNoise) / 2) * absLoad;
        const perpVol =
          spotVol * c.perp_spot_volume_ratio * Math.exp(this.vr[a]! + vNoise * (nVp - nVs) * Math.SQRT1_2 - (vNoise * vNoise) / 2);

        // -- bars
        const tick = c.tick_size;
        const s0 = a * SERIES_PER_ASSET;
        const closes = [
          roundTick(Math.exp(perpLog), tick),
          Math.exp(markLog),
          Math.exp(indexLog),
          roundTick(Math.exp(spotLog), tick),
        ];
        const wick = VOL_DYNAMICS.wick_sigmas * sigma;
        const delayP = pub.bar_delay_ms + Math.floor(dP * pub.bar_jitter_ms) + (lP < pub.late_bar_probability ? Math.floor((lP / pub.late_bar_probability) * pub.late_bar_max_ms) : 0);
        const delayS = pub.bar_delay_ms + Math.floor(dS * pub.bar_jitter_ms) + (lS < pub.late_bar_probability ? Math.floor((lS / pub.late_bar_probability) * pub.late_bar_max_ms) : 0);
        for (let k = 0; k < SERIES_PER_ASSET; k++) {
          const sid = s0 + k;
          const op = this.prevClose[sid]!;
          const cl = closes[k]!;
          let hiP = Math.max(op, cl);
          let loP = Math.min(op, cl);
          if (k === 0 || k === 3) {
            hiP = Math.max(hiP, roundTick(hiP * Math.exp(wick * (k === 0 ? wPH : wSH)), tick));
            loP = Math.min(loP, roundTick(loP * Math.exp(-wick * (k === 0 ? wPL : wSL)), tick));
            if (!(loP > 0)) loP = Math.min(op, cl);
          }
          if (barStart) {
            accO[sid] = op;
            accH[sid] = hiP;
            accL[sid] = loP;
            accV[sid] = 0;
            accT[sid] = 0;
            accDelay[sid] = 0;
          } else {
            if (hiP > accH[sid]!) accH[sid] = hiP;
            if (loP < accL[sid]!) accL[sid] = loP;
          }
          if (k === 0 || k === 3) {
            const vol = k === 0 ? perpVol : spotVol;
            const size = k === 0 ? c.trade_size * c.perp_spot_volume_ratio : c.trade_size;
            accV[sid] = accV[sid]! + vol;
            const nT = Math.max(1, Math.round(vol / size));
            accT[sid] = accT[sid]! + nT;
            if (ticks) {
              ticks.minute(this.rTick[a]!, sid, m, op, hiP, loP, cl, vol, nT, k === 0 ? ofiP : ofiS, tick, this.tradeSeq, a * 2 + (k === 0 ? 0 : 1), pub);
            }
          }
          accDelay[sid] = k === 3 ? delayS : delayP;
          this.prevClose[sid] = cl;
          if (barEnd) {
            const r = bars.n++;
            bars.sid[r] = sid;
            bars.end_minute[r] = end;
            bars.delay_ms[r] = accDelay[sid]!;
            bars.open[r] = accO[sid]!;
            bars.high[r] = accH[sid]!;
            bars.low[r] = accL[sid]!;
            bars.close[r] = cl;
            bars.volume[r] = k === 0 || k === 3 ? accV[sid]! : NaN;
            bars.trade_count[r] = k === 0 || k === 3 ? accT[sid]! : -1;
          }
        }
        this.lastMark[a] = closes[1]!;
        this.lastIndex[a] = closes[2]!;

        // -- open interest every 5 minutes
        if (end % 5 === 0) {
          this.oiLog[a] = phiOi * this.oiLog[a]! + sOi * this.rFund[a]!.normal();
          const r = oi.n++;
          oi.asset[r] = a;
          oi.minute[r] = end;
          oi.open_interest[r] = c.open_interest * Math.exp(this.oiLog[a]!);
          oi.open_interest_value[r] = oi.open_interest[r]! * closes[1]!;
        }

        // -- funding: hourly prediction (ticker), settlement every interval
        if (hourEnd) {
          const rf2 = this.rFund[a]!;
          const nEta = rf2.normal();
          const uStale = rf2.uniform();
          const uLate = rf2.uniform();
          const uLateSize = rf2.uniform();
          this.eta[a] = phiEta * this.eta[a]! + c.funding_noise_std_8h * Math.sqrt(1 - phiEta * phiEta) * nEta;
          const kappa = e.funding.basis_sensitivity;
          this.fpred[a] = c.funding_mean_8h + kappa * (this.emaBasisFunding[a]! - c.basis_mean_bps * BPS) + this.eta[a]!;
          this.gap[a] = kappa > 0 ? this.eta[a]! / kappa : 0;
          this.fundSum[a] = this.fundSum[a]! + this.fpred[a]!;
          this.fundCount[a] = this.fundCount[a]! + 1;
          if (uStale >= pub.stale_ticker_probability) this.published[a] = this.fpred[a]! * interval8;
          const nextSettle = toNext === 0 ? end + I : end + toNext;
          ticker.push({
            asset: a,
            minute: end,
            delay_ms: pub.ticker_delay_ms,
            last_price: closes[0]!,
            mark_price: closes[1]!,
            index_price: closes[2]!,
            predicted_funding_rate: this.published[a]!,
            next_funding_minute: nextSettle,
            open_interest: c.open_interest * Math.exp(this.oiLog[a]!),
          });
          if (toNext === 0) {
            const rate = this.fundCount[a]! > 0 ? (this.fundSum[a]! / this.fundCount[a]!) * interval8 : this.fpred[a]! * interval8;
            this.fundSum[a] = 0;
            this.fundCount[a] = 0;
            const late = uLate < pub.late_funding_probability;
            funding.push({
              asset: a,
              minute: end,
              delay_ms: late ? 60_000 + Math.floor(uLateSize * (pub.late_funding_max_ms - 60_000)) : pub.funding_delay_ms,
              funding_rate: rate,
              funding_interval_hours: intervalHours,
              mark_price: closes[1]!,
            });
          }
        }
      }
      this.minute = end;
    }
    return { bars, funding, ticker, oi, ticks: ticks ? ticks.columns() : null, regime: regimeOut };
  }
}

/** Nearest multiple of the tick, as the nearest double to the decimal value. */
export function roundTick(x: number, tick: number): number {
  const inv = Math.round(1 / tick);
  return Math.round(x * inv) / inv;
}

/** Trades and quotes of one market-minute at a time, appended to growable columns. */
class TickBuffer {
  private n = 0;
  private cap = 1 << 16;
  private sid = new Int32Array(this.cap);
  private cols: Record<'time_us' | 'delay_us' | 'trade_id' | 'price' | 'size' | 'bid' | 'ask' | 'bid_size' | 'ask_size', Growable> = {
    time_us: new Growable(this.cap),
    delay_us: new Growable(this.cap),
    trade_id: new Growable(this.cap),
    price: new Growable(this.cap),
    size: new Growable(this.cap),
    bid: new Growable(this.cap),
    ask: new Growable(this.cap),
    bid_size: new Growable(this.cap),
    ask_size: new Growable(this.cap),
  };
  private side = new Int8Array(this.cap);
  private readonly offs: number[] = [];

  private grow(need: number): void {
    if (this.n + need <= this.cap) return;
    let cap = this.cap;
    while (this.n + need > cap) cap *= 2;
    const sid = new Int32Array(cap);
    sid.set(this.sid);
    this.sid = sid;
    const side = new Int8Array(cap);
    side.set(this.side);
    this.side = side;
    for (const g of Object.values(this.cols)) {
      const f = new Float64Array(cap);
      f.set(g.f);
      g.f = f;
    }
    this.cap = cap;
  }

  /**
   * nT trades inside minute m: first at the open, last at the close, the 2nd and 3rd at the high
   * and low (when nT >= 4), others on the open-close line; sizes split the minute's volume;
   * each side is a buy with probability (1 + imbalance) / 2. A quote precedes each trade with
   * the trade on its touch (a buy lifts the ask).
   */
  minute(
    r: Rng, sid: number, m: number, open: number, high: number, low: number, close: number, volume: number, nT: number,
    imbalance: number, tick: number, seq: Float64Array, seqIdx: number, pub: Publication,
  ): void {
    this.grow(nT);
    const offs = this.offs;
    offs.length = 0;
    for (let k = 0; k < nT; k++) offs.push(1 + Math.floor(r.uniform() * 59_998));
    offs.sort((x, y) => x - y);
    let wsum = 0;
    const w0 = this.n;
    for (let k = 0; k < nT; k++) {
      const wk = -Math.log(r.uniform());
      this.cols.size.f[w0 + k] = wk;
      wsum += wk;
    }
    const pBuy = (1 + imbalance) / 2;
    const spread = Math.max(tick, roundTick(close * 1e-4, tick));
    for (let k = 0; k < nT; k++) {
      const i = this.n++;
      let price: number;
      if (k === 0) price = open;
      else if (k === nT - 1) price = close;
      else if (nT >= 4 && k === 1) price = high;
      else if (nT >= 4 && k === 2) price = low;
      else price = roundTick(open + ((close - open) * k) / (nT - 1), tick);
      const buy = r.uniform() < pBuy;
      const uDelay = r.uniform();
      const uq = r.uniform();
      seq[seqIdx] = seq[seqIdx]! + 1;
      this.sid[i] = sid;
      // offsets are milliseconds, unique per minute after sorting only by chance: add k us to keep order
      this.cols.time_us.f[i] = m * 60_000_000 + offs[k]! * 1000 + k;
      this.cols.delay_us.f[i] = (pub.tick_delay_ms + Math.floor(uDelay * pub.tick_jitter_ms)) * 1000;
      this.cols.trade_id.f[i] = seq[seqIdx]!;
      this.cols.price.f[i] = price;
      this.cols.size.f[i] = (volume * this.cols.size.f[i]!) / wsum;
      this.side[i] = buy ? 1 : -1;
      const bid = buy ? price - spread : price;
      const ask = buy ? price : price + spread;
      this.cols.bid.f[i] = bid > 0 ? roundTick(bid, tick) : tick;
      this.cols.ask.f[i] = roundTick(ask, tick);
      const qs = (volume / nT) * (0.5 + 2 * uq);
      this.cols.bid_size.f[i] = qs;
      this.cols.ask_size.f[i] = qs * (1.5 - uq);
    }
  }

  columns(): TickColumns {
    const n = this.n;
    return {
      n,
      sid: this.sid.subarray(0, n),
      time_us: this.cols.time_us.f.subarray(0, n),
      delay_us: this.cols.delay_us.f.subarray(0, n),
      trade_id: this.cols.trade_id.f.subarray(0, n),
      price: this.cols.price.f.subarray(0, n),
      size: this.cols.size.f.subarray(0, n),
      side: this.side.subarray(0, n),
      bid: this.cols.bid.f.subarray(0, n),
      ask: this.cols.ask.f.subarray(0, n),
      bid_size: this.cols.bid_size.f.subarray(0, n),
      ask_size: this.cols.ask_size.f.subarray(0, n),
    };
  }
}
