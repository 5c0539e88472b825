/**
 * Portfolio with isolated margin: per symbol a signed position (base units), its average entry
 * price, the margin posted for it and the funding accrued but not yet settled. Cash holds realised
 * P&L, fees and settled funding. Identity at every step:
 *   equity = cash + unrealised + accrued funding
 */
export class Portfolio {
  cash: number;
  readonly qty: Float64Array;
  readonly entry: Float64Array;
  readonly margin: Float64Array;
  /** funding accrued and not settled, quote currency; > 0 received, < 0 owed */
  readonly accrued: Float64Array;
  /** time the current position was opened from flat, µs (NaN when flat) */
  readonly heldSince: Float64Array;
  /** price each position is marked at (mark close, else last traded close) */
  readonly markPx: Float64Array;

  constructor(
    nSym: number,
    initialCash: number,
    /** initial margin rate = 1 / leverage */
    readonly imr: number,
    /** maintenance margin rate */
    readonly mmr: number,
    /** per symbol, maintenance brackets by notional (InstrumentInfo.margin_tiers), or null: mmr */
    readonly tiers: ReadonlyArray<ReadonlyArray<{ max_notional: number; max_leverage: number; mmr: number; cum: number }> | null> | null = null,
  ) {
    this.cash = initialCash;
    this.qty = new Float64Array(nSym);
    this.entry = new Float64Array(nSym);
    this.margin = new Float64Array(nSym);
    this.accrued = new Float64Array(nSym);
    this.heldSince = new Float64Array(nSym).fill(Number.NaN);
    this.markPx = new Float64Array(nSym).fill(Number.NaN);
  }

  unrealised(): number {
    let u = 0;
    for (let s = 0; s < this.qty.length; s++) {
      const q = this.qty[s]!;
      if (q !== 0) u += q * (this.markPx[s]! - this.entry[s]!);
    }
    return u;
  }

  accruedTotal(): number {
    let a = 0;
    for (let s = 0; s < this.accrued.length; s++) a += this.accrued[s]!;
    return a;
  }

  marginUsed(): number {
    let m = 0;
    for (let s = 0; s < this.margin.length; s++) m += this.margin[s]!;
    return m;
  }

  gross(): number {
    let g = 0;
    // a flat symbol adds nothing, also before its first price (mark NaN: 0 x NaN would make the
    // gross NaN, and every gross-leverage check against it false)
    for (let s = 0; s < this.qty.length; s++) {
      const q = this.qty[s]!;
      if (q !== 0) g += Math.abs(q * this.markPx[s]!);
    }
    return g;
  }

  equity(): number {
    return this.cash + this.unrealised() + this.accruedTotal();
  }

  // Aggregates of the last `revalue()`, one pass over the symbols per margin step.
  aggUnrealised = 0;
  aggAccrued = 0;
  aggMargin = 0;
  aggGross = 0;
  aggNet = 0;
  aggEquity = 0;

  /** Computes every aggregate in one pass; returns equity. */
  revalue(): number {
    let u = 0;
    let a = 0;
    let m = 0;
    let g = 0;
    let nt = 0;
    const qty = this.qty;
    const px = this.markPx;
    for (let s = 0; s < qty.length; s++) {
      a += this.accrued[s]!;
      const q = qty[s]!;
      if (q === 0) continue;
      const p = px[s]!;
      u += q * (p - this.entry[s]!);
      m += this.margin[s]!;
      const v = q * p;
      nt += v;
      g += v < 0 ? -v : v;
    }
    this.aggUnrealised = u;
    this.aggAccrued = a;
    this.aggMargin = m;
    this.aggGross = g;
    this.aggNet = nt;
    this.aggEquity = this.cash + u + a;
    return this.aggEquity;
  }

