import type { BacktestConfig } from '../domain/backtest.js';
import { validationError } from '../domain/errors.js';
import { isoFromMicros } from '../domain/time.js';
import { mulberry32, normalGenerator } from '../stats/random.js';
import type { Strategy, StrategyContext } from '../strategies/strategy.js';
import { EV_BAR, EV_DECISION, EV_FUNDING, EV_MARK, EV_QUOTE, EV_SETTLE, EV_TRADE, type Clock, type ClockStream } from './clock.js';
import { F64Col, I32Col } from './columns.js';
import { cachedClock, logReturns } from './reuse.js';
import { slippageBps, slippageParams, type SlippageParams } from './costs.js';
import { FUND_ACCRUAL, FUND_MISSING_LAST, FUND_MISSING_ZERO, FUND_SETTLEMENT, settlementTimes } from './funding.js';
import { ORDER_LIMIT, ORDER_MARKET, ORDER_STOP, OrderBook, ST_FILLED, type Reason } from './orders.js';
import { Portfolio } from './portfolio.js';
import {
  baseNotional,
  DD_COOLDOWN,
  DD_HALTED,
  DD_STATE_NAMES,
  DrawdownController,
  KILL_DAILY_LOSS,
  KILL_NONE,
  KILL_REASONS,
  KILL_REJECTS,
  KILL_STALE_DATA,
  Rolling,
  roundToLot,
} from './risk.js';
import type { MarketData } from './types.js';

/**
 * The event loop. For each event of the clock, in (available_time, kind, stream, row) order:
 *   bar      execute the open orders of its symbol that arrived by the bar's open (market and
 *            triggered stops at the open plus slippage, limits when traded through), capped at a
 *            share of the bar's volume; then push the bar into the rolling statistics
 *   mark     update the mark bar of its symbol
 *   funding  cash flow (or accrual) on the position held
 *   settle   accrued funding moves to cash
 *   -- when the time advances, or before the first decision of a timestamp: mark-to-market and
 *      margin step: liquidation on the adverse extreme of the mark bar, missing-funding check,
 *      equity row, drawdown controller, kill switch
 *   decision the strategy; its orders get arrival = now + latency and wait for a later bar
 */

/** what a fill executed on (fills.source): a bar, a quote, a trade print, or the margin step */
export const FILL_BAR = 0;
export const FILL_QUOTE = 1;
export const FILL_TRADE = 2;
export const FILL_LIQUIDATION = 3;
export const FILL_SOURCES = ['bar', 'quote', 'trade', 'liquidation'] as const;

export const EVENT_KINDS = ['liquidation', 'drawdown_state', 'kill_switch', 'funding_missing', 'order_rejected'] as const;

export interface EngineResult {
  symbols: string[];
  /** per symbol, the names of its fee_tiers (fees.tier auto), for fills.fee_tier */
  fee_tier_names?: string[][];
  orders: {
    sym: Int32Array;
    type: Int32Array;
    qty: Float64Array;
    remaining: Float64Array;
    price: Float64Array;
    created: Float64Array;
    arrival: Float64Array;
    reduce_only: Int32Array;
    status: Int32Array;
    reason: Int32Array;
    origin: Int32Array;
  };
  fills: {
    order: Int32Array;
    sym: Int32Array;
    /** open time of the bar it filled in, µs */
    time: Float64Array;
    /** when the engine learned of it (the bar's available_time or the margin step), µs */
    booked: Float64Array;
    qty: Float64Array;
    price: Float64Array;
    ref_price: Float64Array;
    fee: Float64Array;
    fee_rate: Float64Array;
    maker: Int32Array;
    slippage_bps: Float64Array;
    slippage_cost: Float64Array;
    liquidation: Int32Array;
    realised: Float64Array;
    bar_low: Float64Array;
    bar_high: Float64Array;
    /** FILL_SOURCES index: what the fill executed on (bar, quote, trade print, liquidation) */
    source: Int32Array;
    /** index of the fee tier in the instrument's fee_tiers (fees.tier auto), else -1 (the run's fixed tier) */
    fee_tier: Int32Array;
  };
  equity: {
    time: Float64Array;
    equity: Float64Array;
    cash: Float64Array;
    unrealised: Float64Array;
    accrued_funding: Float64Array;
    margin_used: Float64Array;
    gross: Float64Array;
    net: Float64Array;
    drawdown: Float64Array;
    state: Int32Array;
  };
  funding: {
    time: Float64Array;
    sym: Int32Array;
    rate: Float64Array;
    qty: Float64Array;
    mark: Float64Array;
    amount: Float64Array;
    kind: Int32Array;
  };
  positions: { time: Float64Array; sym: Int32Array; qty: Float64Array; entry: Float64Array; margin: Float64Array };
  events: Array<{ time: number; kind: (typeof EVENT_KINDS)[number]; symbol: string | null; detail: string }>;
  counters: {
    events: number;
    decisions: number;
    orders: number;
    rejected: number;
    outside_universe: number;
    liquidations: number;
    funding_missing: number;
    kill_switch: string | null;
    final_equity: number;
  };
}

/** Runs a backtest over in-memory columns. Deterministic: same data, config and strategy -> same result. */
export function runEngine(data: MarketData, config: BacktestConfig, strategy: Strategy): EngineResult {
  return new Engine(data, config, strategy).run();
}

const HOUR_US = 3_600_000_000;
const DAY_US = 24 * HOUR_US;

export class Engine {
  private readonly n: number;
  private readonly pf: Portfolio;
  private readonly book: OrderBook;
  private readonly dd: DrawdownController;
  private readonly sigma: Rolling;
  private readonly sigmaRef: Rolling;
  private readonly volRoll: Rolling;
  private readonly adv: Rolling;
  private readonly slip: SlippageParams;
  private readonly gauss: () => number;
  private readonly uniform: () => number;
  private readonly latencyUs: number;
  // last traded bar per symbol
  private readonly lastClose: Float64Array;
  private readonly lastBarTime: Float64Array;
  // last bar row seen per symbol, and the last one pushed into the rolling statistics (rolled())
  private readonly barRow: Int32Array;
  private readonly rollRow: Int32Array;
  private readonly rollPrev: Float64Array;
  private lrBuf = new Float64Array(256);
  private lrCols: Float64Array[] | null = null;
  private qvBuf = new Float64Array(256);
  // mark bar per symbol (the traded bar when there are no mark bars)
  private readonly mOpen: Float64Array;
  private readonly mHigh: Float64Array;
  private readonly mLow: Float64Array;
  private readonly mClose: Float64Array;
  private readonly dirty: Uint8Array;
  private readonly hasMark: Uint8Array;
  private readonly hasQuotes: Uint8Array;
  // trade prints per symbol: orders execute on them for bars opening in [tradeFrom, tradeTo]
  private readonly hasTrades: Uint8Array;
  private readonly tradeFrom: Float64Array;
  private readonly tradeTo: Float64Array;
  private readonly cross: boolean;
  private readonly crossO: Float64Array;
  private readonly crossAdv: Float64Array;
  // funding schedule
  private readonly nextDue: Float64Array;
  private readonly dueStepUs: Float64Array;
  private readonly lastRate: Float64Array;
  private readonly accrues: Uint8Array;
  private readonly settle: Array<Float64Array | null>;
  private now = 0;
  private barSinceRecord = false;
  private killed = KILL_NONE;
  private rejectsInRow = 0;
  private day = Number.NaN;
  private dayEquity = 0;
  private decisionRow = 0;
  private decisionSym = 0;
  private corrCol = -1;
  private readonly ctx: StrategyContext;
  private readonly liqOut = new Float64Array(3);
  private readonly c = {
    events: 0,
    decisions: 0,
    rejected: 0,
    outside_universe: 0,
    liquidations: 0,
    funding_missing: 0,
  };
  // outputs
  private readonly fills = {
    order: new I32Col(),
    sym: new I32Col(),
    time: new F64Col(),
    booked: new F64Col(),
    qty: new F64Col(),
    price: new F64Col(),
    ref_price: new F64Col(),
    fee: new F64Col(),
    fee_rate: new F64Col(),
    maker: new I32Col(),
    slippage_bps: new F64Col(),
    slippage_cost: new F64Col(),
    liquidation: new I32Col(),
    realised: new F64Col(),
    bar_low: new F64Col(),
    bar_high: new F64Col(),
    source: new I32Col(),
    fee_tier: new I32Col(),
  };
  // fills' traded notional over the trailing 30 days (volume-tiered fees): times, notionals, the
  // first fill inside the window and the sum from it
  private readonly volTime = new F64Col();
  private readonly volNotional = new F64Col();
  private volHead = 0;
  private volSum = 0;
  private feeTier = -1;
  // equity rows: preallocated columns written at eqN (grown by doubling when full)
  private eqN = 0;
  private eqTime: Float64Array;
  private eqEquity: Float64Array;
  private eqCash: Float64Array;
  private eqUnrealised: Float64Array;
  private eqAccrued: Float64Array;
  private eqMargin: Float64Array;
  private eqGross: Float64Array;
  private eqNet: Float64Array;
  private eqDrawdown: Float64Array;
  private eqState: Int32Array;
  private readonly fund = {
    time: new F64Col(),
    sym: new I32Col(),
    rate: new F64Col(),
    qty: new F64Col(),
    mark: new F64Col(),
    amount: new F64Col(),
    kind: new I32Col(),
  };
  private readonly pos = { time: new F64Col(), sym: new I32Col(), qty: new F64Col(), entry: new F64Col(), margin: new F64Col() };
  private readonly events: EngineResult['events'] = [];

