import { describe, expect, it } from 'vitest';
import { DEFAULT_RESEARCH_CONFIG, REGIME_DIMENSIONS, type ResearchConfig } from '../../src/domain/research.js';
import { regimeMasks, type CellResult } from '../../src/services/research/cells.js';
import { buildGridIndex, gridFeatureHorizon } from '../../src/services/research/grid.js';
import { gridCells, type HorizonJob } from '../../src/services/research/grid-pool.js';
import { panelOf, series } from './grid-panel.js';

// The research cells on worker threads (grid-pool.ts) must be the cells of one thread, bit for
// bit and in feature-then-horizon order, whatever the number of workers and whichever worker
// finishes first.

const panel = panelOf([series('AAA', 1800, 0, 21), series('BBB', 1700, 100, 22), series('CCC', 1800, 0, 23)]);
const trainPanel = panelOf([series('AAA', 700, -800, 31), series('BBB', 700, -800, 32), series('CCC', 700, -800, 33)]);
const train = new Map(trainPanel.assets.map((a) => [a.symbol, a.features]));
const cfg: ResearchConfig = { ...DEFAULT_RESEARCH_CONFIG, min_obs_per_cell: 400, ic_period: 'day', min_obs_per_period: 40 };
const dims = [...REGIME_DIMENSIONS];
const features = ['basis', 'basis_z_168', 'roc_1', 'rv_24', 'funding_rate'];
const horizons: HorizonJob[] = [
  { horizon: '15m', horizon_ms: 900_000, lags: 4 },
  { horizon: '4h', horizon_ms: 14_400_000, lags: 94 },
];

/** The cells as research computed them before the pool: one grid index, one loop. */
function direct(): CellResult[] {
  const ix = buildGridIndex(panel, train, regimeMasks(panel, train, dims, cfg), dims, cfg);
  const out: CellResult[] = [];
  for (const f of features) for (const h of horizons) out.push(...gridFeatureHorizon(ix, { dims, feature: f, horizon: h.horizon, horizon_ms: h.horizon_ms, lags: h.lags, cfg }));
  return out;
}

describe('research cells on worker threads', () => {
  const jobs = { panel, train, dims, cfg, features, horizons };

  it('gives the cells of one thread, bit for bit and in feature then horizon order, with 1, 2 and 3 workers', async () => {
    const want = direct();
    // every feature x horizon x (all + each dimension's cells); a good share with numbers
    expect(want.length).toBeGreaterThan(features.length * horizons.length * 10);
    expect(want.filter((c) => c.status === 'ok' && c.ic !== null).length).toBeGreaterThan(want.length / 2);
    for (const workers of [1, 2, 3]) {
      const done: Array<[string, number]> = [];
      const got = await gridCells(jobs, { workers, onFeature: (f, n) => done.push([f, n]) });
      expect(got.map((c) => `${c.feature} ${c.horizon} ${c.regime_dim}=${c.regime_cell}`)).toEqual(want.map((c) => `${c.feature} ${c.horizon} ${c.regime_dim}=${c.regime_cell}`));
      expect(got).toEqual(want);
      // progress: each feature once, counting up
      expect(done.map((d) => d[1])).toEqual([1, 2, 3, 4, 5]);
      expect(new Set(done.map((d) => d[0]))).toEqual(new Set(features));
    }
  }, 120_000);

  it('caps the workers at the number of features and returns nothing for no feature', async () => {
    const one = await gridCells({ ...jobs, features: ['roc_1'] }, { workers: 4 });
    expect(one).toEqual(direct().filter((c) => c.feature === 'roc_1'));
    expect(await gridCells({ ...jobs, features: [] }, { workers: 2 })).toEqual([]);
  }, 60_000);

  it('stops with the abort reason when the run is cancelled (on the main thread and on workers)', async () => {
    for (const workers of [1, 2]) {
      const ac = new AbortController();
      ac.abort(new Error('interrupted'));
      await expect(gridCells(jobs, { workers, signal: ac.signal })).rejects.toThrow('interrupted');
    }
    // cancelled while running: after the first feature
    const ac = new AbortController();
    await expect(gridCells(jobs, { workers: 2, signal: ac.signal, onFeature: () => ac.abort(new Error('stopped by user')) })).rejects.toThrow('stopped by user');
  }, 60_000);
});

describe('default number of research workers', () => {
  it('takes every core up to 8, as many as half the free memory holds, and at least one', async () => {
    const { defaultResearchWorkers, WORKER_BYTES_PER_ROW } = await import('../../src/services/research/grid-pool.js');
    const rows = 400_000;
    const each = rows * WORKER_BYTES_PER_ROW; // 1.4 GB
    expect(defaultResearchWorkers(rows, 100 * each, 2)).toBe(2);
    expect(defaultResearchWorkers(rows, 100 * each, 64)).toBe(8);
    expect(defaultResearchWorkers(rows, 6 * each, 64)).toBe(3);
    expect(defaultResearchWorkers(rows, 6 * each - 1, 64)).toBe(2);
    expect(defaultResearchWorkers(rows, each, 4)).toBe(1);
    expect(defaultResearchWorkers(0, 0, 4)).toBe(1);
  });
});
