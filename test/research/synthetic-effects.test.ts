import { describe, expect, it } from 'vitest';
import { runResearch } from '../../src/services/research/index.js';
import { researchSpec } from '../../src/domain/research.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { ledgerRows, ledgerSpec } from '../../src/store/ledger.js';
import { tempDir, testContext } from '../helpers.js';
import { buildSynthetic, SHORT_SPAN_CONFIG } from './fixture.js';

// Planted effect (src/sources/synthetic/README.md): H1, the basis reverts with a 20-minute
// half-life. Its size is small against perp volatility (basis std ~1.3-2.6 bp vs ~25 bp per 15
// minutes: |IC| ~ 0.05 at most), so three weeks of three perps recover its sign everywhere and
// its significance once recent returns are controlled for (the partial IC), but not a raw IC that
// survives BH across the run: the verdict then honestly says fail, and the one-year bench
// (bench/research.bench.ts) is where the raw effect must clear BH. The same seed without effects
// (synthetic-null.test.ts) gives partial ICs of the other sign and p > 0.05.
describe('research on synthetic data with planted effects', () => {
  it('recovers the basis mean reversion (H1): negative IC in every basis cell, partial IC significant; writes cells, one ledger row for the run and one trial per cell tested', async () => {
    const fx = await buildSynthetic(tempDir(), { effects: 'default', seed: 7, symbols: 'BTC,ETH,SOL', from: '2025-01-01', to: '2025-01-22' });
    const ctx = await testContext();
    const r = await runResearch({ root: fx.root, split: fx.split, segment: 'train+validation', hypotheses: ['H1'], config: { ...SHORT_SPAN_CONFIG }, args: { test: true } }, ctx);
    const all = r.cells.filter((c) => c.regime_dim === 'all');
    expect(all.length).toBe(6);
    for (const c of all) expect(c.ic!).toBeLessThan(0);
    for (const c of all.filter((x) => x.feature !== 'basis')) {
      expect(c.partial_ic!).toBeLessThan(-0.03);
      expect(c.partial_p!).toBeLessThan(0.01);
    }
    // overlap: 1h labels on a 15m grid overlap 4-fold; lags = 2 x (4 - 1); effective N well below n
    const hour = all.find((c) => c.horizon === '1h' && c.feature === 'basis_z_168')!;
    expect(hour.nw_lags).toBe(6);
    expect(hour.effective_n!).toBeLessThan(hour.n / 2);
    // the written dataset: one row per cell; the ledger: the run's row first, then one trial per
    // cell with a p-value (insufficient cells are not tests), each naming its cell
    const files = await datasetFiles(fx.root, researchSpec());
    const n = Number(await ctx.db.scalar(`SELECT count(*) FROM ${SCAN_SQL} WHERE run_id = $id`, { files: listOf(files), id: r.run_id }));
    expect(n).toBe(r.cells_total);
    const ledger = await ledgerRows(ctx, fx.root, { kind: 'evaluation' });
    expect(ledger).toHaveLength(1 + r.cells_tested);
    expect(ledger.every((x) => x.command === 'research')).toBe(true);
    expect(ledger[0]!.args).toBe(JSON.stringify({ test: true }));
    const named = new Set(ledger.slice(1).map((x) => x.args));
    expect(named.size).toBe(r.cells_tested);
    const tested = r.cells.find((c) => c.p_value !== null)!;
    expect(named).toContain(JSON.stringify({ run_id: r.run_id, feature: tested.feature, horizon: tested.horizon, target: tested.target, regime_dim: tested.regime_dim, regime_cell: tested.regime_cell }));
    // what the report's trial count sums: detail.trials over research rows = the cells tested
    const lf = await datasetFiles(fx.root, ledgerSpec());
    const trials = Number(await ctx.db.scalar(`SELECT sum(coalesce(TRY_CAST(json_extract(detail, '$.trials') AS BIGINT), 0)) FROM ${SCAN_SQL} WHERE command = 'research'`, { files: listOf(lf) }));
    expect(trials).toBe(r.cells_tested);
  });
});
