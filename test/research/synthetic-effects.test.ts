import { describe, expect, it } from 'vitest';
import { runResearch } from '../../src/services/research/index.js';
import { researchSpec } from '../../src/domain/research.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { ledgerRows } from '../../src/store/ledger.js';
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
  it('recovers the basis mean reversion (H1): negative IC in every basis cell, partial IC significant; writes cells and one ledger trial', async () => {
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
    // the written dataset: one row per cell; the ledger: one evaluation carrying the cell count
    const files = await datasetFiles(fx.root, researchSpec());
    const n = Number(await ctx.db.scalar(`SELECT count(*) FROM ${SCAN_SQL} WHERE run_id = $id`, { files: listOf(files), id: r.run_id }));
    expect(n).toBe(r.cells_total);
    const ledger = await ledgerRows(ctx, fx.root, { kind: 'evaluation' });
    expect(ledger).toHaveLength(1);
    expect(ledger[0]!.command).toBe('research');
  });
});
