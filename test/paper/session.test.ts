import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBacktestConfig } from '../../src/domain/backtest.js';
import { runEngine } from '../../src/engine/engine.js';
import type { MarketData } from '../../src/engine/types.js';
import { appendJournal, PaperSession, readJournal, type JournalEntry } from '../../src/services/paper/session.js';
import { SlotBars, featureColumns } from '../../src/services/paper/tail.js';
import { mulberry32 } from '../../src/stats/random.js';
import { signalStrategy } from '../../src/strategies/signal.js';
import { tempDir } from '../helpers.js';

const H = 3_600_000_000;
const T0 = Date.UTC(2025, 0, 1) * 1000;

/** Two symbols of hourly bars (random walk), available 1 s after the close, and a decision per bar. */
function market(n: number): { data: MarketData; journal: JournalEntry[] } {
  const rnd = mulberry32(3);
  const symbols = ['A-PERP', 'B-PERP'];
  const journal: JournalEntry[] = [];
  const cols = symbols.map(() => ({ ot: [] as number[], t: [] as number[], o: [] as number[], h: [] as number[], l: [] as number[], c: [] as number[], v: [] as number[] }));
  const px = [100, 50];
  const dec: Array<{ t: number; s: number; x: number }> = [];
  for (let i = 0; i < n; i++) {
    for (let s = 0; s < 2; s++) {
      const o = px[s]!;
      const c = o * Math.exp((rnd() - 0.5) * 0.02);
      px[s] = c;
      const ot = T0 + i * H;
      const t = ot + H + 1_000_000;
      const b = cols[s]!;
      b.ot.push(ot);
      b.t.push(t);
      b.o.push(o);
      b.h.push(Math.max(o, c) * 1.001);
      b.l.push(Math.min(o, c) * 0.999);
      b.c.push(c);
      b.v.push(1000);
      journal.push({ k: 'bar', s, t, ot, ct: ot + H, o, h: Math.max(o, c) * 1.001, l: Math.min(o, c) * 0.999, c, v: 1000, n: 1, f: t });
      dec.push({ t, s, x: rnd() - 0.5 });
    }
    for (const d of dec.slice(-2)) journal.push({ k: 'dec', s: d.s, t: d.t, v: [d.x], lat: 0 });
  }
  const inst = (symbol: string) => ({ symbol, venue: 'x', tick_size: 0.01, lot_base: 0, maker_fee: 0.0002, taker_fee: 0.0005, funding_interval_hours: 8, funding_accrual_hours: 8, valid_from: -Infinity, valid_to: Infinity });
  const data: MarketData = {
    symbols,
    instruments: symbols.map(inst),
    bars: cols.map((b) => ({ timeframe_us: H, open_time: Float64Array.from(b.ot), close_time: Float64Array.from(b.ot, (x) => x + H), available_time: Float64Array.from(b.t), open: Float64Array.from(b.o), high: Float64Array.from(b.h), low: Float64Array.from(b.l), close: Float64Array.from(b.c), volume: Float64Array.from(b.v) })),
    mark: [null, null],
    funding: [null, null],
    decisions: { time: Float64Array.from(dec, (d) => d.t), sym: Uint16Array.from(dec, (d) => d.s), columns: ['x'], values: [Float64Array.from(dec, (d) => d.x)] },
    start: T0,
    end: T0 + (n + 1) * H,
  };
  return { data, journal };
}

