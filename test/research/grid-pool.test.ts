import { describe, expect, it } from 'vitest';
import { DEFAULT_RESEARCH_CONFIG, REGIME_DIMENSIONS, type ResearchConfig } from '../../src/domain/research.js';
import { regimeMasks, type CellResult } from '../../src/services/research/cells.js';
import { buildGridIndex, gridFeatureHorizon } from '../../src/services/research/grid.js';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { gridCells, sameRowGroups, splitForWorkers, type HorizonJob } from '../../src/services/research/grid-pool.js';
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

describe('research grid workers', () => {
  it("load no store and no DuckDB (the grid worker's imports, followed from its source)", () => {
    // each worker imports its modules itself: DuckDB's native module alone took 170 ms of each start
    const seen = new Set<string>();
    const packages = new Set<string>();
    const walk = (file: string): void => {
      if (seen.has(file)) return;
      seen.add(file);
      // value imports and re-exports (import type and export type are erased), and bare imports
      for (const m of readFileSync(file, 'utf8').matchAll(/^(?:(?:import|export) (?!type )[^;]*?from |import )'([^']+)';/gms)) {
        const spec = m[1]!;
        if (spec.startsWith('.')) walk(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
        else packages.add(spec);
      }
    };
    walk(resolve(__dirname, '../../src/services/research/grid-worker.ts'));
    expect(seen.size).toBeGreaterThan(10);
    expect([...seen].some((f) => f.endsWith('cells.ts'))).toBe(true);
    expect([...packages].filter((x) => /duckdb|apache-arrow/.test(x))).toEqual([]);
    expect([...seen].filter((f) => /[/\\]store[/\\]/.test(f))).toEqual([]);
  });
});

describe('research jobs: features with the same missing rows', () => {
  it('groups the features whose missing rows are the same (largest group first, feature order within)', () => {
    const a = panel.assets.map((x) => ({ ...x, features: new Map(x.features) }));
    // f1 and f3 miss the same rows (the second row of each asset); f2 misses one more; f4 none
    for (const x of a) {
      const base = x.features.get('roc_1')!;
      const withNaN = (rows: number[]): Float64Array => Float64Array.from(base, (v, i) => (rows.includes(i) ? Number.NaN : Number.isFinite(v) ? v : 0));
      x.features.set('f1', withNaN([1]));
      x.features.set('f2', withNaN([1, 2]));
      x.features.set('f3', withNaN([1]));
      x.features.set('f4', withNaN([]));
      x.features.set('f5', withNaN([]));
      x.features.set('f6', withNaN([]));
    }
    const p = { ...panel, assets: a };
    expect(sameRowGroups(p, ['f1', 'f2', 'f3', 'f4', 'f5', 'f6'])).toEqual([[3, 4, 5], [0, 2], [1]]);
    // the same rows in another asset are other rows
    a[1]!.features.set('f3', Float64Array.from(a[1]!.features.get('f4')!));
    a[2]!.features.set('f3', Float64Array.from(a[2]!.features.get('f1')!));
    expect(sameRowGroups(p, ['f1', 'f3'])).toEqual([[0], [1]]);
    // a feature the panel lacks misses every row
    expect(sameRowGroups(p, ['f4', 'absent', 'f5'])).toEqual([[0, 2], [1]]);
  });

  it('splits the largest groups in halves until every worker has a job, keeping every feature once', () => {
    expect(splitForWorkers([[0, 1, 2, 3, 4], [5]], 2)).toEqual([[0, 1, 2, 3, 4], [5]]);
    expect(splitForWorkers([[0, 1, 2, 3, 4]], 2)).toEqual([[0, 1, 2], [3, 4]]);
    const four = splitForWorkers([[0, 1, 2, 3, 4], [5]], 4);
    expect(four).toHaveLength(4);
    expect(four.flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const g of four) expect(g).toEqual([...g].sort((x, y) => x - y));
    expect(splitForWorkers([[0], [1]], 8)).toEqual([[0], [1]]);
  });
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
