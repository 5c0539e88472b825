import { describe, expect, it } from 'vitest';
import { OrderBook, ORDER_LIMIT, ORDER_MARKET, ORDER_STOP, reasonCode, ST_CANCELLED, ST_OPEN, ST_REJECTED } from '../../src/engine/orders.js';

/** A book with, for symbol 0: a market buy 2, a limit sell -1, a stop buy 0.5; for symbol 1: a limit buy 3. */
function book(): OrderBook {
  const b = new OrderBook(2);
  const add = (sym: number, type: number, qty: number): number => {
    const id = b.add(sym, type, qty, type === ORDER_MARKET ? Number.NaN : 100, 10, 20, false, 0);
    b.open[sym]!.push(id);
    return id;
  };
  add(0, ORDER_MARKET, 2);
  add(0, ORDER_LIMIT, -1);
  add(0, ORDER_STOP, 0.5);
  add(1, ORDER_LIMIT, 3);
  return b;
}

describe('order book', () => {
  it('add records every field, open, no cancel requested; length counts orders ever added', () => {
    const b = book();
    expect(b.length).toBe(4);
    expect([b.sym.get(3), b.type.get(3), b.qty.get(3), b.remaining.get(3), b.price.get(3), b.created.get(3), b.arrival.get(3)]).toEqual([1, ORDER_LIMIT, 3, 3, 100, 10, 20]);
    expect([b.status.get(0), b.reduceOnly.get(0), b.triggered.get(0), b.cancelAt.get(0)]).toEqual([ST_OPEN, 0, 0, Infinity]);
    const id = b.add(1, ORDER_MARKET, -1, Number.NaN, 1, 2, true, 3);
    expect([id, b.reduceOnly.get(id), b.origin.get(id), b.length]).toEqual([4, 1, 3, 5]);
  });

  it('reject marks the order rejected with its reason', () => {
    const b = book();
    b.reject(1, 'min_size');
    expect([b.status.get(1), b.reason.get(1)]).toEqual([ST_REJECTED, reasonCode('min_size')]);
    expect(b.status.get(0)).toBe(ST_OPEN);
  });

  it("cancelAll cancels every open order of that symbol only, with the reason, and empties its list", () => {
    const b = book();
    b.cancelAll(0, 'end_of_data');
    for (const id of [0, 1, 2]) expect([b.status.get(id), b.reason.get(id)]).toEqual([ST_CANCELLED, reasonCode('end_of_data')]);
    expect(b.status.get(3)).toBe(ST_OPEN);
    expect(b.open[0]).toEqual([]);
    expect(b.open[1]).toEqual([3]);
  });

  it('requestCancel: the earliest request wins; market orders only with marketToo; pending leaves out orders being cancelled', () => {
    const b = book();
    expect(b.pending(0)).toBe(2 - 1 + 0.5);
    b.requestCancel(0, 500, false);
    expect([b.cancelAt.get(0), b.cancelAt.get(1), b.cancelAt.get(2), b.cancelAt.get(3)]).toEqual([Infinity, 500, 500, Infinity]);
    expect(b.pending(0)).toBe(2); // only the market order is not being cancelled
    expect(b.pending(1)).toBe(3);
    b.requestCancel(0, 700, true); // later: does not move the earlier requests
    expect([b.cancelAt.get(0), b.cancelAt.get(1)]).toEqual([700, 500]);
    b.requestCancel(0, 300, true); // earlier: wins
    expect([b.cancelAt.get(0), b.cancelAt.get(1), b.cancelAt.get(2)]).toEqual([300, 300, 300]);
    expect(b.pending(0)).toBe(0);
    expect(b.status.get(1)).toBe(ST_OPEN); // a request is not a cancellation
  });
});
