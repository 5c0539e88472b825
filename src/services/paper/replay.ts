import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { timestampValue } from '@duckdb/node-api';
import type { ServiceContext } from '../../domain/context.js';
import { DATASETS } from '../../domain/datasets.js';
import { PAPER_DEFAULTS } from '../../domain/defaults.js';
import { missingError, validationError } from '../../domain/errors.js';
import { isoFromMicros } from '../../domain/time.js';
import { runEngine, type EngineResult } from '../../engine/engine.js';
import type { BarSeries, DecisionSeries, FundingSeries, MarketData } from '../../engine/types.js';
import { loadStrategy } from '../../strategies/index.js';
import { datasetFiles, listOf } from '../../store/dataset.js';
import { runQuery } from '../../store/queries.js';
import type { Axis, BarSeries as PanelBars } from '../features/panel.js';
import { barOf } from './run.js';
import { paperDir, readSpec } from './files.js';
import { readJournal, type JournalEntry } from './session.js';
import { featureColumns } from './tail.js';

/**
 * `perpkit paper --replay RUN`: the recorded period through the backtest path. Bars are rebuilt
 * from the recorded trades dataset (the trades of each bar's interval received before the paper
 * closed it: point in time, duplicates re-sent after a reconnect counted once), the decision rows
 * by a full recompute of the features over those bars, funding from the prints the run received
 * (its journal); the batch engine (runEngine) runs them, and its bars, decisions, orders, fills
 * and final equity are compared with the paper run's: identical decisions (bar values, feature
 * values, order time, symbol, type, side, flags; size within 1e-6 relative, it depends on the
 * equity and so on fill prices), fills within --fill-tolerance bps (latency jitter: the paper adds
 * the measured compute time to the orders' latency), final equity within a fraction.
 */

export interface ReplayOptions {
  root: string;
  run_id: string;
  from?: number;
  to?: number;
  fill_tolerance_bps?: number;
  equity_tolerance?: number;
}

export interface Divergence {
  time: string;
  symbol: string | null;
  what: 'bar' | 'missing_bar' | 'decision' | 'order' | 'fill' | 'equity';
  detail: string;
}

export interface ReplayResult {
  run_id: string;
  parity: boolean;
  compared: { bars: number; decisions: number; orders: number; fills: number };
  max_fill_diff_bps: number;
  final_equity: { paper: number; replay: number };
  tolerance: { fill_bps: number; equity: number };
  first_divergence: Divergence | null;
  divergences: number;
  note: string | null;
}

const same = (a: number, b: number): boolean => a === b || (Number.isNaN(a) && Number.isNaN(b));

