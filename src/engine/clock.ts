/**
 * The one clock of the engine: every input row becomes an event ordered by (available_time,
 * kind, stream, row). Kinds are numbered in the documented within-timestamp order, so at one
 * timestamp data comes first, then funding, then settlements, then strategy decisions; the
 * mark-to-market and margin step runs between the last data/funding event and the first decision
 * (engine.ts), and orders sent by a decision wait for their latency.
 *
 * Built by a k-way merge of streams that are each sorted by time: no sort of the whole event set,
 * four typed arrays out, nothing allocated per event afterwards.
 */

/** a top-of-book quote (execution of market orders where quotes exist) */
export const EV_QUOTE = 0;
/** a trade print (execution of every order type where trades are loaded) */
export const EV_TRADE = 1;
/** a bar of traded prices (the execution series of a symbol) */
export const EV_BAR = 2;
/** a mark-price bar */
export const EV_MARK = 3;
/** a funding print (settlement, or accrual on venues that accrue hourly) */
export const EV_FUNDING = 4;
/** a scheduled settlement of accrued funding (venues that accrue between settlements) */
export const EV_SETTLE = 5;
/** a decision row (features/predictions) handed to the strategy */
export const EV_DECISION = 6;

export interface ClockStream {
  kind: number;
  /** symbol index; decisions carry their symbol per row, pass 0 */
  sym: number;
  /** available_time of each row, µs, non-decreasing */
  time: Float64Array;
}

export interface Clock {
  n: number;
  time: Float64Array;
  kind: Uint8Array;
  sym: Uint16Array;
  row: Uint32Array;
}

export function buildClock(streams: readonly ClockStream[]): Clock {
  // Stable order of streams: by kind, then symbol, then given order.
  const order = streams
    .map((s, i) => ({ s, i }))
    .sort((a, b) => a.s.kind - b.s.kind || a.s.sym - b.s.sym || a.i - b.i)
    .map((x) => x.s);
  let n = 0;
  for (const s of order) {
    const t = s.time;
    if (t.length > 0 && t[0] !== t[0]) throw new Error(`clock: stream kind ${s.kind} symbol ${s.sym} has no available_time at row 0`);
    for (let i = 1; i < t.length; i++) {
      if (!(t[i]! >= t[i - 1]!)) throw new Error(`clock: stream kind ${s.kind} symbol ${s.sym} is not sorted by available_time at row ${i}`);
    }
    n += t.length;
  }
  const time = new Float64Array(n);
  const kind = new Uint8Array(n);
  const sym = new Uint16Array(n);
  const row = new Uint32Array(n);
  const k = order.length;
  const times = order.map((s) => s.time);
  const kinds = Uint8Array.from(order, (s) => s.kind);
  const syms = Uint16Array.from(order, (s) => s.sym);
  const heads = new Uint32Array(k);
  const headTime = new Float64Array(k);
  for (let j = 0; j < k; j++) headTime[j] = times[j]!.length > 0 ? times[j]![0]! : Infinity;
  // Timestamp-major merge: find the smallest head time once, then let every stream in the stable
  // order emit all its rows at that time. Same order as picking the smallest head per event with
  // ties to the earlier stream, with one scan of the heads per timestamp instead of per event.
  let e = 0;
  while (e < n) {
    let bt = Infinity;
    for (let j = 0; j < k; j++) {
      const ht = headTime[j]!;
      if (ht < bt) bt = ht;
    }
    for (let j = 0; j < k; j++) {
      const t = times[j]!;
      const len = t.length;
      let r = heads[j]!;
      // rows at +Infinity come last, in stream order
      if (r >= len || headTime[j] !== bt) continue;
      const kj = kinds[j]!;
      const sj = syms[j]!;
      do {
        time[e] = bt;
        kind[e] = kj;
        sym[e] = sj;
        row[e] = r;
        e++;
        r++;
      } while (r < len && t[r] === bt);
      heads[j] = r;
      headTime[j] = r < len ? t[r]! : Infinity;
    }
  }
  return { n, time, kind, sym, row };
}
