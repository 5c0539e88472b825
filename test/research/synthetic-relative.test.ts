import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runResearch, type CellResult } from '../../src/services/research/index.js';
import { tempDir, testContext } from '../helpers.js';
import { buildSynthetic, SHORT_SPAN_CONFIG, type SyntheticFixture } from './fixture.js';

const on: { fx?: SyntheticFixture; off?: SyntheticFixture } = {};

beforeAll(async () => {
  on.fx = await buildSynthetic(tempDir(), { effects: 'default', seed: 11, symbols: 'BTC,ETH,SOL', from: '2025-01-01', to: '2025-01-22' });
  const dir = tempDir();
  const file = join(dir, 'off.json');
  writeFileSync(file, JSON.stringify({ funding: { gap_pull: 0 }, lead_lag: { weight_calm: 0 } }));
  on.off = await buildSynthetic(dir, { effects: file, seed: 11, symbols: 'BTC,ETH,SOL', from: '2025-01-01', to: '2025-01-22' });
}, 240_000);

const run = async (fx: SyntheticFixture, features: string[]): Promise<CellResult[]> =>
  (await runResearch({ root: fx.root, split: fx.split, segment: 'train+validation', features, targets: ['perp', 'relative'], regimes: [], config: { ...SHORT_SPAN_CONFIG }, write: false, args: {} }, await testContext())).cells;

describe('research on the relative target', () => {
  it('prints', async () => {
    for (const [name, fx] of Object.entries(on)) {
      const cells = await run(fx!, ['funding_basis_gap', 'perp_spot_ret_delta_1', 'basis']);
      for (const c of cells.filter((x) => x.regime_dim === 'all')) console.log(name, c.target, c.feature, c.horizon, c.ic?.toFixed(4), c.t_nw?.toFixed(2), 'partial', c.partial_ic?.toFixed(4), c.partial_p?.toExponential(2));
    }
    expect(1).toBe(1);
  });
});
