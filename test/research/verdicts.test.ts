import { describe, expect, it } from 'vitest';
import { DEFAULT_RESEARCH_CONFIG, HypothesisSpecSchema, type HypothesisSpec } from '../../src/domain/research.js';
import type { CellResult } from '../../src/services/research/cells.js';
import { judge } from '../../src/services/research/verdicts.js';
import type { SecondVenue } from '../../src/services/research/venues.js';

const cfg = DEFAULT_RESEARCH_CONFIG;

function cell(over: Partial<CellResult>): CellResult {
  return {
    feature: 'basis_z_168', horizon: '1h', target: 'perp', horizon_ms: 3_600_000, regime_dim: 'all', regime_cell: 'all', status: 'ok', n: 5000, assets: 3,
    effective_n: 1500, ic: -0.06, ic_panel: -0.05, ic_by_asset: {}, t_naive: -6, t_nw: -4, se_nw: 0.015, nw_lags: 22, p_value: 6e-5,
    p_holm: 0.001, p_bh: 0.001, hit_rate: 0.53, ic_periods: 20, ic_ir: -0.8, ic_rolling_std: 0.07, ic_trend: 0, sign_stability: 0.8,
    sign_pairs: 19, turnover: 0.1, buckets: null, monotonicity: -1, monotonicity_p: 0.0167, spread: -0.002, spread_ci_low: -0.003,
    spread_ci_high: -0.001, partial_ic: -0.05, partial_t_nw: -3.5, partial_p: 0.0005, r2_lift: 0.002, ic_ex_stress: -0.055,
    p_ex_stress: 0.001, cs_ic: null, cs_t_nw: null, cs_times: 0, viable: true, ...over,
  };
}

const regimeCells = (ics: number[]): CellResult[] =>
  ['low', 'normal', 'high'].map((c, i) => cell({ regime_dim: 'vol', regime_cell: c, ic: ics[i] ?? null, p_bh: 0.01 }));

const spec = (over: Record<string, unknown> = {}): HypothesisSpec =>
  HypothesisSpecSchema.parse({
    id: 'H1',
    title: 't',
    statement: 's',
    features: [{ name: 'basis_z_168', expected_sign: 'negative' }],
    horizons: ['1h'],
    regimes: ['vol'],
    ...over,
  });

const status = (v: ReturnType<typeof judge>, name: string): string | undefined => v.checks.find((c) => c.name === name)?.status;

