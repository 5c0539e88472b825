import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { timestampValue } from '@duckdb/node-api';
import type { ServiceContext } from '../../domain/context.js';
import { BAR_TIMEFRAMES, DATASETS } from '../../domain/datasets.js';
import { PAPER_DEFAULTS } from '../../domain/defaults.js';
import { interruptedError, upstreamError, usageError } from '../../domain/errors.js';
import { isoFromMicros } from '../../domain/time.js';
import { loadStrategy } from '../../strategies/index.js';
import { datasetFiles, listOf } from '../../store/dataset.js';
import { runQuery } from '../../store/queries.js';
import { DuckSession } from '../../store/duckdb.js';
import { tryLockFile } from '../../store/lockfile.js';
import { monotonicClock, type ReceiveClock } from '../../sources/ws/connection.js';
import type { FeedVenue } from '../../sources/ws/protocol.js';
import type { Row } from '../../store/stage.js';
import { instrumentInfo, perpkitVersion, codeVersion, resolveConfig } from '../backtest.js';
import { record, resolveProducts, type RecordResult } from '../record.js';
import { checkRunId, hydrateSpec, ordersHash, paperDir, readJsonIf, writeOutputs, type PaperCheckpoint, type PaperSpec, type PaperStatus } from './files.js';
import { appendJournal, PaperSession, readJournal, writeJsonAtomic, type JournalEntry } from './session.js';
import { TAIL_FEATURES } from './tail.js';

/**
 * `perpkit paper`: the live loop. The recorder (src/services/record.ts: WebSocket adapters,
 * heartbeats, reconnects, gap detection) writes every message to the usual datasets and hands each
 * trade row over; trades are bucketed into bars by event time; a bar closes on the clock, bar_grace
 * after its end (the recorder's buffer is written first, so the replay finds every trade the bar
 * holds); the closed bars, funding prints and due settlements are journaled and stepped through the
 * engine, then each symbol's decision row (the strategy's columns by the features' tail recompute)
 * is journaled and stepped: the strategy runs, its orders get the configured latency plus the
 * measured compute time, and fill on later bars by the backtest's own fill, cost, funding, margin
 * and risk code. Outputs, checkpoint and status are written every flush interval.
 */

export interface PaperOptions {
  root: string;
  strategy: string;
  config?: Record<string, unknown>;
  config_path?: string;
  venue: FeedVenue;
  symbols: string[];
  symbol_map?: Record<string, string>;
  channels?: string[];
  url?: string;
  capital?: number;
  duration_ms?: number;
  bar?: string;
  run_id?: string;
  flatten_on_exit?: boolean;
  bar_grace_ms?: number;
  flush_ms?: number;
  tick_ms?: number;
  stale_ms?: number;
  backoff_base_ms?: number;
  backoff_max_ms?: number;
  env?: NodeJS.ProcessEnv;
  /** the clock of receive times, bar closes and decisions (tests run a fast one) */
  clock?: ReceiveClock;
}

export interface PaperResult {
  run_id: string;
  dir: string;
  resumed: boolean;
  stopped_by: 'signal' | 'duration';
  bars: number;
  decisions: number;
  orders: number;
  fills: number;
  late_trades: number;
  equity: number;
  record: Pick<RecordResult, 'messages' | 'reconnects' | 'gaps' | 'lost' | 'rows'>;
}

interface Trade {
  et: number;
  at: number;
  id: string;
  px: number;
  sz: number;
}

function newRunId(now: number): string {
  return `paper-${new Date(now).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${Math.random().toString(36).slice(2, 8)}`;
}

