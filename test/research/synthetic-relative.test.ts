import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResearch, type CellResult } from '../../src/services/research/index.js';
import { testContext } from '../helpers.js';
import { buildSynthetic, SHORT_SPAN_CONFIG, type SyntheticFixture } from './fixture.js';

/**
 * The relative target (perp minus spot forward return) on three weeks of synthetic data, with the
 * effects planted (seed 11) and with the same seed and shocks but H2's convergence (gap_pull) and
 * H3's lead (weight_calm) switched off. What the perp return cannot show at this span, the relative
 * one does: H1's basis reversion, and H2's convergence beyond it (the partial IC on the relative
 * baseline stack, which holds the basis level and not the funding level).
 */
const fx: { on?: SyntheticFixture; off?: SyntheticFixture } = {};

const dirs: string[] = [];
const dirOf = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'perpkit-relative-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

beforeAll(async () => {
  fx.on = await buildSynthetic(dirOf(), { effects: 'default', seed: 11, symbols: 'BTC,ETH,SOL', from: '2025-01-01', to: '2025-01-22' });
  const dir = dirOf();
  const file = join(dir, 'off.json');
  writeFileSync(file, JSON.stringify({ funding: { gap_pull: 0 }, lead_lag: { weight_calm: 0 } }));
  fx.off = await buildSynthetic(dir, { effects: file, seed: 11, symbols: 'BTC,ETH,SOL', from: '2025-01-01', to: '2025-01-22' });
}, 300_000);

const FEATURES = ['funding_basis_gap', 'basis'];
const pooled = async (f: SyntheticFixture): Promise<(feature: string, h: string, target: 'perp' | 'relative') => CellResult> => {
  const r = await runResearch({ root: f.root, split: f.split, segment: 'train+validation', features: FEATURES, targets: ['perp', 'relative'], regimes: ['vol'], config: { ...SHORT_SPAN_CONFIG }, write: false, args: {} }, await testContext());
  return (feature, h, target) => r.cells.find((c) => c.feature === feature && c.horizon === h && c.target === target && c.regime_dim === 'all')!;
};

describe('research on the relative target (synthetic, planted vs switched off)', () => {
  it('sees H1 and H2 where perp returns cannot: the basis reverts, and the funding-basis gap adds to it only when its convergence is planted', async () => {
    const on = await pooled(fx.on!);
    const off = await pooled(fx.off!);
    for (const h of ['15m', '1h']) {
      // H1 (planted in both): strongly negative on the relative target, nothing on the perp one
      for (const get of [on, off]) {
        expect(get('basis', h, 'relative').ic!).toBeLessThan(-0.1);
        expect(get('basis', h, 'relative').p_value!).toBeLessThan(1e-6);
        expect(Math.abs(get('basis', h, 'perp').t_nw!)).toBeLessThan(2);
      }
      // H2: beyond the basis level (the relative baseline stack) the gap predicts convergence only when planted
      expect(on('funding_basis_gap', h, 'relative').partial_ic!).toBeLessThan(-0.04);
      expect(on('funding_basis_gap', h, 'relative').partial_p!).toBeLessThan(0.01);
      expect(Math.abs(off('funding_basis_gap', h, 'relative').partial_ic!)).toBeLessThan(0.025);
      expect(off('funding_basis_gap', h, 'relative').partial_p!).toBeGreaterThan(0.2);
      // the raw gap IC is negative either way: it carries the basis level (H1), which is why H2 is judged on the partial too
      expect(off('funding_basis_gap', h, 'relative').ic!).toBeLessThan(-0.05);
      // perp returns: the planted convergence is invisible beyond the perp baseline
      expect(on('funding_basis_gap', h, 'perp').partial_p!).toBeGreaterThan(0.1);
    }
  });

  it('judges H2 on the relative target: the confounded raw IC fails the incrementality check when the convergence is switched off', async () => {
    const judge = async (f: SyntheticFixture) =>
      (await runResearch({ root: f.root, split: f.split, segment: 'train+validation', hypotheses: ['H2'], config: { ...SHORT_SPAN_CONFIG }, write: false, args: {} }, await testContext())).hypotheses[0]!;
    const on = await judge(fx.on!);
    const off = await judge(fx.off!);
    const status = (v: typeof on, name: string): string | undefined => v.checks.find((c) => c.name === name)?.status;
    expect(on.target).toBe('relative');
    expect(on.verdict).toBe('pass');
    expect([status(on, 'significance'), status(on, 'incrementality')]).toEqual(['pass', 'pass']);
    expect(on.best!.ic!).toBeLessThan(0);
    // switched off: the gap still "predicts" through the basis level it carries, and nothing beyond it
    expect(status(off, 'significance')).toBe('pass');
    expect(status(off, 'incrementality')).toBe('fail');
    expect(off.verdict).toBe('fail');
  });
});