export async function replayPaper(o: ReplayOptions, ctx: ServiceContext): Promise<ReplayResult> {
  const spec = readSpec(o.root, o.run_id);
  const dir = paperDir(o.root, o.run_id);
  const { entries } = readJournal(join(dir, 'journal.jsonl'));
  const fillTol = o.fill_tolerance_bps ?? PAPER_DEFAULTS.fill_tolerance_bps;
  const eqTol = o.equity_tolerance ?? PAPER_DEFAULTS.equity_tolerance;
  const from = o.from ?? -Infinity;
  const to = o.to ?? Infinity;
  const inWindow = (t: number): boolean => t >= from && t < to;
  const n = spec.symbols.length;
  const tf = spec.tf_us;
  const flat = entries.find((e) => e.k === 'flat');
  const stopAt = flat ? flat.t : Infinity;
  const lastTime = entries.length ? entries[entries.length - 1]!.t : spec.start;
  const divs: Divergence[] = [];
  const diverge = (t: number, s: number, what: Divergence['what'], detail: string): void => {
    divs.push({ time: isoFromMicros(t), symbol: s >= 0 ? spec.symbols[s]! : null, what, detail });
  };

  // ---- bars from the recorded trades ----
  const paperBars = new Map<string, Extract<JournalEntry, { k: 'bar' }>>();
  for (const e of entries) if (e.k === 'bar') paperBars.set(`${e.s}/${e.ot}`, e);
  const files = await datasetFiles(o.root, DATASETS.trades, { venue: [spec.venue], symbol: spec.symbols });
  const trades = files.length
    ? await runQuery(ctx.db, 'paper/replay_trades', { files: listOf(files), from: timestampValue(BigInt(Math.round(spec.start))) })
    : [];
  const symIndex = new Map(spec.symbols.map((s, i) => [s, i]));
  const byBucket: Array<Map<number, Array<{ et: number; at: number; id: string; px: number; sz: number }>>> = spec.symbols.map(() => new Map());
  for (const r of trades) {
    const s = symIndex.get(String(r['symbol']));
    if (s === undefined) continue;
    const et = Number(r['et']);
    const ot = Math.floor(et / tf) * tf;
    let b = byBucket[s]!.get(ot);
    if (!b) byBucket[s]!.set(ot, (b = []));
    b.push({ et, at: Number(r['at']), id: String(r['trade_id']), px: Number(r['price']), sz: Number(r['size']) });
  }
  type Bar = { t: number; ot: number; o: number; h: number; l: number; c: number; v: number; n: number };
  const rbars: Bar[][] = spec.symbols.map(() => []);
  let comparedBars = 0;
  for (let s = 0; s < n; s++) {
    for (const [ot, list] of [...byBucket[s]!.entries()].sort((a, b) => a[0] - b[0])) {
      const pb = paperBars.get(`${s}/${ot}`);
      if (!pb) {
        // a bucket the paper had not closed when it stopped is not a divergence
        if (ot + tf + spec.bar_grace_ms * 1000 < lastTime && ot >= spec.start && inWindow(ot + tf)) diverge(ot + tf, s, 'missing_bar', `the recorded trades hold a bar ${isoFromMicros(ot)} (${list.length} trades) the paper run never closed`);
        continue;
      }
      const onTime = list.filter((x) => x.at < pb.f);
      if (onTime.length === 0) continue;
      const b = barOf(onTime);
      const bar: Bar = { t: pb.t, ot, ...b, n: onTime.length };
      rbars[s]!.push(bar);
      if (pb.t < stopAt && inWindow(pb.t)) {
        comparedBars++;
        const diffs = (['o', 'h', 'l', 'c', 'v', 'n'] as const).filter((k) => !same(bar[k], pb[k]));
        if (diffs.length) diverge(pb.t, s, 'bar', `bar ${isoFromMicros(ot)}: ${diffs.map((k) => `${k} paper ${pb[k]} replay ${bar[k]}`).join(', ')}`);
      }
    }
  }
  for (const pb of paperBars.values()) {
    if (!rbars[pb.s]!.some((b) => b.ot === pb.ot) && inWindow(pb.t) && pb.t < stopAt) diverge(pb.t, pb.s, 'bar', `bar ${isoFromMicros(pb.ot)} of the paper run (${pb.n} trades) has no trades in the recorded dataset`);
  }
  for (const list of rbars) list.sort((a, b) => a.t - b.t);

  // ---- decisions: a full recompute of the features over the rebuilt bars ----
  const decRows: Array<{ t: number; s: number; v: number[] }> = [];
  for (let s = 0; s < n; s++) {
    const list = rbars[s]!;
    if (list.length === 0) continue;
    const firstSlot = Math.round((list[0]!.ot + tf) / tf);
    const lastSlot = Math.round((Math.max(...list.map((b) => b.ot)) + tf) / tf);
    const len = lastSlot - firstSlot + 1;
    const arr = (): Float64Array => new Float64Array(len).fill(Number.NaN);
    const p: PanelBars = { avail: arr(), open: arr(), high: arr(), low: arr(), close: arr(), volume: arr(), count: list.length };
    for (const b of list) {
      const j = Math.round((b.ot + tf) / tf) - firstSlot;
      p.avail[j] = b.t;
      p.open[j] = b.o;
      p.high[j] = b.h;
      p.low[j] = b.l;
      p.close[j] = b.c;
      p.volume[j] = b.v;
    }
    const ax: Axis = { t0: firstSlot * tf, tf, n: len, abs0: firstSlot };
    const cols = featureColumns(p, ax, spec.columns);
    for (const b of list) {
      const j = Math.round((b.ot + tf) / tf) - firstSlot;
      decRows.push({ t: b.t, s, v: cols.map((c) => c[j]!) });
    }
  }
  decRows.sort((a, b) => a.t - b.t || a.s - b.s);
  const paperDecs = new Map<string, Extract<JournalEntry, { k: 'dec' }>>();
  for (const e of entries) if (e.k === 'dec') paperDecs.set(`${e.s}/${e.t}`, e);
  let comparedDecs = 0;
  for (const d of decRows) {
    if (!inWindow(d.t) || d.t >= stopAt) continue;
    const pd = paperDecs.get(`${d.s}/${d.t}`);
    comparedDecs++;
    if (!pd) {
      diverge(d.t, d.s, 'decision', 'the replay makes a decision the paper run did not');
      continue;
    }
    const c = spec.columns.findIndex((_, i) => !same(d.v[i]!, pd.v[i] ?? Number.NaN));
    if (c >= 0) diverge(d.t, d.s, 'decision', `decision input ${spec.columns[c]}: paper ${pd.v[c]} replay ${d.v[c]}`);
  }

  // ---- the batch engine ----
  const bars: BarSeries[] = rbars.map((list) => ({
    timeframe_us: tf,
    open_time: Float64Array.from(list, (b) => b.ot),
    close_time: Float64Array.from(list, (b) => b.ot + tf),
    available_time: Float64Array.from(list, (b) => b.t),
    open: Float64Array.from(list, (b) => b.o),
    high: Float64Array.from(list, (b) => b.h),
    low: Float64Array.from(list, (b) => b.l),
    close: Float64Array.from(list, (b) => b.c),
    volume: Float64Array.from(list, (b) => b.v),
  }));
  const funding: Array<FundingSeries | null> = spec.symbols.map((_, s) => {
    const f = entries.filter((e): e is Extract<JournalEntry, { k: 'fund' }> => e.k === 'fund' && e.s === s);
    return {
      event_time: Float64Array.from(f, (x) => x.et),
      available_time: Float64Array.from(f, (x) => x.t),
      rate: Float64Array.from(f, (x) => x.rate),
      interval_hours: Float64Array.from(f, (x) => x.ih),
      mark: Float64Array.from(f, (x) => x.mark),
    };
  });
  const decisions: DecisionSeries = {
    time: Float64Array.from(decRows, (d) => d.t),
    sym: Uint16Array.from(decRows, (d) => d.s),
    columns: spec.columns,
    values: spec.columns.map((_, c) => Float64Array.from(decRows, (d) => d.v[c]!)),
  };
  const data: MarketData = { symbols: spec.symbols, instruments: spec.instruments, bars, mark: spec.symbols.map(() => null), funding, decisions, start: spec.start, end: Math.min(spec.end, stopAt) };
  const { strategy } = await loadStrategy(spec.strategy.spec, spec.strategy.params);
  const r: EngineResult = runEngine(data, spec.config, strategy);

  // ---- what the paper run did: its outputs ----
  const ordersPath = join(dir, 'orders.parquet');
  if (!existsSync(ordersPath)) throw missingError(`paper run ${o.run_id} has no outputs yet (${ordersPath})`, { hint: 'outputs are written every flush interval; wait for the first, or stop the run (SIGTERM writes everything)' });
  const read = (name: string): Promise<Array<Record<string, unknown>>> => runQuery(ctx.db, `paper/replay_${name}`, { path: join(dir, `${name}.parquet`) });
  const pOrders = await read('orders');
  const pFills = await read('fills');
  const pEquity = await read('equity');
  let comparedOrders = 0;
  const rOrders = r.orders;
  const pWindow = pOrders.filter((x) => Number(x['created']) < stopAt);
  const rCount = rOrders.sym.length;
  const m = Math.max(pWindow.length, rCount);
  for (let i = 0; i < m; i++) {
    const po = pWindow[i];
    const t = po ? Number(po['created']) : rOrders.created[i]!;
    if (!inWindow(t)) continue;
    comparedOrders++;
    if (!po || i >= rCount) {
      diverge(t, po ? (symIndex.get(String(po['symbol'])) ?? -1) : rOrders.sym[i]!, 'order', po ? `order ${i} of the paper run (${String(po['qty'])}) is not made by the replay` : `the replay makes order ${i} (${rOrders.qty[i]}) the paper run did not`);
      continue;
    }
    const rs = spec.symbols[rOrders.sym[i]!];
    const pq = Number(po['qty']);
    const rq = rOrders.qty[i]!;
    const what: string[] = [];
    if (Number(po['created']) !== rOrders.created[i]) what.push(`time paper ${isoFromMicros(Number(po['created']))} replay ${isoFromMicros(rOrders.created[i]!)}`);
    if (String(po['symbol']) !== rs) what.push(`symbol paper ${String(po['symbol'])} replay ${rs}`);
    if (Math.sign(pq) !== Math.sign(rq)) what.push(`side paper ${pq > 0 ? 'buy' : 'sell'} replay ${rq > 0 ? 'buy' : 'sell'}`);
    else if (Math.abs(pq - rq) > 1e-6 * Math.max(Math.abs(pq), Math.abs(rq))) what.push(`size paper ${pq} replay ${rq}`);
    if (Number(po['reduce_only']) !== rOrders.reduce_only[i]) what.push('reduce_only');
    if (what.length) diverge(t, symIndex.get(String(po['symbol'])) ?? -1, 'order', `order ${i}: ${what.join(', ')}`);
  }
  // fills by order, in order
  let comparedFills = 0;
  let maxBps = 0;
  const rByOrder = new Map<number, number[]>();
  for (let i = 0; i < r.fills.order.length; i++) {
    const k = r.fills.order[i]!;
    const list = rByOrder.get(k) ?? [];
    list.push(i);
    rByOrder.set(k, list);
  }
  const seenPer = new Map<number, number>();
  for (const pf of pFills) {
    const oid = Number(pf['order_id']);
    const po = pOrders[oid];
    if (!po || Number(po['created']) >= stopAt) continue;
    const t = Number(pf['time']);
    if (!inWindow(t)) continue;
    const k = seenPer.get(oid) ?? 0;
    seenPer.set(oid, k + 1);
    const ri = rByOrder.get(oid)?.[k];
    comparedFills++;
    const s = symIndex.get(String(pf['symbol'])) ?? -1;
    if (ri === undefined) {
      // the replay's last bars may end before a fill the paper booked on a later bar
      if (t < (entries.filter((e) => e.k === 'bar').slice(-1)[0]?.ot ?? Infinity)) diverge(t, s, 'fill', `fill of order ${oid} at ${String(pf['price'])} has no replay fill`);
      continue;
    }
    const pp = Number(pf['price']);
    const rp = r.fills.price[ri]!;
    const bps = (Math.abs(pp - rp) / rp) * 1e4;
    if (bps > maxBps) maxBps = bps;
    if (bps > fillTol) diverge(t, s, 'fill', `fill of order ${oid}: price paper ${pp} replay ${rp} (${bps.toFixed(2)} bps > ${fillTol})`);
    else if (Math.abs(Number(pf['qty']) - r.fills.qty[ri]!) > 1e-6 * Math.abs(r.fills.qty[ri]!)) diverge(t, s, 'fill', `fill of order ${oid}: size paper ${String(pf['qty'])} replay ${r.fills.qty[ri]}`);
  }
  const paperEq = pEquity.length ? Number(pEquity[pEquity.length - 1]!['equity']) : spec.config.initial_cash;
  const lastPaperT = pEquity.length ? Number(pEquity[pEquity.length - 1]!['time']) : Number.NaN;
  let replayEq = spec.config.initial_cash;
  for (let i = 0; i < r.equity.time.length; i++) if (r.equity.time[i]! <= lastPaperT) replayEq = r.equity.equity[i]!;
  if (flat === undefined && o.from === undefined && o.to === undefined && Math.abs(paperEq - replayEq) > eqTol * Math.abs(paperEq)) {
    diverge(lastPaperT, -1, 'equity', `final equity paper ${paperEq} replay ${replayEq} (beyond ${eqTol * 100}%)`);
  }
  divs.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  const result: ReplayResult = {
    run_id: o.run_id,
    parity: divs.length === 0,
    compared: { bars: comparedBars, decisions: comparedDecs, orders: comparedOrders, fills: comparedFills },
    max_fill_diff_bps: maxBps,
    final_equity: { paper: paperEq, replay: replayEq },
    tolerance: { fill_bps: fillTol, equity: eqTol },
    first_divergence: divs[0] ?? null,
    divergences: divs.length,
    note: flat ? `compared up to the flatten request at ${isoFromMicros(flat.t)} (--flatten-on-exit)` : null,
  };
  if (!result.parity) {
    const d = divs[0]!;
    throw validationError(`paper run ${o.run_id} and its replay diverge (${divs.length} difference(s)); first at ${d.time}${d.symbol ? ` ${d.symbol}` : ''}: ${d.what}: ${d.detail}`, {
      hint: 'a decision that differs means live and backtest do not agree: look at the bars and feature values at that time (journal.jsonl of the run)',
      details: result as unknown as Record<string, unknown>,
    });
  }
  return result;
}

