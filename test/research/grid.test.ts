import { describe, expect, it } from 'vitest';
import { DEFAULT_RESEARCH_CONFIG, REGIME_DIMENSIONS, type ResearchConfig } from '../../src/domain/research.js';
import { computeFeatureHorizon, regimeMasks } from '../../src/services/research/cells.js';
import { buildGridIndex, gridFeatureHorizon } from '../../src/services/research/grid.js';
import { column } from '../../src/services/research/grid-index.js';
import type { AssetSeries, Panel } from '../../src/services/research/panel.js';
import { panelOf, series } from './grid-panel.js';
import { icTrend, signStability } from '../../src/stats/decay.js';
import { longRunVariance } from '../../src/stats/ic.js';
import { walkForwardResiduals } from '../../src/stats/incremental.js';
import { mulberry32, normalGenerator } from '../../src/stats/random.js';
import { walkForwardResidualsFast, type WalkForwardLabelSide } from '../../src/stats/research-incremental.js';
import { DIRECT_LAGS, hacSum, longRunVarianceFast, sortColumn } from '../../src/stats/research-kernels.js';
import { groupPearsonOf, groupSums, groupSumsOf, makeGroupSet, rankedColumn, rankSide } from '../../src/stats/research-fused.js';
import { pearson, rankAverage } from '../../src/stats/descriptive.js';

// The fast grid (research/grid.ts) against the plain per-cell loops (cells.computeFeatureHorizon),
// on a small panel built to be awkward: ties (rounded features, discrete regime features), missing
// feature and label values, assets with different spans, cells under the observation floor, and
// Newey-West lags on both sides of the direct/box-kernel switch.

const eval_ = panelOf([series('AAA', 2600, 0, 1), series('BBB', 2400, 150, 2), series('CCC', 2600, 0, 3)]);
const trainPanel = panelOf([series('AAA', 900, -1000, 11), series('BBB', 900, -1000, 12), series('CCC', 900, -1000, 13)]);
const train = new Map(trainPanel.assets.map((a) => [a.symbol, a.features]));
// about nine days of 5m bars: daily IC periods (a day's IC needs 40 rows of the asset in the cell)
const cfg: ResearchConfig = { ...DEFAULT_RESEARCH_CONFIG, min_obs_per_cell: 650, ic_period: 'day', min_obs_per_period: 40 };

function close(a: unknown, b: unknown, path: string, bad: string[]): void {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) && Number.isNaN(b)) return;
    if (!(Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a)))) bad.push(`${path}: ${a} vs ${b}`);
    return;
  }
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    if (a !== b) bad.push(`${path}: ${String(a)} vs ${String(b)}`);
    return;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) close((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, bad);
}

describe('research grid (fast path) = the plain per-cell loops', () => {
  const dims = [...REGIME_DIMENSIONS];
  const masks = regimeMasks(eval_, train, dims, cfg);
  const ix = buildGridIndex(eval_, train, masks, dims, cfg);
  for (const [feature, horizon, lags] of [
    ['basis', '15m', 2],
    ['basis_z_168', '15m', 3],
    ['basis', '4h', 2 * DIRECT_LAGS],
    ['basis_z_168', '4h', DIRECT_LAGS + 7],
  ] as const) {
    it(`${feature} x ${horizon}, ${lags} Newey-West lags: every statistic of every cell to 1e-12`, () => {
      const o = { dims, feature, horizon, horizon_ms: horizon === '15m' ? 900_000 : 14_400_000, lags, cfg };
      const ref = computeFeatureHorizon({ ...o, panel: eval_, train, masks });
      const got = gridFeatureHorizon(ix, o);
      expect(got.map((c) => `${c.regime_dim}=${c.regime_cell}:${c.status}`)).toEqual(ref.map((c) => `${c.regime_dim}=${c.regime_cell}:${c.status}`));
      // the panel is awkward enough: some cells under the floor, most with numbers, periods and buckets
      expect(ref.some((c) => c.status === 'insufficient')).toBe(true);
      expect(ref.filter((c) => c.status === 'ok' && c.ic_periods >= 3 && c.t_nw !== null).length).toBeGreaterThan(8);
      expect(ref[0]!.buckets).not.toBeNull();
      expect(ref[0]!.partial_ic).not.toBeNull();
      const bad: string[] = [];
      ref.forEach((c, i) => close(c, got[i], `${c.regime_dim}=${c.regime_cell}`, bad));
      expect(bad).toEqual([]);
    });
  }
  it('the label residual of a horizon is sorted once for features with the same usable rows (and again when they differ)', () => {
    const ix2 = buildGridIndex(eval_, train, masks, dims, cfg);
    const o = { dims, horizon: '15m', horizon_ms: 900_000, lags: 2, cfg };
    const partial = (feature: string): unknown[] => {
      const got = gridFeatureHorizon(ix2, { ...o, feature })[0]!;
      const ref = computeFeatureHorizon({ ...o, feature, panel: eval_, train, masks })[0]!;
      const bad: string[] = [];
      close([ref.partial_ic, ref.partial_t_nw, ref.partial_p, ref.r2_lift], [got.partial_ic, got.partial_t_nw, got.partial_p, got.r2_lift], feature, bad);
      expect(bad).toEqual([]);
      expect(ref.partial_ic).not.toBeNull();
      return [ix2.residuals.get('15m')!.sorted];
    };
    const a = partial('settle_in_window'); // no missing values
    const b = partial('perp_spot_activity_24'); // none either: the same label residual, reused
    expect(b[0]).toBe(a[0]);
    const c = partial('basis'); // 5% missing: other rows, sorted again
    expect(c[0]).not.toBe(a[0]);
  });
});

