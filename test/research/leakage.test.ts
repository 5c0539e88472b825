import { describe, expect, it } from 'vitest';
import { DEFAULT_RESEARCH_CONFIG, REGIME_DIMENSIONS, type ResearchConfig } from '../../src/domain/research.js';
import { regimeMasks, type CellResult } from '../../src/services/research/cells.js';
import { buildGridIndex, gridFeatureHorizon } from '../../src/services/research/grid.js';
import type { Panel } from '../../src/services/research/panel.js';
import { walkForwardResiduals, type WalkForwardInput, type WalkForwardResiduals } from '../../src/stats/incremental.js';
import { normalGenerator } from '../../src/stats/random.js';
import { walkForwardResidualsFast } from '../../src/stats/research-incremental.js';
import { panelOf, series } from './grid-panel.js';

// Research's leakage harness: what a number is computed from, checked by changing everything else.
// - the walk-forward residual models (partial IC, R^2 lift): a fold's fits see only rows before its
//   block minus the embargo; later rows, rows inside the embargo and the block's own rows do not
//   move them (both implementations: the reference and the grid's);
// - bucket edges, hit-rate medians, regime thresholds and the stress cut-off come from the training
//   segment: rescaling the evaluated values moves the statistics fitted on training and leaves the
//   rank statistics alone. Were they fitted on the evaluated rows, rescaling would change nothing.

const N = 600;
const FOLDS = 4;
const EMBARGO = 12;

function input(seed: number): WalkForwardInput & { feature: Float64Array; label: Float64Array; baseline: Float64Array[] } {
  const z = normalGenerator(seed);
  const time = Float64Array.from({ length: N }, (_, i) => i);
  const baseline = [Float64Array.from({ length: N }, () => z()), Float64Array.from({ length: N }, () => z())];
  const feature = Float64Array.from({ length: N }, (_, i) => 0.5 * baseline[0]![i]! + z());
  const label = Float64Array.from({ length: N }, (_, i) => 0.3 * feature[i]! - 0.2 * baseline[1]![i]! + z());
  return { time, feature, label, baseline };
}

/** Copy of the input with rows `rows` changed in every column (feature, label, baseline). */
function perturbed(inp: ReturnType<typeof input>, rows: (i: number) => boolean): WalkForwardInput {
  const bump = (c: Float64Array): Float64Array => Float64Array.from(c, (v, i) => (rows(i) ? v * -3 + 7 : v));
  return { time: inp.time, feature: bump(inp.feature), label: bump(inp.label), baseline: inp.baseline.map(bump) };
}

/** The fold-k rows' residuals and predictions, bit for bit. */
function foldOut(r: WalkForwardResiduals, k: number, except = -1): number[] {
  const out: number[] = [];
  for (let i = 0; i < r.fold.length; i++) if (r.fold[i] === k && i !== except) out.push(r.feature_resid[i]!, r.label_resid[i]!, r.pred_base[i]!, r.pred_full[i]!);
  return out;
}

describe('research leakage: walk-forward residual models', () => {
  for (const [name, fit] of [
    ['reference (stats/incremental)', walkForwardResiduals],
    ['grid (stats/research-incremental)', walkForwardResidualsFast],
  ] as const) {
    it(`${name}: a fold's fits use only rows before its block minus the embargo`, () => {
      const inp = input(5);
      const r = fit(inp, FOLDS, EMBARGO);
      expect(r.folds_used).toBe(FOLDS);
      const first = (k: number): number => r.fold.indexOf(k);
      for (let k = 1; k <= FOLDS; k++) {
        const lo = first(k);
        const hi = k < FOLDS ? first(k + 1) : N;
        const same = foldOut(r, k);
        expect(same.length).toBeGreaterThan(100);
        // later rows, and the rows inside the embargo before the block: nothing of this fold moves
        if (hi < N) expect(foldOut(fit(perturbed(inp, (i) => i >= hi), FOLDS, EMBARGO), k)).toEqual(same);
        expect(foldOut(fit(perturbed(inp, (i) => i >= lo - EMBARGO && i < lo), FOLDS, EMBARGO), k)).toEqual(same);
        // one of the block's own rows: only that row's numbers move (no test row is in a fit)
        const row = lo + 7;
        const own = fit(perturbed(inp, (i) => i === row), FOLDS, EMBARGO);
        expect(foldOut(own, k, row)).toEqual(foldOut(r, k, row));
        expect(own.label_resid[row]).not.toBe(r.label_resid[row]);
        // control: a training row before the embargo does move the fold's fits
        expect(foldOut(fit(perturbed(inp, (i) => i === lo - EMBARGO - 1), FOLDS, EMBARGO), k)).not.toEqual(same);
      }
    });
  }
});