  constructor(
    readonly data: MarketData,
    private readonly cfg: BacktestConfig,
    private readonly strategy: Strategy,
  ) {
    const n = data.symbols.length;
    this.n = n;
    // one equity row per bar timestamp: with aligned symbols about the longest bar series
    let rows = 16;
    for (const b of data.bars) rows = Math.max(rows, b.close.length + 16);
    this.eqTime = new Float64Array(rows);
    this.eqEquity = new Float64Array(rows);
    this.eqCash = new Float64Array(rows);
    this.eqUnrealised = new Float64Array(rows);
    this.eqAccrued = new Float64Array(rows);
    this.eqMargin = new Float64Array(rows);
    this.eqGross = new Float64Array(rows);
    this.eqNet = new Float64Array(rows);
    this.eqDrawdown = new Float64Array(rows);
    this.eqState = new Int32Array(rows);
    if (data.bars.length !== n || data.mark.length !== n || data.funding.length !== n || data.instruments.length !== n) {
      throw new Error('engine: bars, mark, funding and instruments must have one entry per symbol');
    }
    const tiers = data.instruments.map((i) => i.margin_tiers ?? null);
    this.pf = new Portfolio(n, cfg.initial_cash, 1 / cfg.margin.leverage, cfg.margin.maintenance_rate, tiers.some((t) => t) ? tiers : null);
    this.book = new OrderBook(n);
    this.dd = new DrawdownController(cfg.drawdown);
    this.sigma = new Rolling(n, cfg.slippage.sigma_bars);
    this.sigmaRef = new Rolling(n, cfg.slippage.sigma_ref_bars);
    // one window when the vol-target and the slippage reference windows coincide (the default)
    this.volRoll = cfg.sizing.vol_bars === cfg.slippage.sigma_ref_bars ? this.sigmaRef : new Rolling(n, cfg.sizing.vol_bars);
    const barUs = data.bars[0]?.timeframe_us ?? HOUR_US;
    this.adv = new Rolling(n, Math.max(1, Math.round((cfg.slippage.adv_days * DAY_US) / barUs)));
    this.slip = slippageParams(cfg.slippage);
    this.gauss = normalGenerator(cfg.seed);
    this.uniform = mulberry32(cfg.seed ^ 0x9e3779b9);
    this.latencyUs = cfg.execution.latency_ms * 1000;
    const f = (v = Number.NaN): Float64Array => new Float64Array(n).fill(v);
    this.lastClose = f();
    this.lastBarTime = f();
    this.barRow = new Int32Array(n).fill(-1);
    this.rollRow = new Int32Array(n).fill(-1);
    this.rollPrev = f();
    this.mOpen = f();
    this.mHigh = f();
    this.mLow = f();
    this.mClose = f();
    this.dirty = new Uint8Array(n);
    this.hasMark = Uint8Array.from(data.mark, (m) => (m ? 1 : 0));
    this.hasQuotes = Uint8Array.from(data.symbols, (_, s) => (data.quotes?.[s] ? 1 : 0));
    this.hasTrades = Uint8Array.from(data.symbols, (_, s) => ((data.trades?.[s]?.event_time.length ?? 0) > 0 ? 1 : 0));
    this.tradeFrom = Float64Array.from(data.symbols, (_, s) => data.trades?.[s]?.event_time[0] ?? Number.NaN);
    this.tradeTo = Float64Array.from(data.symbols, (_, s) => {
      const t = data.trades?.[s]?.event_time;
      return t && t.length > 0 ? t[t.length - 1]! : Number.NaN;
    });
    this.cross = cfg.margin.mode === 'cross';
    this.crossO = new Float64Array(n);
    this.crossAdv = new Float64Array(n);
    this.nextDue = f();
    this.dueStepUs = f();
    this.lastRate = f();
    this.accrues = new Uint8Array(n);
    this.settle = [];
    for (let s = 0; s < n; s++) {
      const ins = data.instruments[s]!;
      const acc = ins.funding_accrual_hours > 0 ? ins.funding_accrual_hours : ins.funding_interval_hours;
      this.accrues[s] = acc < ins.funding_interval_hours ? 1 : 0;
      // until a print says otherwise, the next one is expected at the settlement grid
      this.dueStepUs[s] = (ins.funding_interval_hours > 0 ? ins.funding_interval_hours : cfg.funding.default_interval_hours) * HOUR_US;
      const b = data.bars[s]!;
      const first = b.open_time.length > 0 ? b.open_time[0]! : data.start;
      const last = b.close_time.length > 0 ? b.close_time[b.close_time.length - 1]! : data.end;
      this.settle.push(this.accrues[s] ? settlementTimes(first, last, ins.funding_interval_hours) : null);
    }
    this.corrCol = data.decisions.columns.indexOf('corr_btc_168');
    this.ctx = this.makeContext();
  }

  /** The clock streams of the in-memory data (bars, quotes, marks, funding, settlements, decisions). */
  streams(): ClockStream[] {
    const d = this.data;
    const streams: ClockStream[] = [];
    for (let s = 0; s < this.n; s++) {
      streams.push({ kind: EV_BAR, sym: s, time: d.bars[s]!.available_time });
      const qs = d.quotes?.[s];
      if (qs) streams.push({ kind: EV_QUOTE, sym: s, time: qs.available_time });
      const tr = d.trades?.[s];
      if (tr && this.hasTrades[s] === 1) streams.push({ kind: EV_TRADE, sym: s, time: tr.available_time });
      const m = d.mark[s];
      if (m) streams.push({ kind: EV_MARK, sym: s, time: m.available_time });
      const fu = d.funding[s];
      if (fu) streams.push({ kind: EV_FUNDING, sym: s, time: fu.available_time });
      const st = this.settle[s];
      if (st) streams.push({ kind: EV_SETTLE, sym: s, time: st });
    }
    streams.push({ kind: EV_DECISION, sym: 0, time: d.decisions.time });
    return streams;
  }