describe('hypothesis verdicts', () => {
  it('passes when significant with the expected sign, stable across regimes, incremental, not stress-driven, sign-stable', () => {
    const v = judge(spec(), [cell({}), ...regimeCells([-0.05, -0.06, -0.07])], cfg, 0.0006);
    expect(v.verdict).toBe('pass');
    expect(v.best?.feature).toBe('basis_z_168');
    expect(v.checks.map((c) => [c.name, c.status])).toEqual([
      ['significance', 'pass'],
      ['regime_stability', 'pass'],
      ['incrementality', 'pass'],
      ['rare_stress', 'pass'],
      ['sign_stability', 'pass'],
      ['tradability_screen', 'info'],
    ]);
    const trade = v.checks.find((c) => c.name === 'tradability_screen')!;
    expect(trade.numbers['gross_edge_per_trade']).toBeCloseTo(0.001, 12);
    expect(trade.numbers['edge_over_cost']).toBeCloseTo(0.001 / 0.0006, 9);
  });
  it('a spec is judged on its own target: relative cells for a relative spec, perp cells (or cells without a target) for a perp one, on every venue', () => {
    const perpCells = [cell({}), ...regimeCells([-0.05, -0.06, -0.07])];
    const relCells = [cell({ target: 'relative', ic: 0.04, t_nw: 3.9, partial_ic: 0.03 }), ...regimeCells([0.05, 0.06, 0.07]).map((c) => ({ ...c, target: 'relative' as const }))];
    // a relative spec with only perp cells has nothing to judge
    const none = judge(spec({ target: 'relative' }), perpCells, cfg, null);
    expect(none.verdict).toBe('inconclusive');
    expect(none.best).toBeNull();
    expect(none.target).toBe('relative');
    // with both, each spec reads its own: the relative cells have the other sign (fail on expected negative)
    const rel = judge(spec({ target: 'relative' }), [...perpCells, ...relCells], cfg, null);
    expect(rel.best?.ic).toBe(0.04);
    expect(rel.verdict).toBe('fail');
    const perp = judge(spec(), [...perpCells, ...relCells], cfg, null);
    expect(perp.best?.ic).toBe(-0.06);
    expect(perp.verdict).toBe('pass');
    const old = judge(spec(), perpCells.map((c) => ({ ...c, target: undefined as unknown as 'perp' })), cfg, null);
    expect(old.verdict).toBe('pass');
    // the other venue's cells: only the spec's target is compared
    const venueCell = (target: 'perp' | 'relative', ic: number) => ({ feature: 'basis_z_168', horizon: '1h', target, regime_dim: 'all', regime_cell: 'all', status: 'ok' as const, ic, t_nw: ic * 100, p_value: 1e-4, effective_n: 2000 });
    const venues = { venue: 'a', others: ['b'], timeframe: '1h', tested: [{ venue: 'b', rows: 5000, cells: [venueCell('perp', -0.06), venueCell('relative', 0.05)] }] };
    const lead = spec({ requires_second_venue: true });
    expect(judge(lead, [...perpCells, ...relCells], cfg, null, null, venues).checks.find((c) => c.name === 'venue_robustness')?.status).toBe('pass');
    const relVenues = { ...venues, tested: [{ venue: 'b', rows: 5000, cells: [venueCell('perp', -0.06)] }] };
    expect(judge(spec({ requires_second_venue: true, target: 'relative', features: [{ name: 'basis_z_168', expected_sign: 'either' }] }), [...perpCells, ...relCells], cfg, null, null, relVenues).checks.find((c) => c.name === 'venue_robustness')?.status).toBe('inconclusive');
  });
  it('fails when the effect disappears without the top stress decisions (rare-stress dependence)', () => {
    const v = judge(spec(), [cell({ ic_ex_stress: 0.01, p_ex_stress: 0.4 }), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null);
    expect(status(v, 'rare_stress')).toBe('fail');
    expect(v.verdict).toBe('fail');
  });
  it('rare stress: an effect not significant with the stress periods is inconclusive there, not "depends on rare stress"', () => {
    const v = judge(spec(), [cell({ p_value: 0.2, p_bh: 0.4, ic_ex_stress: -0.06, p_ex_stress: 0.2 }), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null);
    const c = v.checks.find((x) => x.name === 'rare_stress')!;
    expect(c.status).toBe('inconclusive');
    expect(c.reason).toMatch(/not significant with the stress periods either \(p 0\.2000 > 0\.05\): nothing to remove/);
    // the verdict is the primary check's (not significant with effective N 1500: fail)
    expect(v.verdict).toBe('fail');
    // significant (p 0.04 <= 0.05) and gone without the stress decisions: fail
    expect(status(judge(spec(), [cell({ p_value: 0.04, ic_ex_stress: -0.01, p_ex_stress: 0.3 }), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null), 'rare_stress')).toBe('fail');
    // no IC without the stress decisions: one inconclusive check, not two
    const none = judge(spec(), [cell({ ic_ex_stress: null, p_ex_stress: null }), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null);
    expect(none.checks.filter((c) => c.name === 'rare_stress').map((c) => c.status)).toEqual(['inconclusive']);
    // the raw p decides, not the BH p (p 0.04, BH p 0.2): holds without them, pass
    expect(status(judge(spec(), [cell({ p_value: 0.04, p_bh: 0.2, ic_ex_stress: -0.05, p_ex_stress: 0.01 }), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null), 'rare_stress')).toBe('pass');
    // a modulation hypothesis: its unconditional cell need carry no effect; the check is information only
    const mod = spec({ modulation: { dimension: 'activity', low: 'low', high: 'high' }, acceptance: { stable_across_regimes: false, incremental: false }, failure: { sign_instability: false, no_incrementality: false } });
    const flatAll = cell({ ic: -0.001, t_nw: -0.1, p_value: 0.9, p_bh: 0.95, ic_ex_stress: -0.001, p_ex_stress: 0.9 });
    const lo = cell({ regime_dim: 'activity', regime_cell: 'low', ic: 0.06, se_nw: 0.01 });
    const hi = cell({ regime_dim: 'activity', regime_cell: 'high', ic: -0.01, se_nw: 0.01 });
    const m = judge(mod, [flatAll, lo, hi], cfg, null);
    expect(status(m, 'modulation')).toBe('pass');
    expect(status(m, 'rare_stress')).toBe('info');
    expect(m.verdict).toBe('pass');
    // also when the unconditional cell is significant and gone without the stress decisions (fail for a plain hypothesis)
    const gone = judge(mod, [cell({ p_value: 0.01, ic_ex_stress: 0.01, p_ex_stress: 0.5 }), lo, hi], cfg, null);
    expect(gone.checks.find((c) => c.name === 'rare_stress')).toMatchObject({ status: 'info', reason: expect.stringMatching(/^\(the feature's unconditional cell, for reference: fail\) depends on rare stress/) });
    expect(gone.verdict).toBe('pass');
  });
  it('fails on sign instability across adjacent periods, and is inconclusive with too few periods', () => {
    expect(judge(spec(), [cell({ sign_stability: 0.4 }), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null).verdict).toBe('fail');
    const v = judge(spec(), [cell({ sign_pairs: 1, sign_stability: 1 }), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null);
    expect(status(v, 'sign_stability')).toBe('inconclusive');
    expect(v.verdict).toBe('inconclusive');
  });
  it('fails without incrementality after the baseline stack', () => {
    const v = judge(spec(), [cell({ partial_ic: -0.004, partial_p: 0.6 }), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null);
    expect(status(v, 'incrementality')).toBe('fail');
    expect(v.verdict).toBe('fail');
  });
  it('fails when the sign flips across regime cells', () => {
    const v = judge(spec(), [cell({}), ...regimeCells([0.05, -0.06, 0.07])], cfg, null);
    expect(status(v, 'regime_stability')).toBe('fail');
    expect(v.checks.find((c) => c.name === 'regime_stability')!.numbers['vol_same_sign_share']).toBeCloseTo(1 / 3, 12);
    expect(v.verdict).toBe('fail');
  });
  it('significant with the opposite sign to the spec fails; not significant fails only with enough effective N', () => {
    expect(judge(spec(), [cell({ ic: 0.06, t_nw: 4 }), ...regimeCells([0.05, 0.06, 0.07])], cfg, null).verdict).toBe('fail');
    const big = judge(spec(), [cell({ p_bh: 0.4, effective_n: 5000 })], cfg, null);
    expect(big.verdict).toBe('fail');
    const small = judge(spec(), [cell({ p_bh: 0.4, effective_n: 100 })], cfg, null);
    expect(small.verdict).toBe('inconclusive');
    expect(small.checks[0]!.reason).toMatch(/too little data/);
  });
  it('lead-lag claims without a second venue are inconclusive at best', () => {
    const v = judge(spec({ requires_second_venue: true }), [cell({}), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null);
    expect(status(v, 'venue_robustness')).toBe('inconclusive');
    expect(v.verdict).toBe('inconclusive');
    expect(v.checks.find((c) => c.name === 'venue_robustness')!.reason).toMatch(/no second venue/);
  });
  it('a second venue listed without its cells (a run recorded without them) is named with what to run, and the check stays inconclusive', () => {
    const v = judge(spec({ requires_second_venue: true }), [cell({}), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null, null, { venue: 'coinbase', others: ['binance-usdm'], timeframe: '5m' });
    const c = v.checks.find((x) => x.name === 'venue_robustness')!;
    expect(c.status).toBe('inconclusive');
    expect(c.numbers).toEqual({ venues: 2, other_venues: 'binance-usdm' });
    expect(c.reason).toMatch(/5m features of binance-usdm besides coinbase, but no other venue's cells were judged; "perpkit research --hypothesis H1" tests every other venue/);
    expect(v.verdict).toBe('inconclusive');
  });
  describe('venue robustness on the second venue (the same cell there, its own NW p)', () => {
    const run = (second: SecondVenue) =>
      judge(spec({ requires_second_venue: true }), [cell({}), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null, null, { venue: 'coinbase', others: ['binance-usdm'], timeframe: '5m', tested: [second] });
    const check = (v: ReturnType<typeof judge>) => v.checks.find((c) => c.name === 'venue_robustness')!;
    const other = (over: Partial<CellResult>) => ({ venue: 'binance-usdm', rows: 9000, cells: [cell({ p_bh: null, p_holm: null, ...over })] });
    it('passes when the same cell is significant with the same sign there (and the verdict can pass)', () => {
      const v = run(other({ ic: -0.04, t_nw: -3, p_value: 0.003 }));
      expect(check(v).status).toBe('pass');
      expect(check(v).numbers).toMatchObject({ venue: 'binance-usdm', feature: 'basis_z_168', horizon: '1h', ic_run: -0.06, ic: -0.04, p_value: 0.003 });
      expect(v.verdict).toBe('pass');
    });
    it('fails on the opposite sign significant there, and on no effect with enough data to reject', () => {
      const flip = run(other({ ic: 0.04, t_nw: 3, p_value: 0.003 }));
      expect(check(flip).status).toBe('fail');
      expect(check(flip).reason).toMatch(/opposite sign on binance-usdm/);
      expect(flip.verdict).toBe('fail');
      const none = run(other({ ic: -0.004, t_nw: -0.5, p_value: 0.6, effective_n: cfg.min_effective_n_to_reject }));
      expect(check(none).status).toBe('fail');
      expect(check(none).reason).toMatch(/does not replicate on binance-usdm/);
      // at alpha exactly: significant
      expect(check(run(other({ ic: -0.04, p_value: 0.05 }))).status).toBe('pass');
    });
    it('is inconclusive with too little data, no matching cell, or nothing of the venue to read', () => {
      const few = run(other({ ic: -0.004, p_value: 0.6, effective_n: cfg.min_effective_n_to_reject - 1 }));
      expect(check(few).status).toBe('inconclusive');
      expect(few.verdict).toBe('inconclusive');
      expect(check(run(other({ horizon: '15m' }))).reason).toMatch(/too few observations for basis_z_168 1h on binance-usdm/);
      expect(check(run(other({ status: 'insufficient', ic: null, p_value: null }))).status).toBe('inconclusive');
      const missing = run({ venue: 'binance-usdm', rows: 0, cells: [], error: 'no labels for split s' });
      expect(check(missing).status).toBe('inconclusive');
      expect(check(missing).reason).toMatch(/binance-usdm could not be tested: no labels for split s/);
    });
  });
  describe('venue robustness on several other venues (each its own pre-specified test)', () => {
    const cells = [cell({}), ...regimeCells([-0.05, -0.06, -0.07])];
    const on = (venue: string, over: Partial<CellResult> | null): SecondVenue =>
      over === null ? { venue, rows: 0, cells: [], error: `no labels for split s's scope on venue ${venue}` } : { venue, rows: 9000, cells: [cell({ p_bh: null, p_holm: null, ...over })] };
    const run = (tested: SecondVenue[]) => judge(spec({ requires_second_venue: true }), cells, cfg, null, null, { venue: 'coinbase', others: tested.map((t) => t.venue), timeframe: '5m', tested });
    const check = (v: ReturnType<typeof judge>) => v.checks.find((c) => c.name === 'venue_robustness')!;
    const rep = { ic: -0.04, t_nw: -3, p_value: 0.003 };
    it('passes when one replicates and the others cannot be tested, with every venue\'s numbers', () => {
      const v = run([on('binance-usdm', null), on('okx', rep)]);
      expect(check(v).status).toBe('pass');
      expect(v.verdict).toBe('pass');
      expect(check(v).numbers).toMatchObject({ venues: 'binance-usdm,okx', replicated: 'okx', failed: '', 'okx.status': 'pass', 'okx.ic': -0.04, 'okx.p_value': 0.003, 'binance-usdm.status': 'inconclusive', 'binance-usdm.ic': null, feature: 'basis_z_168', horizon: '1h', ic_run: -0.06 });
      expect(check(v).reason).toMatch(/^1 of 2 other venues replicate: replicates on okx.*; inconclusive: binance-usdm could not be tested/);
    });
    it('fails when any venue contradicts, even when another replicates (either order)', () => {
      for (const tested of [[on('binance-usdm', rep), on('okx', { ic: 0.05, t_nw: 3.5, p_value: 0.001 })], [on('okx', { ic: 0.05, t_nw: 3.5, p_value: 0.001 }), on('binance-usdm', rep)]]) {
        const v = run(tested);
        expect(check(v).status).toBe('fail');
        expect(v.verdict).toBe('fail');
        expect(check(v).numbers).toMatchObject({ replicated: 'binance-usdm', failed: 'okx' });
        expect(check(v).reason).toMatch(/^1 of 2 other venues contradict: the opposite sign on okx.*; replicates on binance-usdm/);
      }
      const none = run([on('binance-usdm', rep), on('okx', { ic: -0.004, p_value: 0.6, effective_n: cfg.min_effective_n_to_reject })]);
      expect(check(none).status).toBe('fail');
      expect(check(none).reason).toMatch(/does not replicate on okx/);
    });
    it('is inconclusive when none replicates or contradicts', () => {
      const v = run([on('binance-usdm', null), on('okx', { ic: -0.004, p_value: 0.6, effective_n: cfg.min_effective_n_to_reject - 1 })]);
      expect(check(v).status).toBe('inconclusive');
      expect(v.verdict).toBe('inconclusive');
      expect(check(v).numbers).toMatchObject({ replicated: '', failed: '', 'okx.status': 'inconclusive' });
      expect(check(v).reason).toMatch(/^no other venue replicates or contradicts: .*binance-usdm could not be tested.*not significant on okx/);
    });
    it('each venue is tested at alpha / K, K the venues with a p for the cell (Bonferroni over the search)', () => {
      const p03 = { ic: -0.04, t_nw: -2.2, p_value: 0.03, effective_n: cfg.min_effective_n_to_reject - 1 };
      // the other venue has no data: K = 1, alpha 0.05, p 0.03 replicates
      const one = run([on('binance-usdm', p03), on('okx', null)]);
      expect(check(one).status).toBe('pass');
      expect(check(one).numbers).toMatchObject({ venues_with_data: 1, alpha: 0.05, alpha_per_venue: 0.05 });
      // both have a p: K = 2, p 0.03 > 0.025 no longer replicates (too little data to reject: inconclusive)
      const two = run([on('binance-usdm', p03), on('okx', { ic: -0.01, p_value: 0.5, effective_n: cfg.min_effective_n_to_reject - 1 })]);
      expect(check(two).status).toBe('inconclusive');
      expect(check(two).numbers).toMatchObject({ venues_with_data: 2, alpha_per_venue: 0.025, 'binance-usdm.status': 'inconclusive' });
      // p between alpha / K and alpha with plenty of data: not a replication, and not a fail either
      const mid = run([on('binance-usdm', { ...p03, effective_n: 2000 }), on('okx', { ...p03, p_value: 0.04, effective_n: 2000 })]);
      expect(check(mid).status).toBe('inconclusive');
      expect(check(mid).reason).toMatch(/inconclusive: p 0\.0300 on binance-usdm .* between 0\.0250 \(alpha over the venues tested\) and 0\.05/);
      // the opposite sign between alpha / K and alpha: inconclusive too; at or under alpha / K: a fail
      expect(check(run([on('binance-usdm', rep), on('okx', { ic: 0.04, p_value: 0.04, effective_n: 2000 })])).status).toBe('pass');
      expect(check(run([on('binance-usdm', rep), on('okx', { ic: 0.04, p_value: 0.02, effective_n: 2000 })])).status).toBe('fail');
      // p 0.02 <= 0.025 replicates
      expect(check(run([on('binance-usdm', { ...p03, p_value: 0.02 }), on('okx', { ic: -0.01, p_value: 0.5, effective_n: 10 })])).status).toBe('pass');
    });
    it('with one venue tested, the numbers are that venue\'s own check', () => {
      expect(check(run([on('okx', rep)])).numbers).toMatchObject({ venue: 'okx', ic: -0.04, p_value: 0.003 });
    });
  });
  it('insufficient cells never give a verdict number', () => {
    const v = judge(spec(), [cell({ status: 'insufficient', ic: null, t_nw: null, p_bh: null })], cfg, null);
    expect(v.verdict).toBe('inconclusive');
    expect(v.best).toBeNull();
  });
  it('modulation (H5): the |IC| difference between activity cells is z-tested with the NW standard errors', () => {
    const s = spec({ modulation: { dimension: 'activity', low: 'low', high: 'high' }, acceptance: { stable_across_regimes: false } });
    const lo = cell({ regime_dim: 'activity', regime_cell: 'low', ic: -0.01, se_nw: 0.01 });
    const hi = cell({ regime_dim: 'activity', regime_cell: 'high', ic: -0.08, se_nw: 0.01 });
    const v = judge(s, [cell({}), lo, hi], cfg, null);
    const m = v.checks.find((c) => c.name === 'modulation')!;
    expect(m.numbers['z']).toBeCloseTo((0.08 - 0.01) / Math.sqrt(0.0002), 9);
    expect(m.status).toBe('pass');
    expect(v.verdict).toBe('pass');
    const flat = judge(s, [cell({}), lo, { ...hi, ic: -0.012 }], cfg, null);
    expect(flat.checks.find((c) => c.name === 'modulation')!.status).toBe('fail');
    expect(flat.verdict).toBe('fail');
    // the unconditional cell's incrementality and sign stability are information only: a partial IC of
    // the other sign and unstable months (fail for a plain hypothesis) leave the modulation's pass
    const flipped = judge(s, [cell({ partial_ic: 0.05, partial_p: 1e-4, sign_stability: 0.2 }), lo, hi], cfg, null);
    expect(status(judge(spec(), [cell({ partial_ic: 0.05, partial_p: 1e-4, sign_stability: 0.2 }), ...regimeCells([-0.05, -0.06, -0.07])], cfg, null), 'incrementality')).toBe('fail');
    expect(flipped.checks.find((c) => c.name === 'incrementality')).toMatchObject({ status: 'info', reason: expect.stringMatching(/^\(the feature's unconditional cell, for reference: fail\) no incrementality/) });
    expect(flipped.checks.find((c) => c.name === 'sign_stability')).toMatchObject({ status: 'info', reason: expect.stringMatching(/for reference: fail\) sign instability/) });
    expect(flipped.verdict).toBe('pass');
    // no difference, but one cell's effective N is under min_effective_n_to_reject: too little data to reject
    const thin = judge(s, [cell({}), { ...lo, effective_n: 299 }, { ...hi, ic: -0.012 }], cfg, null);
    const tm = thin.checks.find((c) => c.name === 'modulation')!;
    expect(tm.status).toBe('inconclusive');
    expect(tm.numbers['effective_n']).toBe(299);
    expect(tm.reason).toMatch(/effective N 299 < 300 in a cell: too little data to reject/);
    expect(thin.verdict).toBe('inconclusive');
    expect(judge(s, [cell({}), { ...lo, effective_n: 300 }, { ...hi, ic: -0.012 }], cfg, null).verdict).toBe('fail');
  });
});

describe('H6 verdict by the settlement event study', () => {
  const study = (t: number, placeboT: number, events = 200, thin = events) => ({
    bar_timeframe: '1m', near_minutes: 30, far_minutes: 120, settlements: events + thin, note: '',
    rows: (['settlement', 'placebo'] as const).flatMap((kind) =>
      (['positive', 'negative'] as const).flatMap((rate_sign) =>
        (['pre_rel', 'post_rel'] as const).map((measure) => {
          const tt = kind === 'settlement' && rate_sign === 'positive' && measure === 'pre_rel' ? t : kind === 'placebo' && rate_sign === 'positive' && measure === 'pre_rel' ? placeboT : 0.3;
          return { kind, rate_sign, measure, events: rate_sign === 'positive' ? thin : events, mean: tt * 1e-4, t: tt, p_value: 2 * (1 - 0.5 * (1 + Math.tanh(Math.abs(tt) * 0.7978845608 * (1 + 0.044715 * tt * tt)))) };
        }),
      ),
    ),
  });
  const h6 = spec({ id: 'H6', features: [{ name: 'settle_in_window', expected_sign: 'either' }], event_study: true, acceptance: { stable_across_regimes: false, incremental: false }, failure: { rare_stress: false, sign_instability: false, no_incrementality: false } });
  const cells = [cell({ feature: 'settle_in_window', p_bh: 0.9 })];
  it('passes on a significant perp-minus-spot move (Bonferroni over 4) that placebo times do not show', () => {
    const v = judge(h6, cells, cfg, null, study(-4.5, -0.4));
    expect(v.checks.find((c) => c.name === 'event_study')!.status).toBe('pass');
    expect(v.verdict).toBe('pass');
  });
  it('fails when placebo times show the same move, or nothing survives Bonferroni; inconclusive without a study', () => {
    expect(judge(h6, cells, cfg, null, study(-4.5, -4)).verdict).toBe('fail');
    expect(judge(h6, cells, cfg, null, study(-2.2, 0)).verdict).toBe('fail'); // p ~ 0.028 x 4 > 0.05
    expect(judge(h6, cells, cfg, null, null).verdict).toBe('inconclusive');
  });
  it('no move on fewer than min_events_to_reject events is inconclusive; a significant move on few events still passes', () => {
    const few = judge(h6, cells, cfg, null, study(-2.2, 0, 99));
    const c = few.checks.find((x) => x.name === 'event_study')!;
    expect(c.status).toBe('inconclusive');
    expect(c.reason).toMatch(/on at most 99 events per rate sign < 100: too few to reject/);
    expect(judge(h6, cells, cfg, null, study(-2.2, 0, 100)).verdict).toBe('fail');
    expect(judge(h6, cells, cfg, null, study(-4.5, -0.4, 40)).verdict).toBe('pass');
    // the smallest p on a thin row (positive rates, 20 events) while the other rows have 500: enough data, fail
    const mixed = judge(h6, cells, cfg, null, study(-2.2, 0, 500, 20));
    expect(mixed.checks.find((x) => x.name === 'event_study')!.numbers['events']).toBe(20);
    expect(mixed.verdict).toBe('fail');
    expect(judge(h6, cells, cfg, null, study(-2.2, 0, 99, 20)).verdict).toBe('inconclusive');
  });
});

describe('features with a fallback (H4 v2)', () => {
  const withFallback = spec({ features: [{ name: 'flow_div_trades_24', expected_sign: 'either', fallback: 'flow_div_barproxy_24' }], regimes: [] });
  const proxy = cell({ feature: 'flow_div_barproxy_24', ic: 0.04, t_nw: 3.5 });
  it('is judged on the fallback when the feature has no data in the run, and says so', () => {
    const noTrades = cell({ feature: 'flow_div_trades_24', status: 'insufficient', n: 0, ic: null, t_nw: null, p_bh: null });
    const v = judge(withFallback, [noTrades, proxy], cfg, null);
    expect(v.best?.feature).toBe('flow_div_barproxy_24');
    expect(v.features_used).toEqual([{ feature: 'flow_div_trades_24', judged: 'flow_div_barproxy_24', reason: expect.stringMatching(/flow_div_trades_24 has no data in this run.*fallback flow_div_barproxy_24/) }]);
    expect(v.checks[0]).toMatchObject({ name: 'feature_choice', status: 'info', numbers: { judged: 'flow_div_barproxy_24' } });
    expect(v.version).toBe(1);
  });
  it('is judged on the feature itself where it has data, even when the proxy looks stronger', () => {
    const trades = cell({ feature: 'flow_div_trades_24', ic: -0.01, t_nw: -1.2, p_bh: 0.6 });
    const v = judge(withFallback, [trades, proxy], cfg, null);
    expect(v.best?.feature).toBe('flow_div_trades_24');
    expect(v.features_used![0]!.judged).toBe('flow_div_trades_24');
    expect(v.cells_considered).toBe(1);
  });
  it('a stand-in that shows nothing refutes nothing: a fail judged on fallbacks only is inconclusive, and says why; on the feature itself it fails', () => {
    const noTrades = cell({ feature: 'flow_div_trades_24', status: 'insufficient', n: 0, ic: null, t_nw: null, p_bh: null });
    const flatProxy = cell({ feature: 'flow_div_barproxy_24', ic: 0.001, t_nw: 0.2, p_value: 0.84, p_bh: 0.95, effective_n: 10_000 });
    const v = judge(withFallback, [noTrades, flatProxy], cfg, null);
    expect(v.checks.find((c) => c.name === 'significance')!.status).toBe('fail');
    expect(v.verdict).toBe('inconclusive');
    expect(v.checks[v.checks.length - 1]).toMatchObject({ name: 'feature_choice', status: 'info', reason: expect.stringMatching(/a fail on the fallback\(s\) flow_div_barproxy_24 only is inconclusive/) });
    // a stand-in that shows the effect still passes
    const shows = judge(withFallback, [noTrades, { ...proxy, partial_ic: 0.03, ic_ex_stress: 0.035 }], cfg, null);
    expect(shows.verdict).toBe('pass');
    // any fail on stand-ins only (here incrementality and rare stress of the proxy's effect) refutes nothing either
    const notIncremental = judge(withFallback, [noTrades, proxy], cfg, null);
    expect(notIncremental.checks.find((c) => c.name === 'incrementality')!.status).toBe('fail');
    expect(notIncremental.verdict).toBe('inconclusive');
    // the same null result on the feature itself is a fail
    const flatTrades = { ...flatProxy, feature: 'flow_div_trades_24' };
    expect(judge(withFallback, [flatTrades, proxy], cfg, null).verdict).toBe('fail');
    // two features, one judged on itself (it has data) and one on its fallback: a fail stands
    const two = spec({ features: [{ name: 'flow_div_trades_24', expected_sign: 'either', fallback: 'flow_div_barproxy_24' }, { name: 'taker_imb_24', expected_sign: 'either', fallback: 'flow_div_barproxy_24' }], regimes: [] });
    const noImb = cell({ feature: 'taker_imb_24', status: 'insufficient', n: 0, ic: null, t_nw: null, p_bh: null });
    const mixed = judge(two, [flatTrades, noImb, flatProxy], cfg, null);
    expect(mixed.features_used!.map((f) => f.judged)).toEqual(['flow_div_trades_24', 'flow_div_barproxy_24']);
    expect(mixed.verdict).toBe('fail');
  });
});