describe('research leakage: fitted on the training segment only', () => {
  const evalPanel = panelOf([series('AAA', 2600, 0, 1), series('BBB', 2400, 150, 2), series('CCC', 2600, 0, 3)]);
  const trainPanel = panelOf([series('AAA', 900, -1000, 11), series('BBB', 900, -1000, 12), series('CCC', 900, -1000, 13)]);
  const train = new Map(trainPanel.assets.map((a) => [a.symbol, a.features]));
  const cfg: ResearchConfig = { ...DEFAULT_RESEARCH_CONFIG, min_obs_per_cell: 300, ic_period: 'day', min_obs_per_period: 40 };
  const dims = [...REGIME_DIMENSIONS];
  /** The evaluated panel with some features' values multiplied (a positive factor keeps every rank). */
  const scaled = (factors: Record<string, number>): Panel => ({
    ...evalPanel,
    assets: evalPanel.assets.map((a) => ({ ...a, features: new Map([...a.features].map(([k, v]) => [k, k in factors ? Float64Array.from(v, (x) => x * factors[k]!) : v])) })),
  });
  const cells = (p: Panel, feature: string): CellResult[] => {
    const ix = buildGridIndex(p, train, regimeMasks(p, train, dims, cfg), dims, cfg);
    return gridFeatureHorizon(ix, { dims, feature, horizon: '15m', horizon_ms: 900_000, lags: 3, cfg });
  };
  const all = (c: CellResult[]): CellResult => c.find((x) => x.regime_dim === 'all')!;

  it('bucket edges and the hit-rate median: rescaling the evaluated feature moves buckets and hit rate, never the ICs', () => {
    const base = cells(evalPanel, 'basis_z_168');
    const big = cells(scaled({ basis_z_168: 10 }), 'basis_z_168');
    // rank statistics: unchanged in every cell
    expect(big.map((c) => [c.regime_dim, c.regime_cell, c.n, c.ic, c.t_nw, c.ic_panel])).toEqual(base.map((c) => [c.regime_dim, c.regime_cell, c.n, c.ic, c.t_nw, c.ic_panel]));
    // fitted on training: the buckets' counts (edges) and the hit rate (median) move
    expect(all(big).buckets!.map((b) => b.count)).not.toEqual(all(base).buckets!.map((b) => b.count));
    expect(all(big).hit_rate).not.toBe(all(base).hit_rate);
  });

  it('regime thresholds and the stress cut-off: rescaling the evaluated regime and stress features moves their cells, not the unconditional IC', () => {
    const base = cells(evalPanel, 'basis');
    const big = cells(scaled({ liquidity_stress: 10, perp_spot_activity_24: 10, rv_24: 10 }), 'basis');
    expect(all(big).ic).toBe(all(base).ic);
    const n = (c: CellResult[], dim: string): number[] => c.filter((x) => x.regime_dim === dim).map((x) => x.n);
    // thresholds from training quantiles: scaled values fall on one side of them
    expect(n(big, 'liquidity')).not.toEqual(n(base, 'liquidity'));
    expect(n(big, 'activity')).not.toEqual(n(base, 'activity'));
    // the stress cut-off (rv_24's training quantile): far more evaluated rows above it, another ex-stress IC
    expect(all(big).ic_ex_stress).not.toBe(all(base).ic_ex_stress);
    // regime dimensions whose features were not scaled keep their cells
    expect(n(big, 'trend')).toEqual(n(base, 'trend'));
    expect(n(big, 'settlement')).toEqual(n(base, 'settlement'));
  });
});