describe("research grid: the grid's working arrays between features", () => {
  it("an asset without training values of a feature: no hits counted for it, whatever the previous feature's were", () => {
    // BBB has no training values of roc_1 (no median: its rows count no sign agreement); basis, run
    // first on the same index, counted BBB's rows
    const dims = [...REGIME_DIMENSIONS];
    const trainNo = new Map([...train].map(([sym, m]) => [sym, sym === 'BBB' ? new Map([...m].filter(([f]) => f !== 'roc_1')) : m]));
    const masks = regimeMasks(eval_, trainNo, dims, cfg);
    const ix = buildGridIndex(eval_, trainNo, masks, dims, cfg);
    const o = { dims, horizon: '15m', horizon_ms: 900_000, lags: 2, cfg };
    expect(gridFeatureHorizon(ix, { ...o, feature: 'basis' })[0]!.hit_rate).not.toBeNull();
    const got = gridFeatureHorizon(ix, { ...o, feature: 'roc_1' });
    const ref = computeFeatureHorizon({ ...o, feature: 'roc_1', panel: eval_, train: trainNo, masks });
    expect(ref[0]!.hit_rate).not.toBeNull();
    const bad: string[] = [];
    ref.forEach((c, i) => close(c.hit_rate, got[i]!.hit_rate, `${c.regime_dim}=${c.regime_cell}`, bad));
    expect(bad).toEqual([]);
  });
});

describe('research grid over a panel read as one array per column', () => {
  // research/panel.ts reads each column once over every asset (the assets' arrays are consecutive
  // views of it): the grid uses the array itself; views in another order are copied in panel order
  const dims = [...REGIME_DIMENSIONS];
  const names = [...eval_.assets[0]!.features.keys()];
  const horizons = [...eval_.assets[0]!.labels.keys()];
  const viewsOf = (order: number[]): Panel => {
    const n = eval_.assets.map((a) => a.time.length);
    const at = order.reduce<number[]>((acc, k, j) => ((acc[k] = j === 0 ? 0 : acc[order[j - 1]!]! + n[order[j - 1]!]!), acc), []);
    const whole = (get: (a: AssetSeries) => Float64Array): Float64Array => {
      const out = new Float64Array(new SharedArrayBuffer(n.reduce((s, v) => s + v, 0) * 8));
      eval_.assets.forEach((a, k) => out.set(get(a), at[k]!));
      return out;
    };
    const time = whole((a) => a.time);
    const feats = new Map(names.map((f) => [f, whole((a) => a.features.get(f)!)]));
    const labs = new Map(horizons.map((h) => [h, whole((a) => a.labels.get(h)!)]));
    const view = (v: Float64Array, k: number): Float64Array => v.subarray(at[k]!, at[k]! + n[k]!);
    return panelOf(
      eval_.assets.map((a, k) => ({
        symbol: a.symbol,
        time: view(time, k),
        features: new Map([...feats].map(([f, v]) => [f, view(v, k)])),
        labels: new Map([...labs].map(([h, v]) => [h, view(v, k)])),
      })),
    );
  };
  const o = { dims, feature: 'basis_z_168', horizon: '4h', horizon_ms: 14_400_000, lags: 5, cfg };
  const masks = regimeMasks(eval_, train, dims, cfg);
  const want = gridFeatureHorizon(buildGridIndex(eval_, train, masks, dims, cfg), o);
  it('consecutive views: the column is the array itself, the cells the same as over separate arrays', () => {
    const p = viewsOf([0, 1, 2]);
    const ix = buildGridIndex(p, train, regimeMasks(p, train, dims, cfg), dims, cfg);
    const col = column(ix, 'f:basis_z_168', (a) => a.features.get('basis_z_168'), false);
    expect(col.values.buffer).toBe(p.assets[0]!.features.get('basis_z_168')!.buffer);
    expect(col.values.length).toBe(ix.N);
    expect(gridFeatureHorizon(ix, o)).toEqual(want);
  });
  it('views of one array in another order than the panel\'s: copied in panel order, the same cells', () => {
    const p = viewsOf([2, 0, 1]);
    const ix = buildGridIndex(p, train, regimeMasks(p, train, dims, cfg), dims, cfg);
    const col = column(ix, 'f:basis_z_168', (a) => a.features.get('basis_z_168'), false);
    expect(col.values.buffer).not.toBe(p.assets[0]!.features.get('basis_z_168')!.buffer);
    let o0 = 0;
    for (const a of eval_.assets) {
      expect(Buffer.from(col.values.buffer, o0 * 8, a.time.length * 8)).toEqual(Buffer.from(a.features.get('basis_z_168')!.buffer));
      o0 += a.time.length;
    }
    expect(gridFeatureHorizon(ix, o)).toEqual(want);
  });
});