  /** Batch form: every event of the clock through step(), then finish(). */
  run(): EngineResult {
    const clock: Clock = cachedClock(this.data, this.streams());
    // batch runs read the log returns of whole series, computed once per column (reuse.ts)
    this.lrCols = this.data.bars.map((b) => logReturns(b.close));
    this.begin();
    const { time, kind, sym, row } = clock;
    for (let e = 0; e < clock.n; e++) this.step(time[e]!, kind[e]!, sym[e]!, row[e]!);
    return this.finish();
  }

  private begun = false;
  private pendingStep = false;
  private stepped = 0;

  /** Calls the strategy's init once; step() does it when not done. */
  begin(): void {
    if (this.begun) return;
    this.begun = true;
    const d = this.data;
    this.strategy.init?.({ symbols: d.symbols, columns: d.decisions.columns, bar_us: d.bars[0]?.timeframe_us ?? HOUR_US });
  }

  /**
   * One clock event: kind k (EV_*) of symbol s, row r of its series in `data`, at time t (the row's
   * available_time). The ONE per-event code path of both the batch backtest (run) and the live paper
   * loop (src/services/paper), which appends rows to the series and steps them in clock order
   * (time, kind, symbol, row). Events must come in that order.
   */
  step(t: number, k: number, s: number, r: number): void {
    if (this.pendingStep && t !== this.now) this.marginStep();
    this.now = t;
    this.stepped++;
    if (k === EV_BAR) {
      this.onBar(s, r);
      this.pendingStep = true;
    } else if (k === EV_TRADE) {
      if (this.book.open[s]!.length > 0) this.onTrade(s, r);
    } else if (k === EV_QUOTE) {
      if (this.book.open[s]!.length > 0) this.onQuote(s, r);
    } else if (k === EV_MARK) {
      this.onMark(s, r);
      this.pendingStep = true;
    } else if (k === EV_FUNDING) {
      this.onFunding(s, r);
      this.pendingStep = true;
    } else if (k === EV_SETTLE) {
      this.onSettle(s);
      this.pendingStep = true;
    } else {
      if (this.pendingStep) {
        this.marginStep();
        this.pendingStep = false;
      }
      this.onDecision(r);
    }
  }

  /** Live form: runs the pending mark-to-market/margin step now (no event will come at this time). */
  settleTime(): void {
    if (this.pendingStep) {
      this.marginStep();
      this.pendingStep = false;
    }
  }

  /** End of data: the pending step, open orders cancelled, the outputs. */
  finish(): EngineResult {
    if (this.pendingStep) this.marginStep();
    this.pendingStep = false;
    for (let s = 0; s < this.n; s++) this.book.cancelAll(s, 'end_of_data');
    return this.snapshot();
  }

  /** The outputs so far (copies), without ending the run. */
  snapshot(): EngineResult {
    this.c.events = this.stepped;
    return this.result();
  }

  /** Settlement times of accrued funding of s (venues that accrue between settlements), or null. */
  settlementTimes(s: number): Float64Array | null {
    return this.settle[s] ?? null;
  }

  /** Extra latency added to the orders of the next decisions, µs (paper: measured compute time). */
  extraLatencyUs = 0;

  /** Time of the last event, µs. */
  get time(): number {
    return this.now;
  }

  /** Positions, entry prices and pending order size per symbol (status and checkpoints). */
  state(): { positions: Array<{ symbol: string; qty: number; entry: number; pending: number; mark: number }>; equity: number; cash: number; accrued: number; drawdown_state: string; killed: string | null; open_orders: number } {
    const positions = this.data.symbols.map((symbol, s) => ({ symbol, qty: this.pf.qty[s]!, entry: this.pf.entry[s]!, pending: this.book.pending(s), mark: this.price(s) }));
    let open = 0;
    for (let s = 0; s < this.n; s++) open += this.book.open[s]!.length;
    return {
      positions,
      equity: this.pf.equity(),
      cash: this.pf.cash,
      accrued: this.pf.accruedTotal(),
      drawdown_state: DD_STATE_NAMES[this.dd.state] ?? '?',
      killed: this.killed === KILL_NONE ? null : KILL_REASONS[this.killed]!,
      open_orders: open,
    };
  }

  /** Market orders closing every position now (paper --flatten-on-exit; origin 4, flatten_exit). */
  flattenAll(): void {
    this.flatten(4);
  }

  // ---- data -------------------------------------------------------------------------------

  private onBar(s: number, r: number): void {
    const b = this.data.bars[s]!;
    const close = b.close[r]!;
    if (this.book.open[s]!.length > 0) this.match(s, r);
    // the rolling statistics take this bar when they are next read (rolled())
    this.barRow[s] = r;
    this.lastClose[s] = close;
    this.lastBarTime[s] = this.now;
    if (this.hasMark[s] === 0) {
      this.mOpen[s] = b.open[r]!;
      this.mHigh[s] = b.high[r]!;
      this.mLow[s] = b.low[r]!;
      this.mClose[s] = close;
    }
    this.dirty[s] = 1;
    this.barSinceRecord = true;
  }

  private onMark(s: number, r: number): void {
    const m = this.data.mark[s]!;
    this.mOpen[s] = m.open[r]!;
    this.mHigh[s] = m.high[r]!;
    this.mLow[s] = m.low[r]!;
    this.mClose[s] = m.close[r]!;
    this.dirty[s] = 1;
  }

  /**
   * Brings the rolling statistics of s up to its last bar. They are read only at fills, decisions
   * and order checks, so the bars are pushed here in one tight loop per symbol rather than one by
   * one in the event loop: the same values in the same order, so the same sums to the last bit.
   */
  private rolled(s: number): void {
    const last = this.barRow[s]!;
    let j = this.rollRow[s]!;
    if (j >= last) return;
    const b = this.data.bars[s]!;
    const close = b.close;
    const volume = b.volume;
    if (this.lrBuf.length < last - j) {
      this.lrBuf = new Float64Array(Math.max(last - j, 2 * this.lrBuf.length));
      this.qvBuf = new Float64Array(this.lrBuf.length);
    }
    const lrs = this.lrBuf;
    const qvs = this.qvBuf;
    let m = 0;
    let mq = 0;
    let prev = this.rollPrev[s]!;
    const lr = this.lrCols?.[s];
    if (lr) {
      // batch: prev is close[j - 1] from row 1 on, so lr[j] is the same Math.log(c / prev)
      while (j < last) {
        j++;
        const c = close[j]!;
        if (prev > 0) lrs[m++] = j > 0 ? lr[j]! : Math.log(c / prev);
        const v = volume[j]!;
        if (v === v) qvs[mq++] = v * c;
        prev = c;
      }
    } else {
      while (j < last) {
        j++;
        const c = close[j]!;
        if (prev > 0) lrs[m++] = Math.log(c / prev);
        const v = volume[j]!;
        if (v === v) qvs[mq++] = v * c;
        prev = c;
      }
    }
    this.rollRow[s] = j;
    this.rollPrev[s] = prev;
    this.sigma.pushRange(s, lrs, 0, m);
    this.sigmaRef.pushRange(s, lrs, 0, m);
    if (this.volRoll !== this.sigmaRef) this.volRoll.pushRange(s, lrs, 0, m);
    this.adv.pushRange(s, qvs, 0, mq);
  }

