import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildFeatures, buildLabels } from '../../src/services/features.js';
import { loadResearch } from '../../src/services/report/research.js';
import { runResearch } from '../../src/services/research/index.js';
import { createSplit, loadSplit } from '../../src/services/split.js';
import { generateSynthetic } from '../../src/services/synthetic.js';
import { DEFAULT_EFFECTS } from '../../src/sources/synthetic/effects.js';
import { ledgerRows } from '../../src/store/ledger.js';
import { tempDir, testContext } from '../helpers.js';
import { SHORT_SPAN_CONFIG } from './fixture.js';

/**
 * H3 (perp leads spot) needs the same test on a second venue. Three synthetic venues of the same
 * span (different seeds) in one data dir, a split on the first: the run reads every other venue's
 * rows over the split's own intervals and judges the run's best cell against the same cell on each.
 * That cell must be exactly what research computes on a split of that venue with the same boundaries.
 */
const DAY = 86_400_000_000;
const FROM = Date.UTC(2025, 0, 1) * 1000;
const TO = FROM + 14 * DAY;

describe('research: venue robustness on a second venue', () => {
  it('tests the same cell on every other venue, names the one without labels, and equals a run on its own split', async () => {
    const ctx = await testContext();
    const root = join(tempDir(), 'data');
    for (const [venue, seed] of [['synthetic', 7], ['synthetic-b', 8], ['synthetic-c', 9]] as const) {
      await generateSynthetic({ root, venue, bases: ['BTC', 'ETH'], from: FROM, to: TO, timeframe: '1m', seed, effects: DEFAULT_EFFECTS, effects_name: 'default', cadence: 'coinbase' }, ctx);
      await buildFeatures({ root, venue, timeframe: '15m' }, ctx);
    }
    const labels = (venue: string) => buildLabels({ root, venue, timeframe: '15m', label_timeframe: '1m', horizons: ['15m', '1h'] }, ctx);
    await labels('synthetic');
    await labels('synthetic-c');
    const split = { root, scheme: 'holdout' as const, timeframe: '15m', holdout: { buffer_us: 6 * 3_600_000_000 } };
    await createSplit({ ...split, name: 'a', venue: 'synthetic' }, ctx);
    const research = (name: string, hypotheses: string[]) =>
      runResearch({ root, split: name, segment: 'train+validation', hypotheses, config: { ...SHORT_SPAN_CONFIG }, args: { test: true }, write: false }, ctx);
    const ownCell = async (name: string, venue: string, feature: string, horizon: string) => {
      await createSplit({ ...split, name, venue }, ctx);
      const own = await research(name, ['H3']);
      return { run: own, cell: own.cells.find((x) => x.feature === feature && x.horizon === horizon && x.regime_dim === 'all')! };
    };

    // no labels on synthetic-b yet: named, not tested; synthetic-c is tested
    const before = await research('a', ['H3']);
    const c0 = before.hypotheses[0]!.checks.find((c) => c.name === 'venue_robustness')!;
    expect(c0.numbers['venues']).toBe('synthetic-b,synthetic-c');
    expect(c0.numbers['synthetic-b.status']).toBe('inconclusive');
    expect(c0.numbers['synthetic-b.ic']).toBeNull();
    expect(c0.reason).toMatch(/synthetic-b could not be tested: no labels for split a's scope on venue synthetic-b/);
    expect(typeof c0.numbers['synthetic-c.ic']).toBe('number');
    const cStatus = c0.numbers['synthetic-c.status'];
    // with one venue that cannot be tested, the check is synthetic-c's own
    expect(c0.status).toBe(cStatus === 'fail' ? 'fail' : cStatus === 'pass' ? 'pass' : 'inconclusive');

    await labels('synthetic-b');
    const r = await research('a', ['H3']);
    const v = r.hypotheses[0]!;
    const c = v.checks.find((x) => x.name === 'venue_robustness')!;
    expect(c.numbers['venues']).toBe('synthetic-b,synthetic-c');
    expect(c.numbers['feature']).toBe(v.best!.feature);
    expect(c.numbers['horizon']).toBe(v.best!.horizon);
    expect(c.numbers['ic_run']).toBe(v.best!.ic);
    const statuses = [c.numbers['synthetic-b.status'], c.numbers['synthetic-c.status']];
    expect(c.status).toBe(statuses.includes('fail') ? 'fail' : statuses.includes('pass') ? 'pass' : 'inconclusive');
    // the run's own cells are of its venue only: the second venue's cells are not in the run's tests
    expect(r.venue).toBe('synthetic');
    expect(r.cells.filter((x) => x.regime_dim === 'all')).toHaveLength(3 * 2); // 3 features x 2 horizons

    // the run records the other venues' cells in its ledger row: the report's recomputed check is the run's
    const written = await runResearch({ root, split: 'a', segment: 'train+validation', hypotheses: ['H3'], config: { ...SHORT_SPAN_CONFIG }, args: { test: true } }, ctx);
    const check = (x: { hypotheses: Array<{ checks: Array<{ name: string }> }> }) => x.hypotheses[0]!.checks.find((y) => y.name === 'venue_robustness');
    expect(check(written)).toEqual(c);
    const report = await loadResearch(ctx, root, written.run_id);
    expect(check({ hypotheses: report.verdicts })).toEqual(c);
    // and the whole verdict: the report judges with the config the run recorded (not the defaults)
    expect(report.config_recorded).toBe(true);
    // (statuses and reasons: the report recomputes a partial p from the stored t, equal to the last digit or so)
    const gist = (vs: typeof written.hypotheses) => vs.map((x) => ({ id: x.id, verdict: x.verdict, checks: x.checks.map((y) => [y.name, y.status, y.reason]) }));
    expect(gist(report.verdicts)).toEqual(gist(written.hypotheses));

    // the same cell on a split of each other venue with the same boundaries (same span and buffer)
    for (const [name, venue] of [['b', 'synthetic-b'], ['c', 'synthetic-c']] as const) {
      const own = await ownCell(name, venue, v.best!.feature, v.best!.horizon);
      expect(c.numbers[`${venue}.ic`]).toBeCloseTo(own.cell.ic!, 12);
      expect(c.numbers[`${venue}.t_nw`]).toBeCloseTo(own.cell.t_nw!, 10);
      expect(c.numbers[`${venue}.p_value`]).toBeCloseTo(own.cell.p_value!, 12);
      expect(c.numbers[`${venue}.effective_n`]).toBe(own.cell.effective_n);
      // each split's own run finds the other two venues
      const others = ['synthetic', 'synthetic-b', 'synthetic-c'].filter((x) => x !== venue).join(',');
      expect(own.run.hypotheses[0]!.checks.find((x) => x.name === 'venue_robustness')!.numbers['venues']).toBe(others);
    }
    // every fold of a walk-forward split: a venue listed later (synthetic-d, the second week only) is
    // tested on the folds it has data for, and says which
    const D_FROM = FROM + 7 * DAY;
    await generateSynthetic({ root, venue: 'synthetic-d', bases: ['BTC', 'ETH'], from: D_FROM, to: TO, timeframe: '1m', seed: 10, effects: DEFAULT_EFFECTS, effects_name: 'default', cadence: 'coinbase' }, ctx);
    await buildFeatures({ root, venue: 'synthetic-d', timeframe: '15m' }, ctx);
    await labels('synthetic-d');
    await createSplit({ root, name: 'wf', scheme: 'walk-forward', venue: 'synthetic', timeframe: '15m', walk_forward: { train_us: 4 * DAY, test_us: 2 * DAY, step_us: 2 * DAY, buffer_us: 6 * 3_600_000_000, window: 'expanding' } }, ctx);
    const wf = loadSplit(root, 'wf');
    const covered = wf.folds!.filter((f) => Date.parse(f.test.intervals[f.test.intervals.length - 1]![1]) * 1000 > D_FROM).map((f) => f.index);
    expect(covered.length).toBeGreaterThan(0);
    expect(covered.length).toBeLessThan(wf.folds!.length);
    const rf = await runResearch({ root, split: 'wf', segment: 'folds-test', hypotheses: ['H3'], config: { min_obs_per_period: 20 }, args: { test: true }, write: false }, ctx);
    const cf = rf.hypotheses[0]!.checks.find((x) => x.name === 'venue_robustness')!;
    expect(cf.numbers['venues']).toBe('synthetic-b,synthetic-c,synthetic-d');
    expect(cf.numbers['synthetic-d.folds']).toBe(covered.join(','));
    expect(cf.numbers['synthetic-b.folds']).toBe(wf.folds!.map((f) => f.index).join(','));
    expect(typeof cf.numbers['synthetic-d.ic']).toBe('number');

    // nothing of synthetic-b was read as the sealed test segment
    expect(await ledgerRows(ctx, root, { kind: 'unseal' })).toHaveLength(0);
    // a run on the sealed test segment: its own reads and every other venue's share one look, one unsealing
    const sealed = await runResearch({ root, split: 'a', segment: 'test', unseal_reason: 'final H3 check', hypotheses: ['H3'], config: { ...SHORT_SPAN_CONFIG }, args: { test: true }, write: false }, ctx);
    const tested = sealed.hypotheses[0]!.checks.find((x) => x.name === 'venue_robustness')!;
    expect(tested.numbers['venues']).toBe('synthetic-b,synthetic-c,synthetic-d');
    expect(typeof tested.numbers['synthetic-b.ic']).toBe('number');
    const unseals = await ledgerRows(ctx, root, { kind: 'unseal' });
    expect(unseals).toHaveLength(1);
    expect(unseals[0]!.split_name).toBe('a');
    expect(sealed.repeated_look).toBe(false);
  }, 600_000);
});
