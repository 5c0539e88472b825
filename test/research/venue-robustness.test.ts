import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildFeatures, buildLabels } from '../../src/services/features.js';
import { runResearch } from '../../src/services/research/index.js';
import { createSplit } from '../../src/services/split.js';
import { generateSynthetic } from '../../src/services/synthetic.js';
import { DEFAULT_EFFECTS } from '../../src/sources/synthetic/effects.js';
import { ledgerRows } from '../../src/store/ledger.js';
import { tempDir, testContext } from '../helpers.js';
import { SHORT_SPAN_CONFIG } from './fixture.js';

/**
 * H3 (perp leads spot) needs the same test on a second venue. Two synthetic venues of the same span
 * (different seeds) in one data dir, a split on the first: the run reads the second venue's rows over
 * the split's own intervals and judges the run's best cell against the same cell there. That cell
 * must be exactly what research computes on a split of the second venue with the same boundaries.
 */
const DAY = 86_400_000_000;
const FROM = Date.UTC(2025, 0, 1) * 1000;
const TO = FROM + 14 * DAY;

describe('research: venue robustness on a second venue', () => {
  it('is inconclusive while the second venue has no labels, then tests the same cell there (equal to a run on its own split)', async () => {
    const ctx = await testContext();
    const root = join(tempDir(), 'data');
    for (const [venue, seed] of [['synthetic', 7], ['synthetic-b', 8]] as const) {
      await generateSynthetic({ root, venue, bases: ['BTC', 'ETH'], from: FROM, to: TO, timeframe: '1m', seed, effects: DEFAULT_EFFECTS, effects_name: 'default', cadence: 'coinbase' }, ctx);
      await buildFeatures({ root, venue, timeframe: '15m' }, ctx);
    }
    const labels = (venue: string) => buildLabels({ root, venue, timeframe: '15m', label_timeframe: '1m', horizons: ['15m', '1h'] }, ctx);
    await labels('synthetic');
    const split = { root, scheme: 'holdout' as const, timeframe: '15m', holdout: { buffer_us: 6 * 3_600_000_000 } };
    await createSplit({ ...split, name: 'a', venue: 'synthetic' }, ctx);
    const research = (name: string, hypotheses: string[]) =>
      runResearch({ root, split: name, segment: 'train+validation', hypotheses, config: { ...SHORT_SPAN_CONFIG }, args: { test: true }, write: false }, ctx);

    // no labels on synthetic-b yet: named, not tested
    const before = await research('a', ['H3']);
    const c0 = before.hypotheses[0]!.checks.find((c) => c.name === 'venue_robustness')!;
    expect(c0.status).toBe('inconclusive');
    expect(c0.reason).toMatch(/synthetic-b could not be tested: no labels for split a's scope on venue synthetic-b/);

    await labels('synthetic-b');
    const r = await research('a', ['H3']);
    const v = r.hypotheses[0]!;
    const c = v.checks.find((x) => x.name === 'venue_robustness')!;
    expect(c.numbers['venue']).toBe('synthetic-b');
    expect(c.numbers['feature']).toBe(v.best!.feature);
    expect(c.numbers['horizon']).toBe(v.best!.horizon);
    expect(c.numbers['ic_run']).toBe(v.best!.ic);
    expect(typeof c.numbers['ic']).toBe('number');
    expect(['pass', 'fail', 'inconclusive']).toContain(c.status);
    // the run's own cells are of its venue only: the second venue's cells are not in the run's tests
    expect(r.venue).toBe('synthetic');
    expect(r.cells.filter((x) => x.regime_dim === 'all')).toHaveLength(3 * 2); // 3 features x 2 horizons

    // the same cell on a split of synthetic-b with the same boundaries (same span and buffer)
    await createSplit({ ...split, name: 'b', venue: 'synthetic-b' }, ctx);
    const rb = await research('b', ['H3']);
    const same = rb.cells.find((x) => x.feature === v.best!.feature && x.horizon === v.best!.horizon && x.regime_dim === 'all')!;
    expect(c.numbers['ic']).toBeCloseTo(same.ic!, 12);
    expect(c.numbers['t_nw']).toBeCloseTo(same.t_nw!, 10);
    expect(c.numbers['p_value']).toBeCloseTo(same.p_value!, 12);
    expect(c.numbers['effective_n']).toBe(same.effective_n);
    // split b's own run finds synthetic as its second venue
    expect(rb.hypotheses[0]!.checks.find((x) => x.name === 'venue_robustness')!.numbers['venue']).toBe('synthetic');
    // nothing of synthetic-b was read as the sealed test segment
    expect(await ledgerRows(ctx, root, { kind: 'unseal' })).toHaveLength(0);
  }, 600_000);
});
