import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import type { BacktestConfig } from '../../domain/backtest.js';
import { EV_BAR, EV_DECISION, EV_FUNDING, EV_SETTLE } from '../../engine/clock.js';
import { Engine, type EngineResult } from '../../engine/engine.js';
import type { BarSeries, DecisionSeries, FundingSeries, InstrumentInfo, MarketData } from '../../engine/types.js';
import type { Strategy } from '../../strategies/strategy.js';
import { SlotBars } from './tail.js';

/**
 * A paper session: the backtest engine (src/engine/engine.ts, the same per-event step() the batch
 * backtest runs) fed one journaled input at a time. Every input (a closed bar, a funding print, a
 * funding settlement, a decision row with its feature values, a flatten request) is appended to the
 * run's journal BEFORE it is stepped, so the engine's whole state (positions, pending orders,
 * controller states, accrued funding, the seeded generators) is a pure function of the journal:
 * a restart replays the journal into a fresh engine and is where it was, with the same orders,
 * none sent twice and none lost (the checkpoint says how many there were, and is checked).
 */

export type JournalEntry =
  | { k: 'bar'; s: number; t: number; ot: number; ct: number; o: number; h: number; l: number; c: number; v: number; n: number; f: number }
  | { k: 'fund'; s: number; t: number; et: number; rate: number; ih: number; mark: number }
  | { k: 'settle'; s: number; t: number }
  | { k: 'dec'; s: number; t: number; v: number[]; lat: number }
  | { k: 'flat'; t: number };

/** Growable typed columns of one series: the engine reads them by row through the series object. */
class Grow {
  len = 0;
  constructor(
    private readonly target: Record<string, unknown>,
    private readonly keys: readonly string[],
  ) {
    for (const k of keys) target[k] = new Float64Array(0);
  }

  push(values: readonly number[]): number {
    const t = this.target as Record<string, Float64Array>;
    const cap = t[this.keys[0]!]!.length;
    if (this.len === cap) {
      const next = Math.max(64, cap * 2);
      for (const k of this.keys) {
        const a = new Float64Array(next).fill(Number.NaN);
        a.set(t[k]!);
        t[k] = a;
      }
    }
    for (let i = 0; i < this.keys.length; i++) t[this.keys[i]!]![this.len] = values[i]!;
    return this.len++;
  }

  /** exact-length copies (the replay and outputs) */
  trimmed(): Record<string, Float64Array> {
    const t = this.target as Record<string, Float64Array>;
    return Object.fromEntries(this.keys.map((k) => [k, t[k]!.slice(0, this.len)]));
  }
}

const BAR_KEYS = ['open_time', 'close_time', 'available_time', 'open', 'high', 'low', 'close', 'volume'] as const;
const FUND_KEYS = ['event_time', 'available_time', 'rate', 'interval_hours', 'mark'] as const;

export interface SessionSpec {
  symbols: string[];
  instruments: InstrumentInfo[];
  columns: string[];
  tf_us: number;
  start: number;
  end: number;
}

export class PaperSession {
  readonly engine: Engine;
  readonly data: MarketData;
  readonly bars: BarSeries[];
  private readonly barGrow: Grow[];
  private readonly fundGrow: Grow[];
  private readonly decGrow: Grow;
  private decSym = new Uint16Array(64);
  private decValues: Float64Array[];
  /** closed bars per symbol for the features' tail recompute */
  readonly slotBars: SlotBars[];
  /** journal entries applied */
  applied = 0;
  lastTime = 0;
  /** next settlement index per symbol (accruing venues) */
  private settleNext: Int32Array;

  constructor(
    readonly spec: SessionSpec,
    config: BacktestConfig,
    strategy: Strategy,
  ) {
    const n = spec.symbols.length;
    this.bars = [];
    this.barGrow = [];
    for (let s = 0; s < n; s++) {
      const b = { timeframe_us: spec.tf_us } as unknown as BarSeries;
      this.barGrow.push(new Grow(b as unknown as Record<string, unknown>, BAR_KEYS));
      this.bars.push(b);
    }
    const funding: FundingSeries[] = [];
    this.fundGrow = [];
    for (let s = 0; s < n; s++) {
      const f = {} as FundingSeries;
      this.fundGrow.push(new Grow(f as unknown as Record<string, unknown>, FUND_KEYS));
      funding.push(f);
    }
    const decisions = { columns: spec.columns } as unknown as DecisionSeries;
    this.decGrow = new Grow(decisions as unknown as Record<string, unknown>, ['time']);
    this.decValues = spec.columns.map(() => new Float64Array(64).fill(Number.NaN));
    decisions.values = this.decValues;
    decisions.sym = this.decSym;
    this.data = { symbols: spec.symbols, instruments: spec.instruments, bars: this.bars, mark: spec.symbols.map(() => null), funding, decisions, start: spec.start, end: spec.end };
    this.engine = new Engine(this.data, config, strategy);
    this.engine.begin();
    this.slotBars = spec.symbols.map(() => new SlotBars(spec.tf_us));
    this.settleNext = new Int32Array(n);
    for (let s = 0; s < n; s++) {
      const st = this.engine.settlementTimes(s);
      if (!st) continue;
      let i = 0;
      while (i < st.length && st[i]! < spec.start) i++;
      this.settleNext[s] = i;
    }
  }