describe('paper session: the engine stepped one journal entry at a time', () => {
  it('gives the batch backtest result exactly (orders, fills, equity)', () => {
    const { data, journal } = market(300);
    const cfg = parseBacktestConfig({ sizing: { mode: 'fixed_notional', notional: 5_000 }, funding: { missing: 'zero' } });
    const batch = runEngine(data, cfg, signalStrategy({ column: 'x' }));
    const s = new PaperSession({ symbols: data.symbols, instruments: data.instruments, columns: ['x'], tf_us: H, start: data.start, end: data.end }, cfg, signalStrategy({ column: 'x' }));
    let last = Number.NaN;
    for (const e of journal) {
      if (last === last && e.t !== last) s.endBatch();
      s.apply(e);
      last = e.t;
    }
    const live = s.engine.finish();
    expect(batch.orders.qty.length).toBeGreaterThan(50);
    expect(Array.from(live.orders.qty)).toEqual(Array.from(batch.orders.qty));
    expect(Array.from(live.orders.created)).toEqual(Array.from(batch.orders.created));
    expect(Array.from(live.fills.price)).toEqual(Array.from(batch.fills.price));
    expect(Array.from(live.equity.equity)).toEqual(Array.from(batch.equity.equity));
    expect(live.counters.final_equity).toBe(batch.counters.final_equity);
  });

  it('journal: a torn last line (a crash during the append) is dropped and cut from the file; NaN survives', () => {
    const dir = tempDir();
    const p = join(dir, 'journal.jsonl');
    appendJournal(p, [{ k: 'dec', s: 0, t: 5, v: [Number.NaN, 1.5], lat: 3 }]);
    appendFileSync(p, '{"k":"bar","s":0,"t":9,');
    const r = readJournal(p);
    expect(r.torn).toBe(true);
    expect(r.entries).toHaveLength(1);
    expect((r.entries[0] as { v: number[] }).v[0]).toBeNaN();
    expect((r.entries[0] as { v: number[] }).v[1]).toBe(1.5);
    expect(readFileSync(p, 'utf8')).toBe('{"k":"dec","s":0,"t":5,"v":[null,1.5],"lat":3}\n');
    writeFileSync(p, '');
    expect(readJournal(p)).toEqual({ entries: [], torn: false });
  });

  it('tail recompute equals the full recompute bit for bit (macd_signal: 379-bar window; rsi_14; roc_1), gaps included', () => {
    const rnd = mulberry32(9);
    const tb = new SlotBars(H);
    const n = 2600;
    const close: number[] = [];
    let p = 100;
    const cols = ['macd_signal', 'rsi_14', 'roc_1', 'vwap_dist_24'];
    const slots: number[] = [];
    const base = Math.round(T0 / H);
    for (let i = 0; i < n; i++) {
      p *= Math.exp((rnd() - 0.5) * 0.01);
      if (i % 997 === 500) continue; // a missing bar
      close.push(p);
      slots.push(i);
      tb.push((base + i + 1) * H, (base + i + 1) * H + 1, p, p * 1.001, p * 0.999, p, 10 + rnd());
    }
    // full recompute over the whole axis
    const len = n;
    const arr = (): Float64Array => new Float64Array(len).fill(Number.NaN);
    const panel = { avail: arr(), open: arr(), high: arr(), low: arr(), close: arr(), volume: arr(), count: slots.length };
    const vols: number[] = [];
    {
      const rnd2 = mulberry32(9);
      let q = 100;
      for (let i = 0; i < n; i++) {
        q *= Math.exp((rnd2() - 0.5) * 0.01);
        if (i % 997 === 500) continue;
        const v = 10 + rnd2();
        vols.push(v);
        panel.avail[i] = (base + i + 1) * H + 1;
        panel.open[i] = q;
        panel.high[i] = q * 1.001;
        panel.low[i] = q * 0.999;
        panel.close[i] = q;
        panel.volume[i] = v;
      }
    }
    const full = featureColumns(panel, { t0: (base + 1) * H, tf: H, n: len, abs0: base + 1 }, cols);
    let compared = 0;
    for (const i of [400, 1100, 1500, 2047, 2048, 2599]) {
      const tail = tb.valuesAt((base + i + 1) * H, cols, 1024 + 400);
      cols.forEach((_, c) => {
        const f = full[c]![i]!;
        const t = tail[c]!;
        expect(Object.is(f, t) || (Number.isNaN(f) && Number.isNaN(t)), `${cols[c]} at slot ${i}: full ${f} tail ${t}`).toBe(true);
        if (Number.isFinite(f)) compared++;
      });
    }
    expect(compared).toBeGreaterThan(15);
  });
});
