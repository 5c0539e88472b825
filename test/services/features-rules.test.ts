import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { EMA_WINDOW } from '../../src/domain/features.js';
import { buildFeatures, featuresSpec } from '../../src/services/features.js';
import { datasetFiles, listOf, SCAN_SQL, writeRows } from '../../src/store/dataset.js';
import { ROOT, testContext } from '../helpers.js';
import type { ServiceContext } from '../../src/domain/context.js';

/**
 * The window rules of the catalog on a fixture cut from the real sample (BTC perp and spot, 1h, the
 * spot overlap of March-April 2026) with planted defects: a missing perp bar, a spot bar published
 * 3 hours late, a missed funding print and a zero-range bar. Every checked value is recomputed here
 * by a plain loop over the rows, apart from the engine: a value at decision T = close + 5 s comes
 * from the window of consecutive bars ending at that close, all of them available by T.
 */
const H = 3_600_000;
const LAT = 5_000;
let root = '';
interface Bar { t: number; avail: number; open: number; high: number; low: number; close: number; volume: number }
let perp: Map<number, Bar>;
let spot: Map<number, Bar>;
let funding: Array<{ t: number; avail: number; rate: number }>;
let t0 = 0;
let t1 = 0;
const GAP = Date.parse('2026-03-25T10:00:00Z'); // perp bar closing here is missing
const LATE = Date.parse('2026-04-02T06:00:00Z'); // spot bar closing here arrives 3 h late
const FLAT = Date.parse('2026-03-28T15:00:00Z'); // perp bar with high = low = open = close
const MISSED = Date.parse('2026-03-30T08:00:00Z'); // funding print not stored

async function rowsOf(ctx: ServiceContext, venue: string, symbol: string, tf: string): Promise<Bar[]> {
  const files = await datasetFiles(join(ROOT, 'data', 'sample'), DATASETS.bars, { venue: [venue], symbol: [symbol], price: ['last'], timeframe: [tf] });
  const rows = await ctx.db.all(`SELECT epoch_ms(event_time) AS t, epoch_ms(available_time) AS a, open, high, low, close, volume FROM ${SCAN_SQL} ORDER BY event_time`, { files: listOf(files) });
  return rows.map((r) => ({ t: Number(r['t']), avail: Number(r['a']), open: Number(r['open']), high: Number(r['high']), low: Number(r['low']), close: Number(r['close']), volume: Number(r['volume']) }));
}

const barRow = (venue: string, symbol: string, x: Bar): Record<string, unknown> => ({
  venue, symbol, price: 'last', timeframe: '1h', event_time: x.t * 1000, available_time: x.avail * 1000, source: 'test', ingest_time: 0,
  open_time: (x.t - H) * 1000, open: x.open, high: x.high, low: x.low, close: x.close, volume: x.volume, quote_volume: null, trade_count: null,
});