  /** ADV in quote currency per day from the completed bars (NaN until the window is full). */
  private advOf(s: number): number {
    if (!this.adv.full(s)) return Number.NaN;
    return (this.adv.sum(s) / this.adv.window) * (DAY_US / this.data.bars[s]!.timeframe_us);
  }

  /** Executes the open orders of s against bar r (see the class comment). */
  private match(s: number, r: number): void {
    const b = this.data.bars[s]!;
    const ot = b.open_time[r]!;
    // inside the span of the trade prints, orders execute on the prints (onTrade), not on bars
    if (this.hasTrades[s] === 1 && ot >= this.tradeFrom[s]! && ot <= this.tradeTo[s]!) return;
    const o = b.open[r]!;
    const h = b.high[r]!;
    const l = b.low[r]!;
    const v = b.volume[r]!;
    const ins = this.data.instruments[s]!;
    const ex = this.cfg.execution;
    this.rolled(s);
    const pen = ex.limit_penetration_ticks * ins.tick_size;
    let avail = v === v ? ex.max_volume_share * v : Infinity;
    const list = this.book.open[s]!;
    const bk = this.book;
    let i = 0;
    while (i < list.length) {
      const id = list[i]!;
      const type = bk.type.get(id);
      // where quotes exist, market orders and triggered stops execute at quotes (onQuote)
      if (this.hasQuotes[s] === 1 && (type === ORDER_MARKET || bk.triggered.get(id) === 1)) {
        i++;
        continue;
      }
      const rem = this.eligible(id, s, ot, list, i);
      if (rem !== rem) {
        i++;
        continue;
      }
      if (rem === 0) continue;
      const side = rem > 0 ? 1 : -1;
      let ref: number;
      let maker = 0;
      if (type === ORDER_MARKET || bk.triggered.get(id) === 1) ref = o;
      else if (type === ORDER_LIMIT) {
        const lp = bk.price.get(id);
        if (side > 0 ? l <= lp - pen : h >= lp + pen) {
          // at the limit; when the whole bar traded through it, at the bar's worst price for us
          ref = side > 0 ? Math.min(lp, h) : Math.max(lp, l);
          maker = 1;
        } else {
          i++;
          continue;
        }
      } else {
        const sp = bk.price.get(id);
        if (side > 0 ? h >= sp : l <= sp) {
          bk.triggered.set(id, 1);
          if (this.hasQuotes[s] === 1) {
            i++; // fills at the next quote
            continue;
          }
          ref = side > 0 ? Math.max(sp, o) : Math.min(sp, o);
        } else {
          i++;
          continue;
        }
      }
      const qty = Math.min(Math.abs(rem), avail);
      if (!(qty > 0)) {
        i++;
        continue;
      }
      let px = ref;
      let slipBps = 0;
      if (maker === 0) {
        const g = this.slip.noise > 0 ? this.gauss() : 0;
        const bps = slippageBps(this.slip, this.sigma.std(s), this.sigmaRef.std(s), qty * ref, this.advOf(s), g);
        px = ref * (1 + (side * bps) / 1e4);
        // A fill never prints outside its bar's range: slippage is capped at the bar's extreme.
        if (px > h) px = h;
        if (px < l) px = l;
        slipBps = ((px - ref) / ref) * 1e4 * side;
      }
      const rate = this.feeRate(s, maker, ot);
      const fee = qty * px * rate;
      const realised = this.pf.fill(s, side * qty, px, fee, ot);
      this.recordFill(id, s, ot, side * qty, px, ref, fee, rate, maker, slipBps, qty * Math.abs(px - ref), 0, realised, l, h, FILL_BAR);
      avail -= qty;
      i = this.afterFill(list, i, id, rem, rem - side * qty);
    }
  }

  /**
   * Books what is left of order `id` (at list[i]) after a fill: filled (and out of the open list)
   * when the rest is within rounding of zero, else its remaining size. Returns the next list index.
   */
  private afterFill(list: number[], i: number, id: number, rem: number, left: number): number {
    const bk = this.book;
    if (Math.abs(left) <= 1e-12 * Math.max(1, Math.abs(rem))) {
      bk.remaining.set(id, 0);
      bk.status.set(id, ST_FILLED);
      list.splice(i, 1);
      return i;
    }
    bk.remaining.set(id, left);
    return i + 1;
  }

  /**
   * Whether open order `id` (at list[i]) may execute at time t: NaN = not yet (keep it), 0 = it
   * was removed from the list (cancel reached the venue, outside the universe, nothing left to
   * reduce), else the signed size to fill (flattening and reduce-only orders resized to the
   * position now).
   */
  private eligible(id: number, s: number, t: number, list: number[], i: number): number {
    const bk = this.book;
    if (bk.arrival.get(id) > t) return Number.NaN;
    const ins = this.data.instruments[s]!;
    let reason = 0;
    if (t >= bk.cancelAt.get(id)) reason = 7;
    else if (t >= ins.valid_to || t < ins.valid_from) {
      reason = 1;
      this.c.outside_universe++;
    }
    let rem = bk.remaining.get(id);
    if (reason === 0) {
      const q = this.pf.qty[s]!;
      const og = bk.origin.get(id);
      if (og === 1 || og === 2 || og === 4) {
        // a flattening order closes whatever is held when it executes
        rem = -q;
        if (rem === 0) reason = 6;
        else bk.remaining.set(id, rem);
      } else if (bk.reduceOnly.get(id) === 1) {
        if (q === 0 || Math.sign(q) === Math.sign(rem)) reason = 6;
        else if (Math.abs(rem) > Math.abs(q)) {
          rem = -q;
          bk.remaining.set(id, rem);
        }
      }
    }
    if (reason !== 0) {
      bk.status.set(id, 2);
      bk.reason.set(id, reason);
      list.splice(i, 1);
      return 0;
    }
    return rem;
  }

  /**
   * Executes market orders and triggered stops of s at quote r: buys at the ask, sells at the bid
   * (the quoted half-spread replaces the configured estimate), plus the rest of the slippage
   * formula; at most the size shown at the touch, which one fill uses up.
   */
  private onQuote(s: number, r: number): void {
    const qs = this.data.quotes![s]!;
    const bid = qs.bid[r]!;
    const ask = qs.ask[r]!;
    if (!(bid > 0 && ask >= bid)) return;
    this.rolled(s);
    const t = qs.event_time[r]!;
    const bs = qs.bid_size[r]!;
    const as = qs.ask_size[r]!;
    let availBuy = as === as ? as : Infinity;
    let availSell = bs === bs ? bs : Infinity;
    const mid = (bid + ask) / 2;
    const list = this.book.open[s]!;
    const bk = this.book;
    let i = 0;
    while (i < list.length) {
      const id = list[i]!;
      if (!(bk.type.get(id) === ORDER_MARKET || bk.triggered.get(id) === 1)) {
        i++;
        continue;
      }
      const rem = this.eligible(id, s, t, list, i);
      if (rem !== rem) {
        i++;
        continue;
      }
      if (rem === 0) continue;
      const side = rem > 0 ? 1 : -1;
      const qty = Math.min(Math.abs(rem), side > 0 ? availBuy : availSell);
      if (!(qty > 0)) {
        i++;
        continue;
      }
      const touch = side > 0 ? ask : bid;
      const g = this.slip.noise > 0 ? this.gauss() : 0;
      let extra = slippageBps(this.slip, this.sigma.std(s), this.sigmaRef.std(s), qty * touch, this.advOf(s), g);
      if (this.slip.mode === 2) extra = Math.max(0, extra - this.slip.half_spread_bps);
      const px = touch * (1 + (side * extra) / 1e4);
      const rate = this.feeRate(s, 0, t);
      const fee = qty * px * rate;
      const realised = this.pf.fill(s, side * qty, px, fee, t);
      this.recordFill(id, s, t, side * qty, px, mid, fee, rate, 0, ((px - mid) / mid) * 1e4 * side, qty * Math.abs(px - mid), 0, realised, bid, ask, FILL_QUOTE);
      if (side > 0) availBuy -= qty;
      else availSell -= qty;
      i = this.afterFill(list, i, id, rem, rem - side * qty);
    }
    this.dirty[s] = 1;
  }