/** OHLCV of one bucket's trades in (event_time, available_time, trade_id) order: the replay's order too. */
export function barOf(trades: Trade[]): { o: number; h: number; l: number; c: number; v: number } {
  trades.sort((a, b) => a.et - b.et || a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let h = -Infinity;
  let l = Infinity;
  let v = 0;
  for (const t of trades) {
    if (t.px > h) h = t.px;
    if (t.px < l) l = t.px;
    v += t.sz;
  }
  return { o: trades[0]!.px, h, l, c: trades[trades.length - 1]!.px, v };
}

export async function paper(opts: PaperOptions, ctx: ServiceContext): Promise<PaperResult> {
  const clock = opts.clock ?? monotonicClock();
  const bar = opts.bar ?? PAPER_DEFAULTS.bar;
  const tfSec = BAR_TIMEFRAMES[bar];
  if (tfSec === undefined) throw usageError(`--bar must be one of ${Object.keys(BAR_TIMEFRAMES).join(', ')}, got ${JSON.stringify(bar)}`);
  const tfUs = tfSec * 1_000_000;
  if (opts.symbols.length === 0) throw usageError('paper needs --symbols (e.g. BTC-PERP or BTC-USD)');
  const runId = opts.run_id ?? newRunId(ctx.clock.now());
  checkRunId(runId);
  const dir = paperDir(opts.root, runId);
  const specPath = join(dir, 'paper.json');
  const journalPath = join(dir, 'journal.jsonl');
  const lockPath = join(dir, 'lock');
  const ckPath = join(dir, 'checkpoint.json');
  const statusPath = join(dir, 'status.json');
  const products = resolveProducts({ venue: opts.venue, symbols: opts.symbols, ...(opts.symbol_map ? { symbol_map: opts.symbol_map } : {}) });
  const symbols = products.map((p) => p.symbol);

  // ---- the run: new, or resumed from its directory ----
  const { strategy, path: strategyPath } = await loadStrategy(opts.strategy, (opts.config?.['strategy'] as Record<string, unknown> | undefined) ?? {});
  void strategyPath;
  const columns = [...(strategy.columns ?? [])];
  const unknownCols = columns.filter((c) => !TAIL_FEATURES.includes(c));
  if (unknownCols.length) {
    throw usageError(`paper: strategy ${strategy.name} needs column(s) ${unknownCols.join(', ')}, which the live tail recompute does not compute`, {
      hint: `live decision rows carry the price and volume features: ${TAIL_FEATURES.join(', ')}`,
    });
  }
  let spec: PaperSpec;
  const resumed = existsSync(specPath);
  if (resumed) {
    spec = hydrateSpec(JSON.parse(readFileSync(specPath, 'utf8')) as PaperSpec);
    const same = spec.strategy.spec === opts.strategy && spec.venue === opts.venue && JSON.stringify(spec.symbols) === JSON.stringify(symbols) && spec.bar === bar;
    if (!same) {
      throw usageError(`paper run ${runId} exists with another strategy, venue, symbols or bar (${spec.strategy.spec}, ${spec.venue}, ${spec.symbols.join(',')}, ${spec.bar})`, {
        hint: 'resume it with the same flags, or give a new --run-id',
      });
    }
  } else {
    const { config, params } = resolveConfig(opts.config ?? {});
    if (opts.capital !== undefined) config.initial_cash = opts.capital;
    else if (opts.config?.['initial_cash'] === undefined) config.initial_cash = PAPER_DEFAULTS.capital;
    // live, a missing print is an alarm (status, stderr, the events output), never the end of the run
    const fundingDoc = opts.config?.['funding'] as Record<string, unknown> | undefined;
    if (fundingDoc?.['missing'] === undefined && config.funding.missing === 'error') config.funding.missing = 'zero';
    const start = Math.ceil(clock.nowUs() / tfUs) * tfUs;
    spec = {
      run_id: runId,
      created_at: new Date(ctx.clock.now()).toISOString(),
      kind: 'paper',
      venue: opts.venue,
      symbols,
      products,
      strategy: { spec: opts.strategy, name: strategy.name, params },
      config,
      config_path: opts.config_path ?? null,
      columns,
      bar,
      tf_us: tfUs,
      bar_grace_ms: opts.bar_grace_ms ?? PAPER_DEFAULTS.bar_grace_ms,
      tail_slots: PAPER_DEFAULTS.tail_slots,
      start,
      end: start + (opts.duration_ms ?? PAPER_DEFAULTS.duration_ms) * 1000,
      instruments: symbols.map((s) => instrumentInfo(s, opts.venue, undefined, config, start)),
      data_dir: opts.root,
    };
    mkdirSync(dir, { recursive: true });
    writeJsonAtomic(specPath, { ...spec, perpkit_version: perpkitVersion(), code_version: codeVersion() });
  }
  // one process per run: the lock is created exclusively (taken over from a process that is gone)
  const attempt = tryLockFile(lockPath);
  if (!attempt.lock) {
    const pid = attempt.held_by.split(' ')[0];
    throw usageError(`paper run ${runId} is running already (pid ${pid})`, { hint: `see it with perpkit paper --status ${runId}; stop it with kill ${pid}` });
  }
  const runLock = attempt.lock;
  const graceUs = spec.bar_grace_ms * 1000;
  const { strategy: strat } = await loadStrategy(spec.strategy.spec, spec.strategy.params);
  const session = new PaperSession({ symbols: spec.symbols, instruments: spec.instruments, columns: spec.columns, tf_us: spec.tf_us, start: spec.start, end: spec.end }, spec.config, strat);
  const n = spec.symbols.length;
  const lastBarClose = new Float64Array(n).fill(spec.start);

  // ---- restart: the journal back into a fresh engine ----
  const { entries, torn } = readJournal(journalPath);
  let lastBatch: JournalEntry[] = [];
  for (const e of entries) {
    if (lastBatch.length && lastBatch[0]!.t !== e.t) lastBatch = [];
    lastBatch.push(e);
    session.apply(e);
    if (e.k === 'bar') lastBarClose[e.s] = e.ct;
  }
  session.endBatch();
  const counters = { bars: 0, decisions: 0, late_trades: 0 };
  for (const e of entries) {
    if (e.k === 'bar') counters.bars++;
    if (e.k === 'dec') counters.decisions++;
  }
  if (resumed) {
    const ck = readJsonIf<PaperCheckpoint>(ckPath);
    const snap = session.snapshot();
    if (ck) {
      const have = snap.orders.sym.length;
      if (have < ck.orders || ordersHash(snap, ck.orders) !== ck.orders_sha256) {
        throw upstreamError(`paper run ${runId}: the journal re-derives ${have} order(s) that do not match the ${ck.orders} of the checkpoint`, {
          hint: 'the run directory was changed by hand; start a new run',
        });
      }
    }
    // a crash between a batch's bars and its decisions: the decisions are derived now, as they would have been
    const undecided = lastBatch.filter((e) => e.k === 'bar' && !lastBatch.some((d) => d.k === 'dec' && d.s === e.s));
    if (undecided.length) {
      const t = undecided[0]!.t;
      const decs = decisionsFor(undecided.map((e) => (e as { s: number }).s), undecided.map((e) => (e as { ct: number }).ct), t);
      appendJournal(journalPath, decs);
      for (const d of decs) session.apply(d);
      session.endBatch();
      counters.decisions += decs.length;
    }
    ctx.log.info(
      `paper ${runId}: resumed from the journal (${entries.length} entries${torn ? ', a torn last line dropped' : ''}): ${snap.orders.sym.length} orders, ${snap.fills.order.length} fills${ck ? ` (checkpoint: ${ck.orders} orders, matching)` : ''}`,
    );
  } else ctx.log.info(`paper ${runId}: started; decisions from ${isoFromMicros(spec.start)} to ${isoFromMicros(spec.end)}; outputs in ${dir}`);

  function decisionsFor(syms: number[], closes: number[], t: number): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (let i = 0; i < syms.length; i++) {
      const t0 = process.hrtime.bigint();
      const v = session.slotBars[syms[i]!]!.valuesAt(closes[i]!, spec.columns, spec.tail_slots);
      const lat = Number((process.hrtime.bigint() - t0) / 1000n);
      out.push({ k: 'dec', s: syms[i]!, t, v, lat });
    }
    return out;
  }

  // ---- open buckets: trades by symbol and bar start ----
  const symIndex = new Map(spec.symbols.map((s, i) => [s, i]));
  const buckets: Array<Map<number, Trade[]>> = spec.symbols.map(() => new Map());
  const lastRecv: Array<{ trades: number | null; funding: number | null }> = spec.symbols.map(() => ({ trades: null, funding: null }));
  // trade ids seen per open bar (a trade re-sent after a reconnect counts once); dropped with the bar
  const seen: Array<Map<number, Set<string>>> = spec.symbols.map(() => new Map());
  const addTrade = (s: number, t: Trade): void => {
    const ot = Math.floor(t.et / tfUs) * tfUs;
    if (ot + tfUs <= lastBarClose[s]!) {
      counters.late_trades++;
      return;
    }
    let ids = seen[s]!.get(ot);
    if (!ids) seen[s]!.set(ot, (ids = new Set()));
    if (ids.has(t.id)) return;
    ids.add(t.id);
    let b = buckets[s]!.get(ot);
    if (!b) buckets[s]!.set(ot, (b = []));
    b.push(t);
  };
  if (resumed) {
    // trades of bars still open when the run stopped: back from the trades dataset
    const files = await datasetFiles(opts.root, DATASETS.trades, { venue: [spec.venue], symbol: spec.symbols });
    if (files.length) {
      const minClose = Math.min(...lastBarClose);
      const rows = await runQuery(ctx.db, 'paper/resume_trades', { files: listOf(files), from: timestampValue(BigInt(Math.round(minClose))) });
      for (const r of rows) {
        const s = symIndex.get(String(r['symbol']));
        if (s === undefined) continue;
        addTrade(s, { et: Number(r['et']), at: Number(r['at']), id: String(r['trade_id']), px: Number(r['price']), sz: Number(r['size']) });
      }
    }
  }

  const pendingFunding: JournalEntry[] = [];
  const incidents: PaperStatus['incidents'] = [];
  const onRow = (d: string, row: Row): void => {
    const s = symIndex.get(String(row['symbol']));
    if (s === undefined) return;
    if (d === 'trades') {
      const px = Number(row['price']);
      const sz = Number(row['size']);
      if (!(px > 0) || !(sz >= 0)) return;
      lastRecv[s]!.trades = Number(row['available_time']);
      addTrade(s, { et: Number(row['event_time']), at: Number(row['available_time']), id: String(row['trade_id']), px, sz });
    } else if (d === 'funding') {
      lastRecv[s]!.funding = Number(row['available_time']);
      const rate = Number(row['funding_rate']);
      if (Number.isFinite(rate)) {
        const ih = Number(row['funding_interval_hours'] ?? Number.NaN);
        pendingFunding.push({ k: 'fund', s, t: 0, et: Number(row['event_time']), rate, ih: Number.isFinite(ih) ? ih : Number.NaN, mark: Number(row['mark_price'] ?? Number.NaN) });
      }
    }
  };

  // ---- the clock: bar closes, decisions ----
  let flushRecorder: (() => Promise<void>) | null = null;
  let busy = false;
  let stopRequested: 'signal' | 'duration' | null = null;
  let flattenAt = Number.NaN;
  /** bar closes processed after the flatten request (the closing orders fill on the first bar opening after their arrival) */
  let barEndsSinceFlatten = 0;
  const tick = async (): Promise<void> => {
    if (busy) return;
    busy = true;
    try {
      const now = clock.nowUs();
      const closing: Array<{ s: number; ot: number; trades: Trade[] }> = [];
      for (let s = 0; s < n; s++) {
        const keys = [...buckets[s]!.keys()].sort((a, b) => a - b);
        for (const ot of keys) if (ot + tfUs + graceUs <= now) closing.push({ s, ot, trades: buckets[s]!.get(ot)! });
      }
      const settles = session.dueSettlements(now);
      if (closing.length === 0 && pendingFunding.length === 0 && settles.length === 0) return;
      // trades received by now are written before the bars that hold them are used
      for (const c of closing) {
        buckets[c.s]!.delete(c.ot);
        seen[c.s]!.delete(c.ot);
        lastBarClose[c.s] = Math.max(lastBarClose[c.s]!, c.ot + tfUs);
      }
      if (flushRecorder && closing.length) await flushRecorder();
      // one journal time per bar end (several after a stall), strictly after everything applied
      closing.sort((a, b) => a.ot - b.ot || a.s - b.s);
      const ends = [...new Set(closing.map((c) => c.ot))];
      const base = Math.max(now, session.lastTime + 1);
      const groups: JournalEntry[][] = ends.map((ot, i) =>
        closing
          .filter((x) => x.ot === ot)
          .map((c): JournalEntry => {
            const b = barOf(c.trades);
            return { k: 'bar', s: c.s, t: base + i, ot: c.ot, ct: c.ot + tfUs, o: b.o, h: b.h, l: b.l, c: b.c, v: b.v, n: c.trades.length, f: now };
          }),
      );
      if (groups.length === 0) groups.push([]);
      const last = groups[groups.length - 1]!;
      const tLast = last[0]?.t ?? base;
      for (const f of pendingFunding.splice(0)) last.push({ ...(f as Extract<JournalEntry, { k: 'fund' }>), t: tLast });
      const due = settles.filter((e) => e.t > session.lastTime && e.t <= (groups[0]![0]?.t ?? tLast));
      if (due.length) groups[0]!.push(...due);
      for (const group of groups) {
        if (group.length === 0) continue;
        group.sort(PaperSession.order);
        appendJournal(journalPath, group);
        for (const e of group) session.apply(e);
        const t = group[group.length - 1]!.t;
        const barsHere = group.filter((e): e is Extract<JournalEntry, { k: 'bar' }> => e.k === 'bar');
        counters.bars += barsHere.length;
        if (flattenAt === flattenAt) barEndsSinceFlatten += new Set(barsHere.filter((e) => e.t > flattenAt).map((e) => e.ct)).size;
        // after a flatten request the strategy is not asked again (it would re-enter)
        const decs = flattenAt === flattenAt ? [] : decisionsFor(barsHere.map((e) => e.s), barsHere.map((e) => e.ct), t);
        appendJournal(journalPath, decs);
        for (const d of decs) session.apply(d);
        counters.decisions += decs.length;
        session.endBatch();
      }
    } finally {
      busy = false;
      checkStop();
    }
  };
  /** --flatten-on-exit: done when nothing is held or pending, or three processed bar closes after the request; --duration: done at the end */
  function checkStop(): void {
    const now = clock.nowUs();
    if (flattenAt === flattenAt) {
      const st = session.engine.state();
      if (st.open_orders === 0 && st.positions.every((p) => p.qty === 0)) stopNow();
      // the orders fill on the first bar opening after their arrival, so within the second bar
      // close processed after the request (counted in processed bars, not clock time: a loaded
      // machine may process a bar late); the clock bound only stops a feed that went silent
      else if (barEndsSinceFlatten >= 3 || now > flattenAt + 10 * tfUs + graceUs + spec.config.execution.latency_ms * 1000) stopNow();
    }
    if (now >= spec.end) {
      stopRequested ??= 'duration';
      stopNow();
    }
  }

  // ---- outputs, checkpoint, status ----
  const out = await DuckSession.open({ threads: 1 });
  let recordResult: RecordResult | null = null;
  const incidentCount = { reconnects: 0, gaps: 0 };
  const writeAll = async (running: boolean): Promise<void> => {
    const snap = session.snapshot();
    const outputs = await writeOutputs(out, dir, snap);
    const state = session.engine.state();
    const ck: PaperCheckpoint = {
      run_id: runId,
      written_at: new Date(ctx.clock.now()).toISOString(),
      journal_entries: session.applied,
      orders: snap.orders.sym.length,
      fills: snap.fills.order.length,
      orders_sha256: ordersHash(snap, snap.orders.sym.length),
      last_time: session.lastTime,
      last_bar_close: Array.from(lastBarClose),
      state,
    };
    writeJsonAtomic(ckPath, ck);
    writeJsonAtomic(join(dir, 'manifest.json'), { run_id: runId, kind: 'paper', venue: spec.venue, symbols: spec.symbols, strategy: spec.strategy, config: spec.config, window: { start: isoFromMicros(spec.start), end: isoFromMicros(spec.end) }, last_time: session.lastTime ? isoFromMicros(session.lastTime) : null, counters: snap.counters, outputs });
    const nowUs = clock.nowUs();
    const status: PaperStatus = {
      run_id: runId,
      pid: process.pid,
      running,
      updated_at: new Date(ctx.clock.now()).toISOString(),
      now: nowUs,
      equity: state.equity,
      cash: state.cash,
      drawdown_state: state.drawdown_state,
      killed: state.killed,
      positions: state.positions,
      counters: { ...counters, orders: ck.orders, fills: ck.fills, reconnects: incidentCount.reconnects, gaps: incidentCount.gaps, funding_missing: snap.counters.funding_missing },
      streams: spec.symbols.flatMap((s, i) => [
        { stream: `${s}/trades`, last: lastRecv[i]!.trades, age_ms: lastRecv[i]!.trades === null ? null : Math.round((nowUs - lastRecv[i]!.trades!) / 1000) },
        ...(spec.venue === 'coinbase-intx' ? [{ stream: `${s}/funding`, last: lastRecv[i]!.funding, age_ms: lastRecv[i]!.funding === null ? null : Math.round((nowUs - lastRecv[i]!.funding!) / 1000) }] : []),
      ]),
      incidents: incidents.slice(-50),
    };
    writeJsonAtomic(statusPath, status);
    const pos = state.positions.filter((p) => p.qty !== 0).map((p) => `${p.symbol} ${p.qty}`).join(', ') || 'flat';
    const ages = status.streams.map((s) => `${s.stream} ${s.age_ms === null ? '-' : `${(s.age_ms / 1000).toFixed(1)}s`}`).join(', ');
    ctx.log.info(`paper ${runId}: equity ${state.equity.toFixed(2)}; ${pos}; ${counters.bars} bars, ${ck.orders} orders, ${ck.fills} fills; last data ${ages}`);
    if (snap.counters.funding_missing > lastFundingMissing) {
      ctx.log.warn(`paper ${runId}: ALARM: ${snap.counters.funding_missing - lastFundingMissing} funding print(s) missing while a position was open`);
      lastFundingMissing = snap.counters.funding_missing;
    }
  };
  let lastFundingMissing = 0;

  const feedAbort = new AbortController();
  function stopNow(): void {
    feedAbort.abort(new Error('stop'));
  }
  const onSignal = (): void => {
    stopRequested ??= 'signal';
    if (opts.flatten_on_exit && flattenAt !== flattenAt) {
      const t = Math.max(clock.nowUs(), session.lastTime + 1);
      flattenAt = t;
      const e: JournalEntry = { k: 'flat', t };
      appendJournal(journalPath, [e]);
      session.apply(e);
      session.endBatch();
      ctx.log.info(`paper ${runId}: flattening (--flatten-on-exit): market orders out, waiting for their fills (at most three bar closes)`);
      return;
    }
    stopNow();
  };
  ctx.signal.addEventListener('abort', onSignal);
  if (ctx.signal.aborted) onSignal();
  const tickTimer = setInterval(() => void tick().catch(fail), opts.tick_ms ?? PAPER_DEFAULTS.tick_ms);
  let flushing: Promise<void> = Promise.resolve();
  let writingOutputs = false;
  const flushTimer = setInterval(() => {
    if (writingOutputs) return; // a slow disk: the next interval writes, writes never queue up
    writingOutputs = true;
    flushing = flushing
      .then(() => writeAll(true))
      .catch(fail)
      .finally(() => (writingOutputs = false));
  }, opts.flush_ms ?? PAPER_DEFAULTS.flush_ms);
  let failure: unknown = null;
  function fail(err: unknown): void {
    failure ??= err;
    stopNow();
  }
  try {
    recordResult = await record(
      {
        root: opts.root,
        venue: opts.venue,
        symbols: opts.symbols,
        ...(opts.symbol_map ? { symbol_map: opts.symbol_map } : {}),
        ...(opts.channels ? { channels: opts.channels } : {}),
        ...(opts.url ? { url: opts.url } : {}),
        ...(opts.stale_ms !== undefined ? { stale_ms: opts.stale_ms } : {}),
        ...(opts.backoff_base_ms !== undefined ? { backoff_base_ms: opts.backoff_base_ms } : {}),
        ...(opts.backoff_max_ms !== undefined ? { backoff_max_ms: opts.backoff_max_ms } : {}),
        ...(opts.env ? { env: opts.env } : {}),
        // bar closes write the recorder's buffer too; its own timer is a backstop
        flush_ms: Math.max(1_000, Math.min(opts.flush_ms ?? PAPER_DEFAULTS.flush_ms, 5_000)),
        clock,
        onRow,
        onIncident: (kind, at, reason) => {
          if (kind === 'reconnect') incidentCount.reconnects++;
          else incidentCount.gaps++;
          incidents.push({ at, kind, reason });
        },
        onReady: (api) => (flushRecorder = api.flush),
      },
      { ...ctx, signal: feedAbort.signal },
    );
  } finally {
    clearInterval(tickTimer);
    clearInterval(flushTimer);
    ctx.signal.removeEventListener('abort', onSignal);
    await flushing.catch(() => undefined);
    while (busy) await new Promise((r) => setTimeout(r, 5));
    await writeAll(false).finally(() => out.close());
    runLock.release();
  }
  if (failure) throw failure;
  const snap = session.snapshot();
  const r: PaperResult = {
    run_id: runId,
    dir,
    resumed,
    stopped_by: stopRequested ?? 'signal',
    bars: counters.bars,
    decisions: counters.decisions,
    orders: snap.orders.sym.length,
    fills: snap.fills.order.length,
    late_trades: counters.late_trades,
    equity: session.engine.state().equity,
    record: { messages: recordResult.messages, reconnects: recordResult.reconnects, gaps: recordResult.gaps, lost: recordResult.lost, rows: recordResult.rows },
  };
  writeFileSync(join(dir, 'last-exit.json'), `${JSON.stringify({ ...r, at: new Date(ctx.clock.now()).toISOString() }, null, 2)}\n`);
  if (r.stopped_by === 'signal') {
    const e = interruptedError(`paper ${runId} stopped; everything was written (${r.bars} bars, ${r.orders} orders, ${r.fills} fills, equity ${r.equity.toFixed(2)})`);
    Object.assign(e, { details: r });
    throw e;
  }
  return r;
}