describe('research grid: ranks shared across horizons and features', () => {
  const dims = [...REGIME_DIMENSIONS];
  const masks = regimeMasks(eval_, train, dims, cfg);
  const run = (ix: ReturnType<typeof buildGridIndex>, feature: string, horizon: '15m' | '4h'): void => {
    const o = { dims, feature, horizon, horizon_ms: horizon === '15m' ? 900_000 : 14_400_000, lags: 3, cfg };
    const ref = computeFeatureHorizon({ ...o, panel: eval_, train, masks });
    const bad: string[] = [];
    ref.forEach((c, i) => close(c, gridFeatureHorizon(ix, o)[i], `${feature} ${horizon} ${c.regime_dim}=${c.regime_cell}`, bad));
    expect(bad).toEqual([]);
  };
  const usable = (feature: string, horizon: string): string =>
    eval_.assets.map((a) => Array.from(a.features.get(feature)!, (x, i) => (Number.isFinite(x) && Number.isFinite(a.labels.get(horizon)![i]!) ? 1 : 0)).join('')).join('|');
  it('a feature over two horizons whose labels miss different rows, one after the other: both equal the plain loops', () => {
    expect(usable('basis', '15m')).not.toBe(usable('basis', '4h')); // the cache must not be hit here
    const ix = buildGridIndex(eval_, train, masks, dims, cfg);
    run(ix, 'basis', '15m');
    run(ix, 'basis', '4h');
    run(ix, 'basis', '15m');
  });
  it('features with the same usable rows share the label ranks; one with other rows gets its own, equal to the plain loops', () => {
    expect(usable('settle_in_window', '15m')).toBe(usable('perp_spot_activity_24', '15m'));
    expect(usable('basis', '15m')).not.toBe(usable('settle_in_window', '15m'));
    const ix = buildGridIndex(eval_, train, masks, dims, cfg);
    run(ix, 'settle_in_window', '15m');
    const shared = ix.ranks.get('y:15m')!.ranks;
    const before = Int32Array.from(shared.r);
    // the label side of the cross-sectional IC too (the cells' cs_ic is compared with the plain loops by run)
    const cy = ix.crossY.get('15m')!;
    const dyBefore = Float64Array.from(cy.dy);
    expect(gridFeatureHorizon(ix, { dims, feature: 'settle_in_window', horizon: '15m', horizon_ms: 900_000, lags: 3, cfg })[0]!.cs_ic).not.toBeNull();
    run(ix, 'perp_spot_activity_24', '15m'); // same rows: the same label ranks
    expect(ix.ranks.get('y:15m')!.ranks.r).toEqual(before);
    expect(ix.crossY.get('15m')).toBe(cy);
    expect(cy.dy).toEqual(dyBefore);
    run(ix, 'basis', '15m'); // other rows: re-ranked
    expect(ix.ranks.get('y:15m')!.ranks.r).not.toEqual(before);
    expect(ix.crossY.get('15m')!.dy.length).toBeLessThan(dyBefore.length);
    run(ix, 'perp_spot_activity_24', '15m');
    expect(ix.crossY.get('15m')!.dy).toEqual(dyBefore);
  });
});