  /**
   * Executes the open orders of s on trade print r: market orders and triggered stops at the print
   * (plus the slippage model's terms other than the half-spread: the print already paid it), stops
   * triggered by a print at or through them at that print, limits at their price when the print
   * traded through them by limit_penetration_ticks. All fills on one print share
   * max_volume_share x its size, so liquidity one fill used is not used again. Where quotes exist,
   * market orders and triggered stops execute on the quotes instead (onQuote).
   */
  private onTrade(s: number, r: number): void {
    const ts = this.data.trades![s]!;
    const p = ts.price[r]!;
    if (!(p > 0)) return;
    const t = ts.event_time[r]!;
    const z = ts.size[r]!;
    const ex = this.cfg.execution;
    let avail = z === z ? ex.max_volume_share * z : Infinity;
    this.rolled(s);
    const ins = this.data.instruments[s]!;
    const pen = ex.limit_penetration_ticks * ins.tick_size;
    const list = this.book.open[s]!;
    const bk = this.book;
    let i = 0;
    while (i < list.length && avail > 0) {
      const id = list[i]!;
      const type = bk.type.get(id);
      const taker = type === ORDER_MARKET || bk.triggered.get(id) === 1;
      if (taker && this.hasQuotes[s] === 1) {
        i++;
        continue;
      }
      const rem = this.eligible(id, s, t, list, i);
      if (rem !== rem) {
        i++;
        continue;
      }
      if (rem === 0) continue;
      const side = rem > 0 ? 1 : -1;
      let maker = 0;
      if (!taker) {
        const lp = bk.price.get(id);
        if (type === ORDER_LIMIT) {
          if (side > 0 ? p <= lp - pen : p >= lp + pen) maker = 1;
          else {
            i++;
            continue;
          }
        } else if (side > 0 ? p >= lp : p <= lp) {
          bk.triggered.set(id, 1);
          if (this.hasQuotes[s] === 1) {
            i++; // fills at the next quote
            continue;
          }
        } else {
          i++;
          continue;
        }
      }
      const qty = Math.min(Math.abs(rem), avail);
      const ref = maker === 1 ? bk.price.get(id) : p;
      let px = ref;
      if (maker === 0) {
        const g = this.slip.noise > 0 ? this.gauss() : 0;
        let extra = slippageBps(this.slip, this.sigma.std(s), this.sigmaRef.std(s), qty * p, this.advOf(s), g);
        if (this.slip.mode === 2) extra = Math.max(0, extra - this.slip.half_spread_bps);
        px = p * (1 + (side * extra) / 1e4);
      }
      const rate = this.feeRate(s, maker, t);
      const fee = qty * px * rate;
      const realised = this.pf.fill(s, side * qty, px, fee, t);
      this.recordFill(id, s, t, side * qty, px, ref, fee, rate, maker, ((px - ref) / ref) * 1e4 * side, qty * Math.abs(px - ref), 0, realised, p, p, FILL_TRADE);
      avail -= qty;
      i = this.afterFill(list, i, id, rem, rem - side * qty);
    }
    this.dirty[s] = 1;
  }

  /**
   * Fee rate of a fill of s at time t. With a volume-tiered schedule (fees.tier auto: the
   * instrument's fee_tiers), the tier is the highest whose min_volume_30d the account's traded
   * notional over (t - 30 days, t] reaches, counting only fills already done (liquidations
   * excluded); else the instrument's fixed maker/taker rates. Sets feeTier for recordFill.
   */
  private feeRate(s: number, maker: number, t: number): number {
    const ins = this.data.instruments[s]!;
    const tiers = ins.fee_tiers;
    if (!tiers || tiers.length === 0) {
      this.feeTier = -1;
      return maker === 1 ? ins.maker_fee : ins.taker_fee;
    }
    const from = t - 30 * DAY_US;
    while (this.volHead < this.volTime.length && this.volTime.get(this.volHead) <= from) {
      this.volSum -= this.volNotional.get(this.volHead);
      this.volHead++;
    }
    // a sum over the window is exact again when it empties (no drift from the running sum)
    if (this.volHead === this.volTime.length) this.volSum = 0;
    let k = 0;
    for (let i = 1; i < tiers.length; i++) if (tiers[i]!.min_volume_30d <= this.volSum && tiers[i]!.min_volume_30d >= tiers[k]!.min_volume_30d) k = i;
    this.feeTier = k;
    return maker === 1 ? tiers[k]!.maker : tiers[k]!.taker;
  }

  private recordFill(
    id: number,
    s: number,
    t: number,
    qty: number,
    px: number,
    ref: number,
    fee: number,
    rate: number,
    maker: number,
    slipBps: number,
    slipCost: number,
    liq: number,
    realised: number,
    lo: number,
    hi: number,
    src: number,
  ): void {
    const f = this.fills;
    f.order.push(id);
    f.sym.push(s);
    f.time.push(t);
    f.booked.push(this.now);
    f.qty.push(qty);
    f.price.push(px);
    f.ref_price.push(ref);
    f.fee.push(fee);
    f.fee_rate.push(rate);
    f.maker.push(maker);
    f.slippage_bps.push(slipBps);
    f.slippage_cost.push(slipCost);
    f.liquidation.push(liq);
    f.realised.push(realised);
    f.bar_low.push(lo);
    f.bar_high.push(hi);
    f.source.push(src);
    f.fee_tier.push(liq === 1 ? -1 : this.feeTier);
    if (liq === 0) {
      // the account's traded notional, for volume-tiered fees (feeRate)
      const notional = Math.abs(qty * px);
      this.volTime.push(t);
      this.volNotional.push(notional);
      this.volSum += notional;
    }
    const p = this.pos;
    p.time.push(t);
    p.sym.push(s);
    p.qty.push(this.pf.qty[s]!);
    p.entry.push(this.pf.entry[s]!);
    p.margin.push(this.pf.margin[s]!);
  }

  // ---- funding ------------------------------------------------------------------------------

  private fundingMark(s: number, fromRow: number): number {
    if (fromRow === fromRow && fromRow > 0) return fromRow;
    const m = this.mClose[s]!;
    return m === m ? m : this.lastClose[s]!;
  }

  private onFunding(s: number, r: number): void {
    const f = this.data.funding[s]!;
    const rate = f.rate[r]!;
    const q = this.pf.qty[s]!;
    const et = f.event_time[r]!;
    const ih = f.interval_hours[r]!;
    const ins = this.data.instruments[s]!;
    // On an accruing venue a print covering less than the settlement interval is an accrual; the
    // settlement prints themselves (what a settled-funding dataset holds) settle in cash.
    const accrual = this.accrues[s] === 1 && (ih > 0 ? ih < ins.funding_interval_hours : true);
    if (q !== 0) {
      const mark = this.fundingMark(s, f.mark[r]!);
      const amount = -q * mark * rate;
      this.bookFunding(s, et, rate, q, mark, amount, accrual ? FUND_ACCRUAL : FUND_SETTLEMENT);
    }
    this.lastRate[s] = rate;
    // the next print is due one interval of this print later (the data's own schedule)
    const step = ih > 0 ? ih * HOUR_US : accrual ? ins.funding_accrual_hours * HOUR_US : this.dueStepUs[s]!;
    this.dueStepUs[s] = step;
    this.nextDue[s] = et + step;
  }

