import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { settlementStudy } from '../../src/services/research/settlement.js';
import type { SplitFile } from '../../src/services/split.js';
import { tempDir, testContext } from '../helpers.js';
import { runCliAsync } from './fixture.js';

// Planted: the perp (not spot) is displaced by -sign(predicted funding) x 30 bp, ramped in over the
// 30 minutes before each settlement and out over the 30 after (src/sources/synthetic/README.md).
// Perp-minus-spot removes the common price noise, so the event study sees it: falling into the
// settlement when funding is positive, rising when negative, reverting after; placebo times half
// an interval away show nothing.
describe('settlement event study (H6)', () => {
  it('recovers the planted settlement displacement in perp-minus-spot by funding sign, and not at placebo times', async () => {
    const dir = tempDir();
    const root = join(dir, 'data');
    writeFileSync(join(dir, 'eff.json'), JSON.stringify({ settlement: { effect_bps: 30 } }));
    const r = await runCliAsync(['fetch', '--source', 'synthetic', '--symbols', 'BTC,ETH,SOL', '--from', '2025-01-01', '--to', '2025-01-22', '--seed', '7', '--effects', join(dir, 'eff.json'), '--data-dir', root, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const ctx = await testContext();
    const split = { venue: 'synthetic', symbols: ['BTC-PERP', 'ETH-PERP', 'SOL-PERP'] } as SplitFile;
    const from = Date.UTC(2025, 0, 1) * 1000;
    const to = Date.UTC(2025, 0, 22) * 1000;
    const s = (await settlementStudy(ctx, root, split, [[from, to]], { near_minutes: 30, far_minutes: 120 }))!;
    expect(s.bar_timeframe).toBe('1m');
    expect(s.settlements).toBeGreaterThan(35); // two settlements a day (coinbase cadence), windows inside the span
    const get = (kind: string, sign: string, m: string) => s.rows.find((x) => x.kind === kind && x.rate_sign === sign && x.measure === m)!;
    expect(get('settlement', 'positive', 'pre_rel').mean!).toBeLessThan(-0.0005);
    expect(get('settlement', 'positive', 'pre_rel').t!).toBeLessThan(-3);
    expect(get('settlement', 'positive', 'post_rel').t!).toBeGreaterThan(3);
    expect(get('settlement', 'negative', 'pre_rel').mean!).toBeGreaterThan(0);
    for (const sign of ['positive', 'negative']) expect(Math.abs(get('placebo', sign, 'pre_rel').t!)).toBeLessThan(2.5);
    // perp minus spot equals the log basis change by construction
    expect(get('settlement', 'all', 'pre_rel').mean!).toBeCloseTo(get('settlement', 'all', 'pre_basis_chg').mean!, 12);
  });
});