describe('research grid over a walk-forward split\'s folds (ic_period fold)', () => {
  // three folds of two assets, consecutive in time, each asset of a fold trained on its own rows
  const folds = [0, 1, 2];
  const evalF = panelOf(folds.flatMap((k) => [series(`AAA@fold-${k}`, 900, k * 1000, 20 + k), series(`BBB@fold-${k}`, 850, k * 1000 + 40, 30 + k)]));
  const trainF = new Map(folds.flatMap((k) => [`AAA@fold-${k}`, `BBB@fold-${k}`].map((sym, j) => [sym, series(sym, 700, k * 1000 - 800, 40 + 2 * k + j).features] as const)));
  const cfgF: ResearchConfig = { ...cfg, min_obs_per_cell: 300, ic_period: 'fold' };
  const dims = [...REGIME_DIMENSIONS];
  it('every statistic equals the plain loops; the periods are the folds (mean over assets of each fold\'s IC)', () => {
    const masks = regimeMasks(evalF, trainF, dims, cfgF);
    const ix = buildGridIndex(evalF, trainF, masks, dims, cfgF);
    for (const feature of ['basis', 'basis_z_168']) {
      const o = { dims, feature, horizon: '15m', horizon_ms: 900_000, lags: 3, cfg: cfgF };
      const ref = computeFeatureHorizon({ ...o, panel: evalF, train: trainF, masks });
      const got = gridFeatureHorizon(ix, o);
      const bad: string[] = [];
      ref.forEach((c, i) => close(c, got[i], `${feature} ${c.regime_dim}=${c.regime_cell}`, bad));
      expect(bad).toEqual([]);
      const all = got[0]!;
      expect(all.ic_periods).toBe(3);
      // a fold's period IC is the mean over its assets of their IC (a period is the whole fold)
      const per = folds.map((k) => ((all.ic_by_asset[`AAA@fold-${k}`] as number) + (all.ic_by_asset[`BBB@fold-${k}`] as number)) / 2);
      expect(all.ic_trend).toBeCloseTo(icTrend(per)!, 12);
      expect(all.sign_stability).toBe(signStability(per).share);
    }
  });
  it('an asset that is not a fold\'s has no fold period: refused', () => {
    const masks = regimeMasks(eval_, train, dims, cfgF);
    expect(() => buildGridIndex(eval_, train, masks, dims, cfgF)).toThrow(/ic_period fold needs the folds of a walk-forward split/);
  });
});