  /** Books a funding amount: into accrued funding on accruing venues, else into cash. */
  private bookFunding(s: number, t: number, rate: number, q: number, mark: number, amount: number, kind: number): void {
    if (kind === FUND_ACCRUAL) this.pf.accrued[s] = this.pf.accrued[s]! + amount;
    else this.pf.cash += amount;
    const fu = this.fund;
    fu.time.push(t);
    fu.sym.push(s);
    fu.rate.push(rate);
    fu.qty.push(q);
    fu.mark.push(mark);
    fu.amount.push(amount);
    fu.kind.push(kind);
  }

  private onSettle(s: number): void {
    const a = this.pf.accrued[s]!;
    if (a === 0) return;
    this.pf.accrued[s] = 0;
    this.bookFunding(s, this.now, Number.NaN, this.pf.qty[s]!, Number.NaN, a, FUND_SETTLEMENT);
  }

  /** Prints due while a position was open that have not arrived within the grace period. */
  private checkFunding(s: number): void {
    const q = this.pf.qty[s]!;
    if (q === 0) return;
    const held = this.pf.heldSince[s]!;
    if (!(this.nextDue[s]! === this.nextDue[s]!)) {
      // no print seen yet: the first due time on the instrument's grid after the position opened
      const step = this.dueStepUs[s]!;
      this.nextDue[s] = Math.floor(held / step) * step + step;
    }
    const grace = this.cfg.funding.grace_ms * 1000;
    while (this.now > this.nextDue[s]! + grace) {
      const due: number = this.nextDue[s]!;
      if (held <= due) {
        const sym = this.data.symbols[s]!;
        const mode = this.cfg.funding.missing;
        if (mode === 'error') {
          throw validationError(`funding print missing for ${sym} at ${isoFromMicros(due)} while a position was open (${q} base units)`, {
            hint: 'fetch the funding data for that period, or pass --funding-missing zero|last to charge nothing or the last rate (recorded in the manifest)',
            details: { symbol: sym, due: isoFromMicros(due) },
          });
        }
        this.c.funding_missing++;
        const mark = this.fundingMark(s, Number.NaN);
        if (mode === 'zero') this.bookFunding(s, due, 0, q, mark, 0, FUND_MISSING_ZERO);
        else {
          const rate = this.lastRate[s]! === this.lastRate[s]! ? this.lastRate[s]! : 0;
          this.bookFunding(s, due, rate, q, mark, -q * mark * rate, FUND_MISSING_LAST);
        }
        if (this.c.funding_missing <= 100) this.event('funding_missing', s, `no print for ${isoFromMicros(due)}; charged ${mode === 'zero' ? 'zero' : 'the last rate'}`);
      }
      this.nextDue[s] = due + this.dueStepUs[s]!;
    }
  }

  // ---- mark-to-market, margin, risk -----------------------------------------------------------

  private marginStep(): void {
    const pf = this.pf;
    if (this.cross) this.crossMarginCheck();
    for (let s = 0; s < this.n; s++) {
      if (this.dirty[s] === 0) continue;
      this.dirty[s] = 0;
      const q = pf.qty[s]!;
      if (q !== 0 && !this.cross) {
        const liq = pf.liquidationPrice(s);
        const adverse = q > 0 ? this.mLow[s]! : this.mHigh[s]!;
        if (q > 0 ? adverse <= liq : adverse >= liq) this.liquidate(s, liq);
      }
      const mc = this.mClose[s]!;
      if (mc === mc) pf.markPx[s] = mc;
    }
    const graceUs = this.cfg.funding.grace_ms * 1000;
    for (let s = 0; s < this.n; s++) {
      if (pf.qty[s] === 0) continue;
      // nothing is due yet (checkFunding would do nothing)
      const nd = this.nextDue[s]!;
      if (nd !== nd || this.now > nd + graceUs) this.checkFunding(s);
    }
    const equity = pf.revalue();
    const t = this.now;
    // the controller sees the equity first, so the row carries the state it leads to
    const changed = this.dd.update(equity, t);
    if (this.barSinceRecord && t >= this.data.start) {
      this.barSinceRecord = false;
      this.recordEquity();
    }
    if (changed) {
      this.event('drawdown_state', -1, `${DD_STATE_NAMES[this.dd.state]} at drawdown ${(this.dd.drawdown * 100).toFixed(2)}%`);
      if (this.dd.state === DD_HALTED) this.flatten(1);
    }
    if (this.cfg.kill_switch.enabled && this.killed === KILL_NONE) this.checkKill(equity);
  }

  /** One equity row from the aggregates of the last revalue(). */
  private recordEquity(): void {
    const pf = this.pf;
    const i = this.eqN;
    if (i === this.eqTime.length) this.growEquity();
    this.eqTime[i] = this.now;
    this.eqEquity[i] = pf.aggEquity;
    this.eqCash[i] = pf.cash;
    this.eqUnrealised[i] = pf.aggUnrealised;
    this.eqAccrued[i] = pf.aggAccrued;
    this.eqMargin[i] = pf.aggMargin;
    this.eqGross[i] = pf.aggGross;
    this.eqNet[i] = pf.aggNet;
    this.eqDrawdown[i] = this.dd.drawdown;
    this.eqState[i] = this.dd.state;
    this.eqN = i + 1;
  }

  private growEquity(): void {
    const g = <T extends Float64Array | Int32Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.eqTime = g(this.eqTime);
    this.eqEquity = g(this.eqEquity);
    this.eqCash = g(this.eqCash);
    this.eqUnrealised = g(this.eqUnrealised);
    this.eqAccrued = g(this.eqAccrued);
    this.eqMargin = g(this.eqMargin);
    this.eqGross = g(this.eqGross);
    this.eqNet = g(this.eqNet);
    this.eqDrawdown = g(this.eqDrawdown);
    this.eqState = g(this.eqState);
  }

  private liquidate(s: number, liq: number): void {
    const q = this.pf.qty[s]!;
    const open = this.mOpen[s]!;
    // gaps through the liquidation price fill at the open
    const px = q > 0 ? Math.min(liq, open) : Math.max(liq, open);
    const entry = this.pf.entry[s]!;
    const margin = this.pf.margin[s]!;
    this.book.cancelAll(s, 'replaced');
    const id = this.book.add(s, ORDER_MARKET, -q, Number.NaN, this.now, this.now, true, 3);
    this.book.status.set(id, ST_FILLED);
    this.book.remaining.set(id, 0);
    this.pf.liquidate(s, px, this.cfg.margin.liquidation_fee_rate, this.liqOut);
    const [change, fee, absorbed] = this.liqOut;
    this.recordFill(id, s, this.now, -q, px, liq, fee!, this.cfg.margin.liquidation_fee_rate, 0, 0, 0, 1, change! + fee!, this.mLow[s]!, this.mHigh[s]!, FILL_LIQUIDATION);
    this.c.liquidations++;
    this.event(
      'liquidation',
      s,
      `${q > 0 ? 'long' : 'short'} ${Math.abs(q)} entry ${entry} liquidation price ${liq} filled ${px}; margin ${margin}; cash ${change}; fee ${fee}; loss beyond margin absorbed ${absorbed}`,
    );
  }