beforeAll(async () => {
  const ctx = await testContext();
  root = mkdtempSync(join(tmpdir(), 'perpkit-rules-'));
  cpSync(join(ROOT, 'data', 'sample', 'instruments'), join(root, 'instruments'), { recursive: true });
  const s = await rowsOf(ctx, 'binance-spot', 'BTC-SPOT', '1h');
  t0 = (s[0] as Bar).t;
  t1 = (s[s.length - 1] as Bar).t;
  const p = (await rowsOf(ctx, 'binance-usdm', 'BTC-PERP', '1h')).filter((x) => x.t >= t0 - 400 * H && x.t <= t1);
  const pMod = p.filter((x) => x.t !== GAP).map((x) => (x.t === FLAT ? { ...x, high: x.close, low: x.close, open: x.close } : x));
  const sMod = s.map((x) => (x.t === LATE ? { ...x, avail: x.avail + 3 * H } : x));
  perp = new Map(pMod.map((x) => [x.t, x]));
  spot = new Map(sMod.map((x) => [x.t, x]));
  await writeRows(ctx, { root, spec: DATASETS.bars }, [...pMod.map((x) => barRow('binance-usdm', 'BTC-PERP', x)), ...sMod.map((x) => barRow('binance-spot', 'BTC-SPOT', x))]);
  const fFiles = await datasetFiles(join(ROOT, 'data', 'sample'), DATASETS.funding, { venue: ['binance-usdm'], symbol: ['BTC-PERP'] });
  const f = await ctx.db.all(`SELECT * FROM ${SCAN_SQL} WHERE event_time >= make_timestamp($a::BIGINT) AND event_time <= make_timestamp($b::BIGINT) AND epoch_ms(event_time) <> $m ORDER BY event_time`, {
    files: listOf(fFiles), a: BigInt((t0 - 400 * H) * 1000), b: BigInt(t1 * 1000), m: MISSED,
  });
  funding = f.map((r) => ({ t: Date.parse(`${String(r['event_time'])}Z`), avail: Date.parse(`${String(r['available_time'])}Z`), rate: Number(r['funding_rate']) }));
  await writeRows(ctx, { root, spec: DATASETS.funding }, f.map((r) => ({
    venue: 'binance-usdm', symbol: 'BTC-PERP', event_time: Date.parse(`${String(r['event_time'])}Z`) * 1000, available_time: Date.parse(`${String(r['available_time'])}Z`) * 1000,
    source: 'test', ingest_time: 0, funding_rate: Number(r['funding_rate']), funding_interval_hours: Number(r['funding_interval_hours']), mark_price: null,
  })));
  await buildFeatures({ root, venue: 'binance-usdm', symbols: ['BTC-PERP'], timeframe: '1h' }, ctx);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The bars of the window of L consecutive closes ending at t, if all exist and arrived by T. */
function window(series: Map<number, Bar>, t: number, L: number, T: number): Bar[] | null {
  const out: Bar[] = [];
  for (let i = L - 1; i >= 0; i--) {
    const b = series.get(t - i * H);
    if (!b || b.avail > T) return null;
    out.push(b);
  }
  return out;
}

function pairWindow(t: number, L: number, T: number): Array<{ p: Bar; s: Bar; basis: number }> | null {
  const a = window(perp, t, L, T);
  const b = window(spot, t, L, T);
  if (!a || !b) return null;
  return a.map((p, i) => ({ p, s: b[i] as Bar, basis: p.close / (b[i] as Bar).close - 1 }));
}

const truncEma = (xs: number[], alpha: number): number => {
  // xs oldest first; weights alpha (1-alpha)^i from the newest
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += alpha * Math.pow(1 - alpha, i) * (xs[xs.length - 1 - i] as number);
  return s / (1 - Math.pow(1 - alpha, xs.length));
};

const ols = (x: number[], y: number[]): number => {
  const mx = x.reduce((a, b) => a + b, 0) / x.length;
  const my = y.reduce((a, b) => a + b, 0) / y.length;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += ((x[i] as number) - mx) * ((y[i] as number) - my);
    sxx += ((x[i] as number) - mx) ** 2;
  }
  return sxy / sxx;
};

const reference: Record<string, (t: number, T: number) => number | null> = {
  rsi_14: (t, T) => {
    const w = window(perp, t, EMA_WINDOW + 1, T);
    if (!w) return null;
    const d = w.slice(1).map((b, i) => b.close - (w[i] as Bar).close);
    const g = truncEma(d.map((x) => Math.max(x, 0)), 1 / 14);
    const l = truncEma(d.map((x) => Math.max(-x, 0)), 1 / 14);
    return l === 0 ? (g === 0 ? 50 : 100) : 100 - 100 / (1 + g / l);
  },
  macd_signal: (t, T) => {
    const w = window(perp, t, 2 * EMA_WINDOW - 1, T);
    if (!w) return null;
    const line: number[] = [];
    for (let j = EMA_WINDOW - 1; j < w.length; j++) {
      const c = w.slice(j - EMA_WINDOW + 1, j + 1).map((b) => b.close);
      line.push(truncEma(c, 2 / 13) - truncEma(c, 2 / 27));
    }
    return truncEma(line, 2 / 10) / (w[w.length - 1] as Bar).close;
  },
  basis_half_life_168: (t, T) => {
    const w = pairWindow(t, 169, T);
    if (!w) return null;
    const phi = ols(w.slice(0, 168).map((x) => x.basis), w.slice(1).map((x) => x.basis));
    return phi > 0 && phi < 1 ? -Math.LN2 / Math.log(phi) : null;
  },
  basis_slope_24: (t, T) => {
    const w = pairWindow(t, 24, T);
    return w ? ols(w.map((_, i) => i), w.map((x) => x.basis)) : null;
  },
  basis_mean_24: (t, T) => {
    const w = pairWindow(t, 24, T);
    return w ? w.reduce((a, x) => a + x.basis, 0) / 24 : null;
  },
  basis_sign_run: (t, T) => {
    const cur = pairWindow(t, 1, T);
    if (!cur) return null;
    const sign = Math.sign((cur[0] as { basis: number }).basis);
    let run = 1;
    while (run < 168) {
      const prev = pairWindow(t - run * H, 1, T);
      if (!prev) {
        // a breaker bar that exists but has not arrived makes the value unknown yet
        if (perp.has(t - run * H) && spot.has(t - run * H)) return null;
        break;
      }
      if (Math.sign((prev[0] as { basis: number }).basis) !== sign) break;
      run++;
    }
    return run;
  },
  hl_range: (t, T) => {
    const w = window(perp, t, 1, T);
    return w ? ((w[0] as Bar).high - (w[0] as Bar).low) / (w[0] as Bar).close : null;
  },
  parkinson_24: (t, T) => {
    const w = window(perp, t, 24, T);
    return w ? Math.sqrt(w.reduce((a, b) => a + Math.log(b.high / b.low) ** 2, 0) / (4 * Math.LN2 * 24)) : null;
  },
  funding_mean_24: (_t, T) => {
    // the 24 most recent prints settled by T, consecutive 8 h apart, all available, the newest within 8 h + 1 h
    const known = funding.filter((f) => f.t <= T);
    const last = known.slice(-24);
    if (last.length < 24) return null;
    const newest = last[23] as { t: number };
    if (T - newest.t > 9 * H) return null;
    for (let i = 1; i < 24; i++) if ((last[i] as { t: number }).t - (last[i - 1] as { t: number }).t !== 8 * H) return null;
    if (last.some((f) => f.avail > T)) return null;
    return last.reduce((a, f) => a + f.rate, 0) / 24;
  },
};

describe('window rules against row loops (gap, late bar, missed funding print, zero-range bar)', () => {
  it('every checked feature equals the row-loop value at every decision time, NULLs included', async () => {
    const ctx = await testContext();
    const files = await datasetFiles(root, featuresSpec());
    const cols = Object.keys(reference);
    const rows = await ctx.db.all(`SELECT epoch_ms(event_time) AS d, ${cols.join(', ')} FROM ${SCAN_SQL} ORDER BY event_time`, { files: listOf(files) });
    expect(rows.length).toBeGreaterThan(1000);
    const nonNull: Record<string, number> = {};
    let compared = 0;
    for (const r of rows) {
      const T = Number(r['d']);
      const t = T - LAT;
      for (const c of cols) {
        const want = (reference[c] as (t: number, T: number) => number | null)(t, T);
        const got = r[c] === null ? null : Number(r[c]);
        compared++;
        if (want === null || !Number.isFinite(want)) {
          if (got !== null) throw new Error(`${c} at ${new Date(T).toISOString()}: expected NULL, got ${got}`);
          continue;
        }
        if (got === null || Math.abs(got - want) > 1e-9 * Math.max(1, Math.abs(want))) {
          throw new Error(`${c} at ${new Date(T).toISOString()}: expected ${want}, got ${got}`);
        }
        nonNull[c] = (nonNull[c] ?? 0) + 1;
      }
    }
    expect(compared).toBeGreaterThan(10_000);
    for (const c of cols) expect(nonNull[c] ?? 0, c).toBeGreaterThan(100);
  });

  it('a late spot bar: windows holding it are NULL until it arrives; the bar after it is usable at once', async () => {
    const ctx = await testContext();
    const files = await datasetFiles(root, featuresSpec());
    const rows = await ctx.db.all(`SELECT epoch_ms(event_time) AS d, basis, basis_mean_24 FROM ${SCAN_SQL} WHERE event_time BETWEEN make_timestamp($a::BIGINT) AND make_timestamp($b::BIGINT) ORDER BY event_time`, {
      files: listOf(files), a: BigInt((LATE - H) * 1000), b: BigInt((LATE + 4 * H) * 1000),
    });
    const at = (t: number): Record<string, unknown> | undefined => rows.find((r) => Number(r['d']) === t + LAT);
    expect(at(LATE - H)?.['basis_mean_24']).not.toBeNull();
    expect(at(LATE)?.['basis']).toBeNull(); // its own bar is not there yet
    expect(at(LATE + H)?.['basis']).not.toBeNull(); // the next bar does not hold it
    expect(at(LATE + H)?.['basis_mean_24']).toBeNull(); // the window holds it: not yet usable
    expect(at(LATE + 2 * H)?.['basis_mean_24']).toBeNull();
    expect(at(LATE + 3 * H)?.['basis_mean_24']).not.toBeNull(); // arrived 3 h + 2 s after its close
  });

  it('a missing bar restarts the EMA warm-up (RSI and MACD NULL for their documented windows), a zero-range bar gives 0, not NULL', async () => {
    const ctx = await testContext();
    const files = await datasetFiles(root, featuresSpec());
    const rows = await ctx.db.all(`SELECT epoch_ms(event_time) AS d, rsi_14, macd, macd_signal, hl_range, liquidity_stress FROM ${SCAN_SQL} ORDER BY event_time`, { files: listOf(files) });
    const idx = rows.findIndex((r) => Number(r['d']) === GAP + LAT);
    // after the hole at GAP: RSI needs EMA_WINDOW + 1 consecutive bars, the MACD line EMA_WINDOW, the signal 2 EMA_WINDOW - 1
    const firstNonNull = (c: string): number => rows.slice(idx).findIndex((r) => r[c] !== null);
    expect(firstNonNull('rsi_14')).toBe(EMA_WINDOW + 1);
    expect(firstNonNull('macd')).toBe(EMA_WINDOW);
    expect(firstNonNull('macd_signal')).toBe(2 * EMA_WINDOW - 1);
    const flat = rows.find((r) => Number(r['d']) === FLAT + LAT);
    expect(flat?.['hl_range']).toBe(0);
    expect(flat?.['liquidity_stress']).toBe(0);
  });
});

describe('partial builds', () => {
  it('--set price replaces only the price columns and keeps every other family as stored', async () => {
    const ctx = await testContext();
    const files = await datasetFiles(root, featuresSpec());
    const cols = ['roc_1', 'rsi_14', 'basis_mean_24', 'funding_mean_24', 'vol_ratio_24', 'corr_btc_168'];
    const q = `SELECT epoch_ms(event_time) AS d, ${cols.join(', ')} FROM ${SCAN_SQL} ORDER BY event_time`;
    const before = await ctx.db.all(q, { files: listOf(files) });
    expect(before.filter((r) => r['basis_mean_24'] !== null).length).toBeGreaterThan(100);
    const r = await buildFeatures({ root, venue: 'binance-usdm', symbols: ['BTC-PERP'], timeframe: '1h', families: ['price'] }, ctx);
    expect(r.write?.rows_replaced ?? 0).toBe(0); // same values: nothing rewritten
    const after = await ctx.db.all(q, { files: listOf(await datasetFiles(root, featuresSpec())) });
    expect(after).toEqual(before);
  });
});

describe('roll-ups', () => {
  it('a 1h bar is built from 15m bars only when all four are there (a missing 15m bar leaves the hour out, never a 3-part bar)', async () => {
    const ctx = await testContext();
    const dir = mkdtempSync(join(tmpdir(), 'perpkit-rollup-'));
    cpSync(join(ROOT, 'data', 'sample', 'instruments'), join(dir, 'instruments'), { recursive: true });
    const q15 = (await rowsOf(ctx, 'binance-usdm', 'SOL-PERP', '15m')).slice(0, 15 * 4);
    const missing = (q15.filter((x) => x.t % H === 0)[10] as Bar).t - H / 4; // third quarter of the 11th full hour
    // the last quarter of the 6th full hour is published 2 h late: that hour's bar is available only then
    const lateQuarter = (q15.filter((x) => x.t % H === 0)[5] as Bar).t;
    const rows = q15
      .filter((x) => x.t !== missing)
      .map((x) => ({ ...barRow('binance-usdm', 'SOL-PERP', x.t === lateQuarter ? { ...x, avail: x.avail + 2 * H } : x), timeframe: '15m', open_time: (x.t - H / 4) * 1000 }));
    await writeRows(ctx, { root: dir, spec: DATASETS.bars }, rows);
    const r = await buildFeatures({ root: dir, venue: 'binance-usdm', symbols: ['SOL-PERP'], timeframe: '1h', families: ['price'] }, ctx);
    expect(r.notes.join('\n')).toMatch(/rolled up from 15m/);
    const files = await datasetFiles(dir, featuresSpec());
    const out = await ctx.db.all(`SELECT epoch_ms(event_time) AS d, perp_bars_age_ms AS age, hl_range FROM ${SCAN_SQL} ORDER BY event_time`, { files: listOf(files) });
    // the rolled-up hour closing at missing's hour end is absent: that decision sees the previous hour (stale, NULL)
    const hourEnd = Math.ceil(missing / H) * H;
    const row = out.find((x) => Number(x['d']) === hourEnd + LAT);
    expect(Number(row?.['age'])).toBe(H + LAT);
    expect(row?.['hl_range']).toBeNull();
    const lateRow = out.find((x) => Number(x['d']) === lateQuarter + LAT);
    expect(Number(lateRow?.['age'])).toBe(H + LAT); // the rolled-up hour is not there until its last part is
    expect(lateRow?.['hl_range']).toBeNull();
    // a complete hour: high/low over its four parts
    const end = q15.findIndex((x, i) => i >= 3 && x.t % H === 0);
    const firstHour = q15.slice(end - 3, end + 1);
    const first = out.find((x) => Number(x['d']) === (firstHour[3] as Bar).t + LAT);
    const hi = Math.max(...firstHour.map((x) => x.high));
    const lo = Math.min(...firstHour.map((x) => x.low));
    expect(Number(first?.['hl_range'])).toBeCloseTo((hi - lo) / (firstHour[3] as Bar).close, 12);
    rmSync(dir, { recursive: true, force: true });
  });
});