  /** Settlements due by time t that are not applied yet, as journal entries (accruing venues). */
  dueSettlements(t: number): JournalEntry[] {
    const out: JournalEntry[] = [];
    for (let s = 0; s < this.spec.symbols.length; s++) {
      const st = this.engine.settlementTimes(s);
      if (!st) continue;
      let i = this.settleNext[s]!;
      while (i < st.length && st[i]! <= t) out.push({ k: 'settle', s, t: st[i++]! });
    }
    return out;
  }

  /** Clock order of the engine: (time, kind, symbol); entries of one batch are sorted with it. */
  static order(a: JournalEntry, b: JournalEntry): number {
    return a.t - b.t || kindOf(a) - kindOf(b) || ('s' in a ? a.s : 0) - ('s' in b ? b.s : 0);
  }

  /** Applies one journal entry to the engine (the engine's one per-event step). */
  apply(e: JournalEntry): void {
    if (e.t < this.lastTime) throw new Error(`paper journal out of order at entry ${this.applied}: ${e.t} < ${this.lastTime}`);
    this.lastTime = e.t;
    this.applied++;
    const eng = this.engine;
    if (e.k === 'bar') {
      const r = this.barGrow[e.s]!.push([e.ot, e.ct, e.t, e.o, e.h, e.l, e.c, e.v]);
      this.slotBars[e.s]!.push(e.ct, e.t, e.o, e.h, e.l, e.c, e.v);
      eng.step(e.t, EV_BAR, e.s, r);
    } else if (e.k === 'fund') {
      const r = this.fundGrow[e.s]!.push([e.et, e.t, e.rate, e.ih, e.mark]);
      eng.step(e.t, EV_FUNDING, e.s, r);
    } else if (e.k === 'settle') {
      const st = this.engine.settlementTimes(e.s);
      if (st) {
        while (this.settleNext[e.s]! < st.length && st[this.settleNext[e.s]!]! <= e.t) this.settleNext[e.s]!++;
      }
      eng.step(e.t, EV_SETTLE, e.s, 0);
    } else if (e.k === 'dec') {
      const r = this.decGrow.push([e.t]);
      const d = this.data.decisions;
      if (this.decSym.length < d.time.length) {
        const next = new Uint16Array(d.time.length);
        next.set(this.decSym);
        this.decSym = next;
        d.sym = next;
        this.decValues = this.decValues.map((a) => {
          const b = new Float64Array(d.time.length).fill(Number.NaN);
          b.set(a);
          return b;
        });
        d.values = this.decValues;
      }
      this.decSym[r] = e.s;
      for (let c = 0; c < this.decValues.length; c++) this.decValues[c]![r] = e.v[c] ?? Number.NaN;
      eng.extraLatencyUs = e.lat;
      eng.step(e.t, EV_DECISION, e.s, r);
      eng.extraLatencyUs = 0;
    } else {
      eng.settleTime();
      const prev = eng.time;
      void prev;
      eng.flattenAll();
    }
  }

  /** End of a batch of one time: the engine's mark-to-market step (what the next event would run). */
  endBatch(): void {
    this.engine.settleTime();
  }

  snapshot(): EngineResult {
    return this.engine.snapshot();
  }
}

function kindOf(e: JournalEntry): number {
  return e.k === 'bar' ? EV_BAR : e.k === 'fund' ? EV_FUNDING : e.k === 'settle' ? EV_SETTLE : e.k === 'dec' ? EV_DECISION : 9;
}

// ---- journal and checkpoint files --------------------------------------------------------------

/** Appends entries to the journal and forces them to disk (one write per batch). */
export function appendJournal(path: string, entries: readonly JournalEntry[]): void {
  if (entries.length === 0) return;
  const text = entries.map((e) => JSON.stringify(e, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v))).join('\n') + '\n';
  appendFileSync(path, text);
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The journal's complete entries. A line cut short by a crash (kill -9 during the append) is the
 * only one that can be torn: the last one, without its newline. It is dropped (its input had not
 * been stepped: entries are written before they are applied) and the file is cut back.
 */
export function readJournal(path: string): { entries: JournalEntry[]; torn: boolean } {
  if (!existsSync(path)) return { entries: [], torn: false };
  const text = readFileSync(path, 'utf8');
  const end = text.lastIndexOf('\n') + 1;
  const torn = end < text.length;
  if (torn) writeFileSync(path, text.slice(0, end));
  const entries: JournalEntry[] = [];
  for (const line of text.slice(0, end).split('\n')) {
    if (!line) continue;
    const e = JSON.parse(line, (_k, v: unknown) => (v === null ? Number.NaN : v)) as JournalEntry;
    entries.push(e);
  }
  return { entries, torn };
}

/** Writes a JSON file atomically (tmp + fsync + rename): a reader sees the old or the new one, never half. */
export function writeJsonAtomic(path: string, value: unknown): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  const fd = openSync(tmp, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