  /**
   * Cross margin: each position's mark moves from its bar's open to its adverse extreme along
   * one path, o + lambda (adverse - o), lambda in [0, 1] (symbols without a new mark bar stay at
   * their mark). Equity - maintenance is linear in lambda: A + lambda B. Liquidation when it is
   * negative at the extremes; every position closes at lambda* = -A / B (0 when the open already
   * breaches: a gap), each paying the liquidation fee; the account's loss is capped at its equity.
   */
  private crossMarginCheck(): void {
    const pf = this.pf;
    const mmr = pf.mmr;
    let a = pf.cash + pf.accruedTotal();
    let b = 0;
    let any = false;
    for (let s = 0; s < this.n; s++) {
      const q = pf.qty[s]!;
      if (q === 0) continue;
      any = true;
      let o = pf.markPx[s]!;
      let adv = o;
      if (this.dirty[s] === 1) {
        o = this.mOpen[s]!;
        adv = q > 0 ? this.mLow[s]! : this.mHigh[s]!;
      }
      this.crossO[s] = o;
      this.crossAdv[s] = adv;
      const aq = q < 0 ? -q : q;
      // maintenance bracket of the position at the open (flat mmr without tiers); kept along the path
      pf.bracket(s, aq * o, this.liqOut);
      const mr = pf.tiers ? this.liqOut[0]! : mmr;
      const cum = pf.tiers ? this.liqOut[1]! : 0;
      a += q * (o - pf.entry[s]!) - (mr * aq * o - cum);
      const d = adv - o;
      b += q * d - mr * aq * d;
    }
    if (!any || a + b >= 0) return;
    const lambda = a <= 0 ? 0 : -a / b;
    const rate = this.cfg.margin.liquidation_fee_rate;
    const before = pf.cash;
    const parts: string[] = [];
    for (let s = 0; s < this.n; s++) {
      const q = pf.qty[s]!;
      if (q === 0) continue;
      const o = this.crossO[s]!;
      const px = o + lambda * (this.crossAdv[s]! - o);
      const pnl = q * (px - pf.entry[s]!);
      const fee = Math.abs(q) * px * rate;
      pf.cash += pnl - fee;
      this.book.cancelAll(s, 'replaced');
      const id = this.book.add(s, ORDER_MARKET, -q, Number.NaN, this.now, this.now, true, 3);
      this.book.status.set(id, ST_FILLED);
      this.book.remaining.set(id, 0);
      pf.flat(s);
      this.recordFill(id, s, this.now, -q, px, o, fee, rate, 0, 0, 0, 1, pnl, this.dirty[s] === 1 ? this.mLow[s]! : px, this.dirty[s] === 1 ? this.mHigh[s]! : px, FILL_LIQUIDATION);
      this.c.liquidations++;
      parts.push(`${this.data.symbols[s]} ${q} at ${px}`);
    }
    pf.cash += pf.accruedTotal();
    pf.accrued.fill(0);
    let absorbed = 0;
    if (pf.cash < 0) {
      absorbed = -pf.cash;
      pf.cash = 0;
    }
    this.event('liquidation', -1, `cross margin: account liquidated (lambda ${lambda}): ${parts.join(', ')}; cash ${before} -> ${pf.cash}; loss beyond equity absorbed ${absorbed}`);
  }

  private checkKill(equity: number): void {
    const k = this.cfg.kill_switch;
    const day = Math.floor(this.now / DAY_US);
    if (day !== this.day) {
      this.day = day;
      this.dayEquity = equity;
    }
    let reason = KILL_NONE;
    let detail = '';
    if (equity < this.dayEquity * (1 - k.daily_loss)) {
      reason = KILL_DAILY_LOSS;
      detail = `equity ${equity.toFixed(2)} is ${((1 - equity / this.dayEquity) * 100).toFixed(2)}% below the day's opening ${this.dayEquity.toFixed(2)}`;
    } else {
      const stale = k.stale_data_ms * 1000;
      for (let s = 0; s < this.n; s++) {
        if (this.pf.qty[s] !== 0 && this.now - this.lastBarTime[s]! > stale) {
          reason = KILL_STALE_DATA;
          detail = `no bar of ${this.data.symbols[s]} since ${isoFromMicros(this.lastBarTime[s]!)}`;
          break;
        }
      }
    }
    if (reason !== KILL_NONE) this.kill(reason, detail);
  }

  private kill(reason: number, detail: string): void {
    this.killed = reason;
    this.event('kill_switch', -1, `${KILL_REASONS[reason]}: ${detail}; flattening and stopping`);
    this.flatten(2);
  }

  /** Market orders closing every position (origin 1 drawdown, 2 kill switch, 4 exit); open orders cancelled. */
  private flatten(origin: number): void {
    for (let s = 0; s < this.n; s++) {
      this.book.requestCancel(s, this.now + this.latencyUs, true);
      const q = this.pf.qty[s]! + this.book.pending(s);
      if (q !== 0 || this.pf.qty[s] !== 0) {
        const id = this.book.add(s, ORDER_MARKET, -(q || this.pf.qty[s]!), Number.NaN, this.now, this.now + this.latencyUs, true, origin);
        this.book.open[s]!.push(id);
      }
    }
  }

  private event(kind: EngineResult['events'][number]['kind'], s: number, detail: string): void {
    this.events.push({ time: this.now, kind, symbol: s >= 0 ? (this.data.symbols[s] ?? null) : null, detail });
  }

  // ---- strategy and orders ----------------------------------------------------------------------

  private onDecision(r: number): void {
    const d = this.data.decisions;
    const t = d.time[r]!;
    if (t < this.data.start || t >= this.data.end || this.killed !== KILL_NONE) return;
    this.decisionRow = r;
    this.decisionSym = d.sym[r]!;
    this.c.decisions++;
    this.strategy.onDecision(this.ctx);
  }

  /** true when the §9.3 regime filter forbids new exposure in s now */
  private filtered(s: number): boolean {
    const f = this.cfg.regime_filter;
    if (!f.enabled) return false;
    this.rolled(s);
    const a = this.sigma.std(s);
    const b = this.sigmaRef.std(s);
    if (a > 0 && b > 0 && a / b > f.vol_shutdown) return true;
    if (this.strategy.kind === 'carry' && Math.abs(this.lastRate[s]!) * 1e4 > f.max_funding_bps) return true;
    if (this.strategy.kind === 'cross_asset' && this.corrCol >= 0) {
      const c = this.data.decisions.values[this.corrCol]![this.decisionRow]!;
      if (c === c && Math.abs(c) < f.min_correlation) return true;
    }
    return false;
  }

  private price(s: number): number {
    const m = this.pf.markPx[s]!;
    return m === m ? m : this.lastClose[s]!;
  }

