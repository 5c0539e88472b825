import { F64Col, I32Col } from './columns.js';

/**
 * Orders, struct-of-arrays. An order is created at a decision time, arrives at the venue after
 * the latency, and from then on is matched against the first bar that opens at or after its
 * arrival (engine.ts), so it can never fill in the bar that produced its signal.
 */

export const ORDER_MARKET = 0;
export const ORDER_LIMIT = 1;
export const ORDER_STOP = 2;
export const ORDER_TYPES = ['market', 'limit', 'stop'] as const;

export const ST_OPEN = 0;
export const ST_FILLED = 1;
export const ST_CANCELLED = 2;
export const ST_REJECTED = 3;
export const ORDER_STATUS = ['open', 'filled', 'cancelled', 'rejected'] as const;

/** why an order was rejected or cancelled */
export const REASONS = [
  '',
  'outside_universe',
  'halted',
  'kill_switch',
  'leverage',
  'margin',
  'reduce_only',
  'replaced',
  'end_of_data',
  'regime_filter',
  'min_size',
] as const;
export type Reason = (typeof REASONS)[number];
export const reasonCode = (r: Reason): number => REASONS.indexOf(r);

/** what sent the order */
export const ORIGINS = ['strategy', 'flatten_drawdown', 'flatten_kill_switch', 'liquidation', 'flatten_exit'] as const;

export class OrderBook {
  readonly sym = new I32Col();
  readonly type = new I32Col();
  /** signed size asked, base units */
  readonly qty = new F64Col();
  /** signed size still to fill */
  readonly remaining = new F64Col();
  /** limit or stop price; NaN for market */
  readonly price = new F64Col();
  readonly created = new F64Col();
  readonly arrival = new F64Col();
  readonly reduceOnly = new I32Col();
  readonly status = new I32Col();
  readonly reason = new I32Col();
  readonly origin = new I32Col();
  /** stop orders: 1 once triggered (they then fill like market orders) */
  readonly triggered = new I32Col();
  /**
   * when a cancel request reaches the venue, µs (Infinity: none). A cancel travels with the same
   * latency as an order, so an order that fills in a bar opening before then still fills.
   */
  readonly cancelAt = new F64Col();
  /** open orders per symbol, oldest first */
  readonly open: number[][];

  constructor(nSym: number) {
    this.open = Array.from({ length: nSym }, () => []);
  }

  get length(): number {
    return this.sym.length;
  }

  add(sym: number, type: number, qty: number, price: number, created: number, arrival: number, reduceOnly: boolean, origin: number): number {
    const id = this.sym.length;
    this.sym.push(sym);
    this.type.push(type);
    this.qty.push(qty);
    this.remaining.push(qty);
    this.price.push(price);
    this.created.push(created);
    this.arrival.push(arrival);
    this.reduceOnly.push(reduceOnly ? 1 : 0);
    this.status.push(ST_OPEN);
    this.reason.push(0);
    this.origin.push(origin);
    this.triggered.push(0);
    this.cancelAt.push(Infinity);
    return id;
  }

  /** Records an order refused at submission (never open). */
  reject(id: number, reason: Reason): void {
    this.status.set(id, ST_REJECTED);
    this.reason.set(id, reasonCode(reason));
  }

  /** Cancels every open order of a symbol. */
  cancelAll(sym: number, reason: Reason): void {
    const list = this.open[sym]!;
    for (const id of list) {
      this.status.set(id, ST_CANCELLED);
      this.reason.set(id, reasonCode(reason));
    }
    list.length = 0;
  }

  /** Requests the cancellation of the open orders of a symbol, effective at the venue at `at` (µs). */
  requestCancel(sym: number, at: number, marketToo: boolean): void {
    for (const id of this.open[sym]!) {
      if (!marketToo && this.type.get(id) === ORDER_MARKET) continue;
      if (at < this.cancelAt.get(id)) this.cancelAt.set(id, at);
    }
  }

  /** Signed size of the open orders of a symbol not being cancelled. */
  pending(sym: number): number {
    let p = 0;
    for (const id of this.open[sym]!) if (this.cancelAt.get(id) === Infinity) p += this.remaining.get(id);
    return p;
  }
}