  /**
   * Applies a fill of `dq` (signed base units) at `price` with `fee` (quote currency); returns the
   * realised P&L. Increasing a position posts notional x imr of margin; reducing releases margin
   * in proportion and realises P&L against the average entry; crossing zero does both.
   */
  fill(s: number, dq: number, price: number, fee: number, t: number): number {
    const q = this.qty[s]!;
    let realised = 0;
    this.cash -= fee;
    if (q === 0 || Math.sign(q) === Math.sign(dq)) {
      const nq = q + dq;
      this.entry[s] = (Math.abs(q) * this.entry[s]! + Math.abs(dq) * price) / Math.abs(nq);
      this.margin[s] = this.margin[s]! + Math.abs(dq) * price * this.imr;
      if (q === 0) this.heldSince[s] = t;
      this.qty[s] = nq;
      return 0;
    }
    const closing = Math.min(Math.abs(dq), Math.abs(q));
    realised = closing * (price - this.entry[s]!) * Math.sign(q);
    this.cash += realised;
    const left = Math.abs(q) - closing;
    const opening = Math.abs(dq) - closing;
    if (left > 1e-12) {
      this.margin[s] = this.margin[s]! * (left / Math.abs(q));
      this.qty[s] = q + dq;
    } else if (opening > 1e-12) {
      this.margin[s] = opening * price * this.imr;
      this.entry[s] = price;
      this.qty[s] = Math.sign(dq) * opening;
      this.heldSince[s] = t;
    } else this.flat(s);
    return realised;
  }

  /** Clears a closed position (accrued funding stays until it settles). */
  flat(s: number): void {
    this.qty[s] = 0;
    this.entry[s] = 0;
    this.margin[s] = 0;
    this.heldSince[s] = Number.NaN;
  }

  /**
   * Mark price at which the isolated position of s is liquidated: where margin + accrued funding
   * + unrealised P&L falls to the maintenance margin (mmr x |q| x P).
   *   long:  P = (q E - m') / (q (1 - mmr))      short: P = (m' + |q| E) / (|q| (1 + mmr))
   * with m' = posted margin + accrued funding (unpaid funding reduces margin first). NaN when flat.
   */
  liquidationPrice(s: number): number {
    const q = this.qty[s]!;
    if (q === 0) return Number.NaN;
    const m = this.margin[s]! + this.accrued[s]!;
    const e = this.entry[s]!;
    const tiers = this.tiers?.[s];
    if (tiers) {
      // bracketed maintenance (notional x mmr_k - cum_k): the price solved in bracket k whose
      // notional lies in bracket k (the margin is continuous, so one bracket is consistent)
      const a = Math.abs(q);
      let lo = 0;
      for (const t of tiers) {
        const p = q > 0 ? (q * e - m - t.cum) / (q * (1 - t.mmr)) : (m + a * e + t.cum) / (a * (1 + t.mmr));
        const n = a * p;
        if (n > lo && n <= t.max_notional) return p;
        if (!(n > lo) && lo === 0) return p; // at or below zero notional: the position cannot be liquidated above 0
        lo = t.max_notional;
      }
    }
    if (q > 0) return (q * e - m) / (q * (1 - this.mmr));
    const a = -q;
    return (m + a * e) / (a * (1 + this.mmr));
  }

  /**
   * Maintenance-margin bracket for a notional of s: its mmr and cum (flat mmr, cum 0 without
   * tiers), written to out[0], out[1]; returns the bracket's max leverage (Infinity without tiers
   * or beyond the last bracket: 0).
   */
  bracket(s: number, notional: number, out: Float64Array): number {
    const tiers = this.tiers?.[s];
    if (!tiers) {
      out[0] = this.mmr;
      out[1] = 0;
      return Infinity;
    }
    for (const t of tiers) {
      if (notional <= t.max_notional) {
        out[0] = t.mmr;
        out[1] = t.cum;
        return t.max_leverage;
      }
    }
    const last = tiers[tiers.length - 1]!;
    out[0] = last.mmr;
    out[1] = last.cum;
    return 0;
  }

  /**
   * Liquidates s at `price` with a fee of `feeRate` x notional. The isolated loss (P&L, accrued
   * funding and fee) is capped at the posted margin; the excess is the venue's (insurance fund).
   * Returns [cash change, fee charged, loss absorbed beyond the margin].
   */
  liquidate(s: number, price: number, feeRate: number, out: Float64Array): void {
    const q = this.qty[s]!;
    const pnl = q * (price - this.entry[s]!);
    const fee = Math.abs(q) * price * feeRate;
    const raw = pnl + this.accrued[s]! - fee;
    const floor = -this.margin[s]!;
    const change = Math.max(raw, floor);
    this.cash += change;
    this.accrued[s] = 0;
    out[0] = change;
    out[1] = fee;
    out[2] = change - raw;
    this.flat(s);
  }
}