describe('research kernels', () => {
  const z = normalGenerator(5);
  it('groupSums: per group of each grouping, the Spearman sums of the valid rows (ties averaged) and the pooled series', () => {
    // rows 0..9, two decision times each (t = i mod 5); grouping 0 (pooled, 2 assets x 1 cell), grouping 1 (3 groups, not pooled)
    const x = Float64Array.from([3, 1, Number.NaN, 3, 2, 1, 3, 5, 2, 1]);
    const y = Float64Array.from([0.5, 0.1, 0.2, 0.9, 0.9, 0.3, 0.4, 0.7, 0.2, 0.6]);
    const valid = Uint8Array.from(x, (v, i) => (Number.isFinite(v) && i !== 5 ? 1 : 0));
    const g0 = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    const g1 = Int32Array.from([0, 1, 2, 0, 1, 2, 0, 1, -1, 1]);
    const tIdx = Int32Array.from({ length: 10 }, (_, i) => i % 5);
    const set = makeGroupSet(10, [{ group: g0, size: 2, cells: 1 }, { group: g1, size: 3 }], 1, 5);
    const s = groupSums(set, rankedColumn(set, sortColumn(x)), rankedColumn(set, sortColumn(y)), valid, tIdx, null);
    const direct = (rows: number[]): { n: number; sxx: number; syy: number; sxy: number; r: number } => {
      const rx = rankAverage(Float64Array.from(rows, (i) => x[i]!));
      const ry = rankAverage(Float64Array.from(rows, (i) => y[i]!));
      const c = (rows.length + 1) / 2;
      let sxx = 0;
      let syy = 0;
      let sxy = 0;
      rows.forEach((_, j) => {
        sxx += 4 * (rx[j]! - c) ** 2;
        syy += 4 * (ry[j]! - c) ** 2;
        sxy += 4 * (rx[j]! - c) * (ry[j]! - c);
      });
      return { n: rows.length, sxx, syy, sxy, r: pearson(rx, ry) };
    };
    const groups: Array<[number, number[]]> = [
      [0, [0, 1, 3, 4]], // grouping 0, asset 0 (row 2 has no x)
      [1, [6, 7, 8, 9]], // grouping 0, asset 1 (row 5 not valid)
      [2, [0, 3, 6]], // grouping 1, group 0
      [3, [1, 4, 7, 9]], // grouping 1, group 1 (row 8 in no group)
      [4, []], // grouping 1, group 2: rows 2 and 5 are not valid
    ];
    for (const [idx, rows] of groups) {
      const d = direct(rows);
      expect(s.cnt[idx]).toBe(d.n);
      if (!d.n) continue;
      expect(s.sxx[idx]).toBeCloseTo(d.sxx, 10);
      expect(s.syy[idx]).toBeCloseTo(d.syy, 10);
      expect(s.sxy[idx]).toBeCloseTo(d.sxy, 10);
      if (Number.isNaN(d.r)) expect(groupPearsonOf(s, idx)).toBeNaN(); // a constant side (rows 0, 3, 6 all have x = 3)
      else expect(groupPearsonOf(s, idx)).toBeCloseTo(d.r, 12);
    }
    expect(groupPearsonOf(s, 4)).toBeNaN();
    // pooled: per asset the mean contribution is its Spearman IC; the series sums contributions by decision time
    for (const a of [0, 1]) expect(s.usum[a]! / s.cnt[a]!).toBeCloseTo(direct(groups[a]![1]).r, 12);
    expect(Array.from(s.tcnt)).toEqual([1, 2, 1, 2, 2]); // times 0..4: rows {0}, {1,6}, {7}, {3,8}, {4,9}
    let total = 0;
    for (let t = 0; t < 5; t++) total += s.tsum[t]!;
    expect(total).toBeCloseTo(s.usum[0]! + s.usum[1]!, 12);
  });
  it('groupSumsOf: hits per pooled group, and the series counts leave out groups without contributions (recounted for other decision times)', () => {
    // pooled grouping: 3 assets x 1 cell; asset 1 has a constant x (no contributions), asset 2 two valid rows (under 3)
    const x = Float64Array.from([1, 4, 2, 3, 5, 7, 7, 7, 7, 2, 9, 1]);
    const y = Float64Array.from([0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.6, -0.1, 0.3, 0.7, -0.5, 0.2]);
    const g = Int32Array.from([0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
    const valid = Uint8Array.from(x, (_, i) => (i === 11 ? 0 : 1));
    const sign = Int8Array.from(x, (v, i) => Math.sign(v - 4) * Math.sign(y[i]!));
    const set = makeGroupSet(12, [{ group: g, size: 3, cells: 1 }], 1, 4);
    const xr = rankSide(set, sortColumn(x), valid);
    const yr = rankSide(set, sortColumn(y), valid);
    const t1 = Int32Array.from({ length: 12 }, (_, i) => i % 4);
    const s = groupSumsOf(set, xr, yr, t1, sign);
    for (const a of [0, 1, 2]) {
      const rows = [...g.keys()].filter((i) => g[i] === a && valid[i] === 1);
      expect(s.pos[a]).toBe(rows.filter((i) => sign[i]! > 0).length);
      expect(s.neg[a]).toBe(rows.filter((i) => sign[i]! < 0).length);
    }
    expect(s.pos[0]! + s.neg[0]!).toBeGreaterThan(2);
    expect(s.neg[1]! + s.neg[2]!).toBeGreaterThan(0);
    // only asset 0's rows (0..4) count in the series: times 0, 1, 2, 3, 0
    expect(Array.from(s.tcnt)).toEqual([2, 1, 1, 1]);
    expect(s.usum[1]).toBe(0);
    expect(s.usum[2]).toBe(0);
    // the same ranks with other decision times: counted again, not taken from the first call's
    const t2 = Int32Array.from({ length: 12 }, (_, i) => 3 - (i % 4));
    expect(Array.from(groupSumsOf(set, xr, yr, t2, sign).tcnt)).toEqual([1, 1, 1, 2]);
    // and again with the first times
    expect(Array.from(groupSumsOf(set, xr, yr, t1, null).tcnt)).toEqual([2, 1, 1, 1]);
  });
  it('sortColumn (radix): the finite rows in numeric order, ties in row order, -0 = 0, tie blocks marked', () => {
    const u = mulberry32(21);
    const pool = [-1e300, -2.5, -1, -1e-300, -0, 0, 5e-324, 1e-300, 0.1, 1, 1 + 2 ** -52, 2.5, 1e300, Number.NaN, Infinity, -Infinity];
    for (const n of [0, 1, 9, 400]) {
      // few distinct values (ties everywhere) and continuous ones (digits in every 16-bit pass)
      const v = Float64Array.from({ length: n }, (_, i) => (i % 2 ? pool[Math.floor(u() * pool.length)]! : (u() - 0.5) * 10 ** Math.floor(u() * 8 - 4)));
      const rows = Array.from({ length: n }, (_, i) => i).filter((i) => Number.isFinite(v[i]!));
      rows.sort((a, b) => v[a]! - v[b]! || a - b);
      const got = sortColumn(v);
      expect(Array.from(got.order)).toEqual(rows);
      expect(Array.from(got.blockStart)).toEqual(rows.map((r, j) => (j === 0 || v[r] !== v[rows[j - 1]!] ? 1 : 0)));
    }
    // values alike in their high 32 bits (sign, exponent, top 20 mantissa bits), differing in the low
    // word only: short runs (insertion sort), a long run of such values (the four-pass sort), and a
    // long run of exact ties next to them
    const alike = (k: number): number => 1 + k * 2 ** -50;
    for (const v of [
      Float64Array.from({ length: 600 }, (_, i) => (i % 3 === 0 ? alike(Math.floor(u() * 40)) : Math.floor(u() * 30) + alike(Math.floor(u() * 4)))),
      Float64Array.from({ length: 600 }, () => alike(Math.floor(u() * 500))),
      Float64Array.from({ length: 600 }, (_, i) => (i % 2 ? 7 : alike(Math.floor(u() * 5)) * (u() < 0.5 ? -1 : 1))),
    ]) {
      const rows = Array.from({ length: v.length }, (_, i) => i).sort((a, b) => v[a]! - v[b]! || a - b);
      const got = sortColumn(v);
      expect(Array.from(got.order)).toEqual(rows);
      expect(Array.from(got.blockStart)).toEqual(rows.map((r, j) => (j === 0 || v[r] !== v[rows[j - 1]!] ? 1 : 0)));
    }
    // into the arrays of a caller (kept from an earlier sort): a long column, then a shorter one with
    // other missing rows, then one too long for them (new arrays); each equal to a plain sort
    const into = { order: new Int32Array(700), blockStart: new Uint8Array(700) };
    for (const n of [700, 350, 5, 900]) {
      const v = Float64Array.from({ length: n }, (_, i) => (u() < 0.1 ? Number.NaN : i % 3 ? Math.floor(u() * 20) : u() - 0.5));
      const rows = Array.from({ length: n }, (_, i) => i).filter((i) => Number.isFinite(v[i]!));
      rows.sort((a, b) => v[a]! - v[b]! || a - b);
      const got = sortColumn(v, into);
      expect(got.order.buffer === into.order.buffer).toBe(n <= 700);
      expect(Array.from(got.order)).toEqual(rows);
      expect(Array.from(got.blockStart)).toEqual(rows.map((r, j) => (j === 0 || v[r] !== v[rows[j - 1]!] ? 1 : 0)));
    }
    // into views that start inside a larger array: written within them, the rest untouched
    const bigOrder = new Int32Array(1000).fill(-7);
    const bigBlocks = new Uint8Array(1000).fill(9);
    const v = Float64Array.from({ length: 300 }, () => Math.floor(u() * 50));
    const got = sortColumn(v, { order: bigOrder.subarray(400, 700), blockStart: bigBlocks.subarray(400, 700) });
    expect(Array.from(got.order)).toEqual(Array.from(sortColumn(v).order));
    expect(got.order.byteOffset).toBe(400 * 4);
    expect([...bigOrder.subarray(0, 400), ...bigOrder.subarray(700)].every((x) => x === -7)).toBe(true);
    expect([...bigBlocks.subarray(0, 400), ...bigBlocks.subarray(700)].every((x) => x === 9)).toBe(true);
    // one value everywhere: every pass is skipped
    expect(Array.from(sortColumn(Float64Array.from([2, 2, Number.NaN, 2])).order)).toEqual([0, 1, 3]);
    expect(Array.from(sortColumn(Float64Array.from([2, 2, Number.NaN, 2])).blockStart)).toEqual([1, 0, 0]);
  });
  it('longRunVarianceFast and hacSum equal the direct Bartlett sums', () => {
    for (const [n, L] of [[50, 40], [500, 33], [500, 200], [40, 100], [1, 50]] as const) {
      const x = Float64Array.from({ length: n }, () => z() + 0.3);
      const a = longRunVariance(x, L);
      const b = longRunVarianceFast(x, L);
      expect(b.gamma0).toBeCloseTo(a.gamma0, 14);
      expect(Math.abs(b.lrv - a.lrv)).toBeLessThan(1e-12 * Math.max(1, a.lrv));
      let direct = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) direct += Math.max(0, 1 - Math.abs(i - j) / (L + 1)) * x[i]! * x[j]!;
      expect(Math.abs(hacSum(x, L) - direct)).toBeLessThan(1e-10 * Math.max(1, Math.abs(direct)));
    }
  });
  it('walkForwardResidualsFast equals walkForwardResiduals bit for bit (with missing values, a short fold, unsorted fallback)', () => {
    const u = mulberry32(9);
    const n = 700;
    const time = Float64Array.from({ length: n }, (_, i) => i * 60_000);
    const miss = (v: number): number => (u() < 0.04 ? Number.NaN : v);
    const feature = Float64Array.from({ length: n }, () => miss(z()));
    const label = Float64Array.from({ length: n }, (_, i) => miss(0.2 * (feature[i]! || 0) + z()));
    const baseline = [0, 1, 2].map(() => Float64Array.from({ length: n }, () => miss(z())));
    for (const [folds, embargo] of [[4, 5 * 60_000], [1, 0], [30, 60_000]] as const) {
      const a = walkForwardResiduals({ time, feature, label, baseline }, folds, embargo);
      const b = walkForwardResidualsFast({ time, feature, label, baseline }, folds, embargo);
      expect(b).toEqual(a);
    }
    // fold boundaries exactly on a row's time (701 rows, 4 folds: every 140th minute): the row at a
    // boundary is in the fold that starts there, not the one before
    const m = 701;
    const t2 = Float64Array.from({ length: m }, (_, i) => i * 60_000);
    const f2 = Float64Array.from({ length: m }, () => z());
    const l2 = Float64Array.from({ length: m }, (_, i) => 0.3 * f2[i]! + z());
    const b2 = [0, 1].map(() => Float64Array.from({ length: m }, () => z()));
    const a2 = walkForwardResiduals({ time: t2, feature: f2, label: l2, baseline: b2 }, 4, 0);
    expect(walkForwardResidualsFast({ time: t2, feature: f2, label: l2, baseline: b2 }, 4, 0)).toEqual(a2);
    expect([a2.fold[279], a2.fold[280], a2.fold[419], a2.fold[420], a2.fold[700]]).toEqual([1, 2, 2, 3, 4]);
    const shuffled = Float64Array.from(time).reverse();
    expect(walkForwardResidualsFast({ time: shuffled, feature, label, baseline }, 3, 0)).toEqual(walkForwardResiduals({ time: shuffled, feature, label, baseline }, 3, 0));
  });
  it('walkForwardResidualsFast with the label side kept: reused for a feature with the same usable rows, rebuilt for other rows or another label; always equal to walkForwardResiduals', () => {
    const u = mulberry32(21);
    const n = 900;
    const time = Float64Array.from({ length: n }, (_, i) => i * 60_000);
    const label = Float64Array.from({ length: n }, (_, i) => (i % 97 === 5 ? Number.NaN : z()));
    const label2 = Float64Array.from(label, (v) => v * 0.5 + 0.001);
    const baseline = [0, 1].map(() => Float64Array.from({ length: n }, () => (u() < 0.03 ? Number.NaN : z())));
    const f1 = Float64Array.from({ length: n }, (_, i) => (i < 30 ? Number.NaN : 0.3 * (label[i]! || 0) + z()));
    const f2 = Float64Array.from(f1, (v) => (Number.isFinite(v) ? -0.5 * v + z() : Number.NaN)); // the same missing rows
    const f3 = Float64Array.from(f2, (v, i) => (i === 400 ? Number.NaN : v)); // one row fewer
    const cache: { side: WalkForwardLabelSide | null } = { side: null };
    const run = (feature: Float64Array, y: Float64Array): WalkForwardLabelSide => {
      const got = walkForwardResidualsFast({ time, feature, label: y, baseline }, 4, 5 * 60_000, cache);
      expect(got).toEqual(walkForwardResiduals({ time, feature, label: y, baseline }, 4, 5 * 60_000));
      expect(got.folds_used).toBe(4);
      return cache.side!;
    };
    const s1 = run(f1, label);
    expect(run(f2, label)).toBe(s1); // same rows, same label: the label side is reused
    const s3 = run(f3, label);
    expect(s3).not.toBe(s1); // other rows: rebuilt
    expect(run(f3, label2)).not.toBe(s3); // another label over the same rows: rebuilt
    expect(run(f1, label)).not.toBe(s1);
    // the same rows and label with another baseline (in the grid: a feature that is itself a
    // baseline column is left out of its own baseline): rebuilt, for one column more or fewer too
    const other = [baseline[0]!, Float64Array.from(baseline[1]!, (v) => 2 * v + 0.1)]; // the same missing rows
    const full = [...baseline, Float64Array.from({ length: n }, () => z())]; // a third column with none missing
    for (const b of [other, full, baseline]) {
      const before = cache.side!;
      const got = walkForwardResidualsFast({ time, feature: f2, label, baseline: b }, 4, 5 * 60_000, cache);
      expect(cache.side!.okRows).toEqual(before.okRows); // the usable rows did not change
      expect(cache.side).not.toBe(before);
      expect(got).toEqual(walkForwardResiduals({ time, feature: f2, label, baseline: b }, 4, 5 * 60_000));
    }
  });
  it('walkForwardResidualsFast into an earlier result: its arrays overwritten, equal to a fresh result (rows of the earlier folds reset)', () => {
    const n = 800;
    const time = Float64Array.from({ length: n }, (_, i) => i * 60_000);
    const label = Float64Array.from({ length: n }, () => z());
    const baseline = [Float64Array.from({ length: n }, () => z())];
    // the first feature has every row; the second misses its first 300 (rows the first put in folds)
    const f1 = Float64Array.from(label, (v) => 0.4 * v + z());
    const f2 = Float64Array.from(f1, (v, i) => (i < 300 ? Number.NaN : -v));
    const first = walkForwardResidualsFast({ time, feature: f1, label, baseline }, 4, 0);
    expect(first.fold.slice(0, 300).some((f) => f >= 0)).toBe(true);
    const arrays = [first.feature_resid, first.label_resid, first.fold];
    const again = walkForwardResidualsFast({ time, feature: f2, label, baseline }, 4, 0, { side: null }, first);
    expect(again).toBe(first);
    expect([again.feature_resid, again.label_resid, again.fold]).toEqual(arrays);
    expect(again).toEqual(walkForwardResiduals({ time, feature: f2, label, baseline }, 4, 0));
    // too few usable rows: the reset result (every row NaN, in no fold)
    const none = walkForwardResidualsFast({ time, feature: f1.map(() => Number.NaN), label, baseline }, 4, 0, { side: null }, first);
    expect(none).toEqual(walkForwardResiduals({ time, feature: f1.map(() => Number.NaN), label, baseline }, 4, 0));
    // a result of another length is not reused
    const short = walkForwardResidualsFast({ time: time.subarray(0, 500), feature: f1.subarray(0, 500), label: label.subarray(0, 500), baseline: [baseline[0]!.subarray(0, 500)] }, 4, 0, { side: null }, first);
    expect(short).not.toBe(first);
    expect(short.fold.length).toBe(500);
  });
});

describe('research grid: the cross-sectional IC with five assets', () => {
  it('times whose feature values tie across assets (average ranks) give the plain loops\' IC and t; an asset fewer (three) too', () => {
    // with three assets one tie gives centred ranks proportional to any other tie rule; with five it does not
    const five = panelOf(['AAA', 'BBB', 'CCC', 'DDD', 'EEE'].map((s, k) => series(s, 1500, k * 20, 31 + k)));
    const tr = panelOf(['AAA', 'BBB', 'CCC', 'DDD', 'EEE'].map((s, k) => series(s, 600, -1000, 41 + k)));
    const train5 = new Map(tr.assets.map((a) => [a.symbol, a.features]));
    const dims = [...REGIME_DIMENSIONS];
    const cfg5: ResearchConfig = { ...cfg, min_obs_per_cell: 300 };
    const masks = regimeMasks(five, train5, dims, cfg5);
    const ix = buildGridIndex(five, train5, masks, dims, cfg5);
    // ties across all five assets at a time: a value shared by two of them while three others differ
    let tied = 0;
    for (let r = 100; r < 1400; r++) {
      const v = five.assets.map((a) => a.features.get('basis')![r - (five.assets.indexOf(a) * 20)]!).filter(Number.isFinite);
      if (v.length === 5 && new Set(v).size >= 3 && new Set(v).size < 5) tied++;
    }
    expect(tied).toBeGreaterThan(200);
    for (const feature of ['basis', 'basis_z_168', 'perp_spot_activity_24']) {
      const o = { dims, feature, horizon: '15m', horizon_ms: 900_000, lags: 3, cfg: cfg5 };
      const ref = computeFeatureHorizon({ ...o, panel: five, train: train5, masks })[0]!;
      const got = gridFeatureHorizon(ix, o)[0]!;
      expect(ref.cs_ic).not.toBeNull();
      expect(got.cs_times).toBe(ref.cs_times);
      expect(Math.abs(got.cs_ic! - ref.cs_ic!)).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(got.cs_t_nw! - ref.cs_t_nw!)).toBeLessThanOrEqual(1e-9 * Math.abs(ref.cs_t_nw!));
    }
  });
});