  /** Accepts or rejects an order from the strategy; returns its id or -1. */
  submit(s: number, type: number, qty: number, px: number, reduceOnly: boolean): number {
    if (!(qty !== 0 && Number.isFinite(qty)) || s < 0 || s >= this.n) return -1;
    const t = this.now;
    const id = this.book.add(s, type, qty, px, t, t + this.latencyUs + this.extraLatencyUs, reduceOnly, 0);
    const ins = this.data.instruments[s]!;
    const q = this.pf.qty[s]! + this.book.pending(s);
    const after = q + qty;
    const increases = Math.abs(after) > Math.abs(q) + 1e-12;
    let reason: Reason = '';
    if (t < ins.valid_from || t >= ins.valid_to) {
      reason = 'outside_universe';
      this.c.outside_universe++;
    } else if (this.killed !== KILL_NONE) reason = 'kill_switch';
    else if (increases && (this.dd.state === DD_HALTED || this.dd.state === DD_COOLDOWN)) reason = 'halted';
    else if (increases && this.filtered(s)) reason = 'regime_filter';
    else if (increases) {
      const p = this.price(s);
      const equity = this.pf.equity();
      const grossAfter = this.pf.gross() - Math.abs(this.pf.qty[s]! * p) + Math.abs(after * p);
      if (grossAfter > this.cfg.sizing.max_gross_leverage * equity * (1 + 1e-9)) reason = 'leverage';
      else if (Math.abs(after * p) > this.cfg.sizing.max_position_pct * equity * (1 + 1e-9)) reason = 'leverage';
      // the venue's bracket for the size after the order allows at most its max leverage
      else if (this.cfg.margin.leverage > this.pf.bracket(s, Math.abs(after * p), this.liqOut)) reason = 'leverage';
      else if ((Math.abs(after) - Math.abs(q)) * p * this.pf.imr > equity - this.pf.marginUsed()) reason = 'margin';
    }
    if (reason !== '') {
      this.book.reject(id, reason);
      this.c.rejected++;
      if (++this.rejectsInRow >= this.cfg.kill_switch.max_consecutive_rejects && this.cfg.kill_switch.enabled && this.killed === KILL_NONE) {
        this.kill(KILL_REJECTS, `${this.rejectsInRow} orders rejected in a row (last: ${reason})`);
      }
      return -1;
    }
    this.rejectsInRow = 0;
    this.book.open[s]!.push(id);
    return id;
  }

  /** Sizing of ctx.target (see StrategyContext.target). */
  target(s: number, weight: number): void {
    if (s < 0 || s >= this.n || !Number.isFinite(weight)) return;
    const sz = this.cfg.sizing;
    const p = this.price(s);
    if (!(p > 0)) return;
    this.rolled(s);
    const equity = this.pf.equity();
    const q = this.pf.qty[s]!;
    let notional = 0;
    if (weight !== 0) {
      const base = baseNotional(sz, equity, this.volRoll.std(s), this.data.bars[s]!.timeframe_us);
      if (!(base > 0)) return; // no completed-bar volatility yet: no trade
      notional = weight * base * this.dd.multiplier();
      const cap = sz.max_position_pct * equity;
      if (Math.abs(notional) > cap) notional = Math.sign(notional) * cap;
      const others = this.pf.gross() - Math.abs(q * p);
      const room = Math.max(0, sz.max_gross_leverage * equity - others);
      if (Math.abs(notional) > room) notional = Math.sign(notional) * room;
      // the regime filter allows no new exposure: keep at most the current position on the same side
      if (this.filtered(s)) notional = Math.sign(notional) === Math.sign(q) ? Math.sign(notional) * Math.min(Math.abs(notional), Math.abs(q * p)) : 0;
    }
    const tq = roundToLot(notional / p, this.data.instruments[s]!.lot_base);
    // resting limits and stops of s are withdrawn; market orders in flight will fill, so they count
    this.book.requestCancel(s, this.now + this.latencyUs, false);
    const have = q + this.book.pending(s);
    const delta = tq - have;
    if (Math.abs(delta * p) < sz.min_order_notional) return;
    if (tq !== 0 && have !== 0 && Math.sign(tq) === Math.sign(have) && Math.abs(delta) < sz.rebalance_threshold * Math.abs(have)) return;
    this.submit(s, ORDER_MARKET, delta, Number.NaN, tq === 0 || (Math.abs(tq) < Math.abs(have) && Math.sign(tq) === Math.sign(have)));
  }

  private makeContext(): StrategyContext {
    // One object for the whole run: the strategy is called with it at every decision.
    return new DecisionContext(this);
  }

  currentTime(): number {
    return this.now;
  }

  currentSymbol(): number {
    return this.decisionSym;
  }

  column(c: number): number {
    const v = this.data.decisions.values;
    return c >= 0 && c < v.length ? v[c]![this.decisionRow]! : Number.NaN;
  }

  lastCloseOf(s: number): number {
    return this.lastClose[s] ?? Number.NaN;
  }

  positionOf(s: number): number {
    return this.pf.qty[s] ?? 0;
  }

  pendingOf(s: number): number {
    return s >= 0 && s < this.n ? this.book.pending(s) : 0;
  }

  equityNow(): number {
    return this.pf.equity();
  }

  cancel(s: number): void {
    if (s >= 0 && s < this.n) this.book.requestCancel(s, this.now + this.latencyUs, true);
  }

  random(): number {
    return this.uniform();
  }

  private result(): EngineResult {
    const b = this.book;
    const arr = <T extends Record<string, F64Col | I32Col>>(o: T): { [K in keyof T]: T[K] extends F64Col ? Float64Array : Int32Array } =>
      Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v.toArray()])) as never;
    return {
      symbols: this.data.symbols,
      ...(this.data.instruments.some((i) => i.fee_tiers) ? { fee_tier_names: this.data.instruments.map((i) => (i.fee_tiers ?? []).map((t) => t.name)) } : {}),
      orders: {
        sym: b.sym.toArray(),
        type: b.type.toArray(),
        qty: b.qty.toArray(),
        remaining: b.remaining.toArray(),
        price: b.price.toArray(),
        created: b.created.toArray(),
        arrival: b.arrival.toArray(),
        reduce_only: b.reduceOnly.toArray(),
        status: b.status.toArray(),
        reason: b.reason.toArray(),
        origin: b.origin.toArray(),
      },
      fills: arr(this.fills),
      equity: {
        time: this.eqTime.subarray(0, this.eqN),
        equity: this.eqEquity.subarray(0, this.eqN),
        cash: this.eqCash.subarray(0, this.eqN),
        unrealised: this.eqUnrealised.subarray(0, this.eqN),
        accrued_funding: this.eqAccrued.subarray(0, this.eqN),
        margin_used: this.eqMargin.subarray(0, this.eqN),
        gross: this.eqGross.subarray(0, this.eqN),
        net: this.eqNet.subarray(0, this.eqN),
        drawdown: this.eqDrawdown.subarray(0, this.eqN),
        state: this.eqState.subarray(0, this.eqN),
      },
      funding: arr(this.fund),
      positions: arr(this.pos),
      events: this.events,
      counters: {
        ...this.c,
        orders: b.length,
        kill_switch: this.killed === KILL_NONE ? null : KILL_REASONS[this.killed]!,
        final_equity: this.pf.equity(),
      },
    };
  }
}

/** The StrategyContext handed to strategies: a thin view of the engine, allocated once. */
class DecisionContext implements StrategyContext {
  readonly symbols: readonly string[];

  constructor(private readonly e: Engine) {
    this.symbols = e.data.symbols;
  }

  get time(): number {
    return this.e.currentTime();
  }

  get symbol(): number {
    return this.e.currentSymbol();
  }

  feature(c: number): number {
    return this.e.column(c);
  }

  close(s: number): number {
    return this.e.lastCloseOf(s);
  }

  position(s: number): number {
    return this.e.positionOf(s);
  }

  pending(s: number): number {
    return this.e.pendingOf(s);
  }

  equity(): number {
    return this.e.equityNow();
  }

  target(s: number, w: number): void {
    this.e.target(s, w);
  }

  market(s: number, q: number, ro = false): number {
    return this.e.submit(s, ORDER_MARKET, q, Number.NaN, ro);
  }

  limit(s: number, q: number, p: number, ro = false): number {
    return p > 0 ? this.e.submit(s, ORDER_LIMIT, q, p, ro) : -1;
  }

  stop(s: number, q: number, p: number, ro = false): number {
    return p > 0 ? this.e.submit(s, ORDER_STOP, q, p, ro) : -1;
  }

  cancel(s: number): void {
    this.e.cancel(s);
  }

  random(): number {
    return this.e.random();
  }
}

export { KILL_REASONS, DD_STATE_NAMES };
