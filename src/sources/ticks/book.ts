/**
 * An L2 order book rebuilt from a snapshot and diffs (size = resting size after the update,
 * 0 removes the level), and the update-id rules that say whether a Binance depth diff may be
 * applied to it. A broken sequence is reported as such; the book is never patched across it.
 */

export type BookSide = 'bid' | 'ask';

export interface TopOfBook {
  bid_price: number | null;
  bid_size: number | null;
  ask_price: number | null;
  ask_size: number | null;
}

export class L2Book {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  set(side: BookSide, price: number, size: number): void {
    const m = side === 'bid' ? this.bids : this.asks;
    if (size === 0) m.delete(price);
    else m.set(price, size);
  }

  /** Best bid and ask (a scan of the levels: call it at sample points, not per update). */
  top(): TopOfBook {
    let bp = -Infinity;
    let ap = Infinity;
    for (const p of this.bids.keys()) if (p > bp) bp = p;
    for (const p of this.asks.keys()) if (p < ap) ap = p;
    return {
      bid_price: Number.isFinite(bp) ? bp : null,
      bid_size: Number.isFinite(bp) ? (this.bids.get(bp) ?? null) : null,
      ask_price: Number.isFinite(ap) ? ap : null,
      ask_size: Number.isFinite(ap) ? (this.asks.get(ap) ?? null) : null,
    };
  }
}

/**
 * What became of one depth diff:
 * - applied: in sequence, applied to the book
 * - stale: covered by the snapshot already (u older than its lastUpdateId), skipped
 * - unsynced: no usable snapshot yet (none received, or the sequence broke since), not applied
 * - gap: the diff does not follow the book's last update id; the book is invalid until the next snapshot
 */
export type DepthVerdict = 'applied' | 'stale' | 'unsynced' | 'gap';

/**
 * Binance's documented rules for a local book:
 * - spot: drop diffs with u <= lastUpdateId; the first one applied has U <= lastUpdateId+1 <= u;
 *   then each diff's U is the previous u + 1.
 * - futures (USD-M, COIN-M): drop diffs with u < lastUpdateId; the first one applied has
 *   U <= lastUpdateId <= u; then each diff's pu is the previous diff's u.
 */
export class BinanceDepthSync {
  /** update id the book is at; null = no usable book */
  last: number | null = null;
  private synced = false;
  /** gaps seen: [expected, got] */
  readonly gaps: Array<{ expected: number; first_update_id: number; update_id: number }> = [];

  constructor(readonly kind: 'spot' | 'futures') {}

  get valid(): boolean {
    return this.last !== null;
  }

  snapshot(lastUpdateId: number): void {
    this.last = lastUpdateId;
    this.synced = false;
  }

  diff(U: number, u: number, pu: number | undefined): DepthVerdict {
    const L = this.last;
    if (L === null) return 'unsynced';
    if (!this.synced) {
      if (this.kind === 'spot') {
        if (u <= L) return 'stale';
        if (U <= L + 1 && L + 1 <= u) return this.accept(u);
      } else {
        if (u < L) return 'stale';
        if (U <= L && L <= u) return this.accept(u);
      }
      return this.broken(L + (this.kind === 'spot' ? 1 : 0), U, u);
    }
    if (this.kind === 'spot') {
      if (U === L + 1) return this.accept(u);
      return this.broken(L + 1, U, u);
    }
    if (pu === L) return this.accept(u);
    return this.broken(L, pu ?? U, u);
  }

  private accept(u: number): DepthVerdict {
    this.synced = true;
    this.last = u;
    return 'applied';
  }

  private broken(expected: number, first: number, u: number): DepthVerdict {
    this.gaps.push({ expected, first_update_id: first, update_id: u });
    this.last = null;
    this.synced = false;
    return 'gap';
  }
}
