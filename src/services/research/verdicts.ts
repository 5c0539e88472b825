import type { HypothesisSpec, ResearchConfig } from '../../domain/research.js';
import { twoSidedP } from '../../stats/multiple-testing.js';
import type { CellResult } from './cells.js';
import type { SettlementStudy } from './settlement.js';
import type { SecondVenue, VenueCell } from './venues.js';

export type CheckStatus = 'pass' | 'fail' | 'inconclusive' | 'info';

export interface Check {
  name: 'feature_choice' | 'significance' | 'modulation' | 'event_study' | 'regime_stability' | 'incrementality' | 'rare_stress' | 'sign_stability' | 'venue_robustness' | 'tradability_screen';
  status: CheckStatus;
  /** the numbers behind the status */
  numbers: Record<string, number | string | null>;
  reason: string;
}

export interface Verdict {
  id: string;
  title: string;
  verdict: 'pass' | 'fail' | 'inconclusive';
  /** the cell the checks are about: the most significant of the spec's (feature, horizon) cells in the expected direction */
  best: { feature: string; horizon: string; ic: number | null; t_nw: number | null; p_bh: number | null; effective_n: number | null } | null;
  checks: Check[];
  cells_considered: number;
  /** the label the spec is judged on: perp or relative (perp minus spot); absent in verdicts recorded before targets: perp */
  target?: 'perp' | 'relative';
  /** the spec's version (absent in verdicts recorded before versions) */
  version?: number;
  /** features with a fallback: which one the verdict read, and why */
  features_used?: Array<{ feature: string; judged: string; reason: string }>;
}

const sgn = (x: number | null): number => (x === null ? 0 : Math.sign(x));
const fmt = (x: number | null, d = 4): string => (x === null ? 'n/a' : x.toFixed(d));

function signOk(expected: string, ic: number | null): boolean {
  if (ic === null || ic === 0) return false;
  return expected === 'either' || (expected === 'positive' ? ic > 0 : ic < 0);
}

/** Verdict of one hypothesis from the cells of the run (see docs/research.md for the rules). */
/** The venue of the run and the other venues with features at its timeframe in the data dir. */
export interface VenueContext {
  venue: string;
  others: string[];
  timeframe: string;
  /** the same cells on each of `others` (research/venues.ts), in their order; absent when not run */
  tested?: Array<Omit<SecondVenue, 'cells'> & { cells: VenueCell[] }> | null;
}

export function judge(spec: HypothesisSpec, allCells: readonly CellResult[], cfg: ResearchConfig, roundTripCost: number | null, study: SettlementStudy | null = null, allVenues: VenueContext | null = null): Verdict {
  const alpha = spec.acceptance.alpha;
  // a spec is judged on its own target's cells only (perp or relative; cells without one are perp), here and on the other venues
  const onTarget = (c: { target?: string | null }): boolean => (c.target ?? 'perp') === spec.target;
  const cells = allCells.filter(onTarget);
  const venues: VenueContext | null = allVenues?.tested ? { ...allVenues, tested: allVenues.tested.map((v) => ({ ...v, cells: v.cells.filter(onTarget) })) } : allVenues;
  // A feature with a fallback is judged on itself where it has data (a cell with a t in the spec's
  // horizons), otherwise on the fallback (e.g. trade flow on data without trades: its bar proxy).
  const hasData = (f: string): boolean => cells.some((c) => c.feature === f && spec.horizons.includes(c.horizon) && c.regime_dim === 'all' && c.status === 'ok' && c.t_nw !== null);
  const used = spec.features.map((f) => {
    if (!f.fallback) return { ...f, judged: f.name, reason: '' };
    if (hasData(f.name)) return { ...f, judged: f.name, reason: `${f.name} has data in this run: judged on it (not on ${f.fallback})` };
    return { ...f, judged: f.fallback, reason: `${f.name} has no data in this run (no cell with enough observations, e.g. no trades): judged on its fallback ${f.fallback}` };
  });
  const featuresUsed = used.filter((f) => f.fallback).map((f) => ({ feature: f.name, judged: f.judged, reason: f.reason }));
  const expected = new Map(used.map((f) => [f.judged, f.expected_sign]));
  const mine = cells.filter((c) => expected.has(c.feature) && spec.horizons.includes(c.horizon));
  const all = mine.filter((c) => c.regime_dim === 'all' && c.status === 'ok' && c.t_nw !== null);
  const inDirection = all.filter((c) => signOk(expected.get(c.feature) as string, c.ic));
  const byT = (a: CellResult, b: CellResult): number => Math.abs(b.t_nw ?? 0) - Math.abs(a.t_nw ?? 0);
  const best = [...inDirection].sort(byT)[0] ?? [...all].sort(byT)[0] ?? null;
  const checks: Check[] = [];
  // judged on stand-ins only (every feature on its fallback, e.g. the bar-volume proxy of trade
  // flow): a stand-in that shows the effect supports it, one that shows nothing refutes nothing
  const standIns = used.length > 0 && used.every((f) => f.judged !== f.name);
  const verdict = (given: Verdict['verdict']): Verdict => {
    let v = given;
    if (v === 'fail' && standIns) {
      v = 'inconclusive';
      checks.push({
        name: 'feature_choice',
        status: 'info',
        numbers: { judged: used.map((f) => f.judged).join(',') },
        reason: `a fail on the fallback(s) ${[...new Set(used.map((f) => f.judged))].join(', ')} only is inconclusive: they stand in for ${used.map((f) => f.name).join(', ')}, which have no data in this run; a stand-in that shows nothing does not refute the hypothesis (get the data the spec's features need)`,
      });
    }
    return verdictOf(v);
  };
  const verdictOf = (v: Verdict['verdict']): Verdict => ({
    id: spec.id,
    title: spec.title,
    verdict: v,
    best: best && { feature: best.feature, horizon: best.horizon, ic: best.ic, t_nw: best.t_nw, p_bh: best.p_bh, effective_n: best.effective_n },
    checks,
    cells_considered: mine.length,
    target: spec.target,
    version: spec.version,
    features_used: featuresUsed,
  });
  for (const f of featuresUsed) checks.push({ name: 'feature_choice', status: 'info', numbers: { feature: f.feature, judged: f.judged }, reason: f.reason });
  if (!best) {
    checks.push({ name: 'significance', status: 'inconclusive', numbers: { cells: mine.length }, reason: 'no cell with enough observations' });
    return verdict('inconclusive');
  }
  // Primary check: the effect itself (or, for a modulation hypothesis, the difference between cells).
  let primary: Check;
  const dirOk = signOk(expected.get(best.feature) as string, best.ic);
  const sig = best.p_bh !== null && best.p_bh <= alpha;
  const sigNumbers = { feature: best.feature, horizon: best.horizon, ic: best.ic, t_nw: best.t_nw, p_value: best.p_value, p_bh: best.p_bh, p_holm: best.p_holm, effective_n: best.effective_n, alpha };
  if (sig && dirOk) primary = { name: 'significance', status: 'pass', numbers: sigNumbers, reason: `BH-adjusted p ${fmt(best.p_bh)} <= ${alpha} with the expected sign` };
  else if (sig && !dirOk) primary = { name: 'significance', status: 'fail', numbers: sigNumbers, reason: `significant (BH p ${fmt(best.p_bh)}) but with the opposite sign to the spec's ${expected.get(best.feature)}` };
  else if ((best.effective_n ?? 0) >= cfg.min_effective_n_to_reject) primary = { name: 'significance', status: 'fail', numbers: sigNumbers, reason: `no cell significant after BH (best p_bh ${fmt(best.p_bh)}) with effective N ${fmt(best.effective_n, 0)}` };
  else primary = { name: 'significance', status: 'inconclusive', numbers: sigNumbers, reason: `not significant, and effective N ${fmt(best.effective_n, 0)} < ${cfg.min_effective_n_to_reject}: too little data to reject` };
  if (spec.modulation) {
    checks.push({ ...primary, status: 'info', reason: `(the feature's own IC, for reference) ${primary.reason}` });
    const m = spec.modulation;
    let top: { z: number; feature: string; horizon: string; lo: number | null; hi: number | null; n: number | null } | null = null;
    let tested = 0;
    for (const f of used.map((u) => ({ name: u.judged }))) {
      for (const h of spec.horizons) {
        const lo = mine.find((c) => c.feature === f.name && c.horizon === h && c.regime_dim === m.dimension && c.regime_cell === m.low);
        const hi = mine.find((c) => c.feature === f.name && c.horizon === h && c.regime_dim === m.dimension && c.regime_cell === m.high);
        if (!lo || !hi || lo.se_nw === null || hi.se_nw === null || lo.ic === null || hi.ic === null) continue;
        tested++;
        const z = (Math.abs(hi.ic) - Math.abs(lo.ic)) / Math.sqrt(lo.se_nw ** 2 + hi.se_nw ** 2);
        // the smaller effective N of the two cells: what the difference's test can resolve
        const n = lo.effective_n === null || hi.effective_n === null ? null : Math.min(lo.effective_n, hi.effective_n);
        if (!top || Math.abs(z) > Math.abs(top.z)) top = { z, feature: f.name, horizon: h, lo: lo.ic, hi: hi.ic, n };
      }
    }
    const p = top ? twoSidedP(top.z) : null;
    const pAdj = p === null ? null : Math.min(1, p * tested);
    const numbers = { dimension: m.dimension, feature: top?.feature ?? null, horizon: top?.horizon ?? null, ic_low: top?.lo ?? null, ic_high: top?.hi ?? null, z: top?.z ?? null, p_bonferroni: pAdj, pairs_tested: tested, effective_n: top?.n ?? null };
    if (!top) primary = { name: 'modulation', status: 'inconclusive', numbers, reason: `no pair of sufficient ${m.dimension} cells` };
    else if (pAdj !== null && pAdj <= alpha) primary = { name: 'modulation', status: 'pass', numbers, reason: `|IC| differs between ${m.dimension} ${m.high} and ${m.low}: z ${fmt(top.z, 2)}, Bonferroni p ${fmt(pAdj)}` };
    // as the significance check: no difference on too little data is not evidence of none
    else if ((top.n ?? 0) < cfg.min_effective_n_to_reject) primary = { name: 'modulation', status: 'inconclusive', numbers, reason: `no significant difference of |IC| between ${m.dimension} cells (best z ${fmt(top.z, 2)}, Bonferroni p ${fmt(pAdj)}), and effective N ${fmt(top.n, 0)} < ${cfg.min_effective_n_to_reject} in a cell: too little data to reject` };
    else primary = { name: 'modulation', status: 'fail', numbers, reason: `no significant difference of |IC| between ${m.dimension} cells (best z ${fmt(top.z, 2)}, Bonferroni p ${fmt(pAdj)})` };
  }
  if (spec.event_study) {
    checks.push({ ...primary, status: 'info', reason: `(the IC of the settlement features, for reference) ${primary.reason}` });
    primary = eventStudyCheck(study, alpha, cfg.min_events_to_reject);
  }
  checks.push(primary);
  const d = sgn(best.ic);
  if (spec.acceptance.stable_across_regimes) {
    const dims = spec.regimes.map((dim) => {
      const rc = mine.filter((c) => c.feature === best.feature && c.horizon === best.horizon && c.regime_dim === dim && c.status === 'ok');
      const agree = rc.filter((c) => sgn(c.ic) === d).length;
      return { dim, ok: rc.length, share: rc.length ? agree / rc.length : null };
    });
    const numbers = Object.fromEntries(dims.flatMap((x) => [[`${x.dim}_cells`, x.ok], [`${x.dim}_same_sign_share`, x.share]]));
    if (dims.some((x) => x.ok < 2)) checks.push({ name: 'regime_stability', status: 'inconclusive', numbers, reason: 'fewer than 2 sufficient cells in a regime dimension' });
    else if (dims.every((x) => (x.share ?? 0) >= cfg.min_regime_agreement)) checks.push({ name: 'regime_stability', status: 'pass', numbers, reason: `same sign in >= ${cfg.min_regime_agreement} of the cells of every dimension` });
    else checks.push({ name: 'regime_stability', status: 'fail', numbers, reason: 'the sign changes across the cells of a regime dimension' });
  }
  // A modulation hypothesis is about the difference between cells: its feature's unconditional cell
  // need carry no effect, so the checks of that cell (incrementality, rare stress, sign stability)
  // are information only there, as its significance is.
  const reference = (c: Check): Check => (spec.modulation ? { ...c, status: 'info', reason: `(the feature's unconditional cell, for reference: ${c.status}) ${c.reason}` } : c);
  if (spec.acceptance.incremental || spec.failure.no_incrementality) {
    const numbers = { partial_ic: best.partial_ic, partial_t_nw: best.partial_t_nw, partial_p: best.partial_p, r2_lift: best.r2_lift, ic: best.ic };
    let c: Check;
    if (best.partial_ic === null) c = { name: 'incrementality', status: 'inconclusive', numbers, reason: 'no partial IC (baseline features missing or too few rows per fold)' };
    else if (sgn(best.partial_ic) === d && best.partial_p !== null && best.partial_p <= alpha) c = { name: 'incrementality', status: 'pass', numbers, reason: `partial IC ${fmt(best.partial_ic)} after the baseline stack, p ${fmt(best.partial_p)}` };
    else c = { name: 'incrementality', status: 'fail', numbers, reason: `no incrementality: partial IC ${fmt(best.partial_ic)}, p ${fmt(best.partial_p)}` };
    checks.push(reference(c));
  }
  if (spec.failure.rare_stress) {
    const numbers = { ic: best.ic, ic_ex_stress: best.ic_ex_stress, p_ex_stress: best.p_ex_stress, dropped_share: cfg.stress_drop_share, stress_feature: cfg.stress_feature };
    let c: Check;
    if (best.ic_ex_stress === null) c = { name: 'rare_stress', status: 'inconclusive', numbers, reason: 'no IC without the stress periods' };
    // an effect that is not significant with the stress periods has nothing for them to carry
    else if (best.p_value === null || best.p_value > alpha) c = { name: 'rare_stress', status: 'inconclusive', numbers: { ...numbers, p_value: best.p_value }, reason: `the effect is not significant with the stress periods either (p ${fmt(best.p_value)} > ${alpha}): nothing to remove` };
    else if (sgn(best.ic_ex_stress) === d && best.p_ex_stress !== null && best.p_ex_stress <= alpha) c = { name: 'rare_stress', status: 'pass', numbers, reason: `holds without the top ${cfg.stress_drop_share * 100}% stress decisions` };
    else c = { name: 'rare_stress', status: 'fail', numbers, reason: `depends on rare stress: without the top ${cfg.stress_drop_share * 100}% stress decisions IC ${fmt(best.ic_ex_stress)}, p ${fmt(best.p_ex_stress)}` };
    checks.push(reference(c));
  }
  if (spec.failure.sign_instability) {
    const numbers = { sign_stability: best.sign_stability, pairs: best.sign_pairs, periods: best.ic_periods, period: cfg.ic_period, min: cfg.min_sign_stability };
    let c: Check;
    if (best.sign_pairs < cfg.min_sign_pairs) c = { name: 'sign_stability', status: 'inconclusive', numbers, reason: `only ${best.sign_pairs} adjacent ${cfg.ic_period} pairs (need ${cfg.min_sign_pairs})` };
    else if ((best.sign_stability ?? 0) >= cfg.min_sign_stability) c = { name: 'sign_stability', status: 'pass', numbers, reason: `same sign in ${fmt(best.sign_stability, 2)} of adjacent ${cfg.ic_period}s` };
    else c = { name: 'sign_stability', status: 'fail', numbers, reason: `sign instability: same sign in only ${fmt(best.sign_stability, 2)} of adjacent ${cfg.ic_period}s` };
    checks.push(reference(c));
  }
  if (spec.requires_second_venue) {
    const others = venues?.others ?? [];
    if (others.length === 0) {
      checks.push({ name: 'venue_robustness', status: 'inconclusive', numbers: { venues: 1 }, reason: 'inconclusive: no second venue (the same test on a second venue is required for lead-lag claims)' });
    } else if (venues?.tested?.length) {
      checks.push(venuesCheck(venues.tested, best, d, alpha, cfg));
    } else {
      checks.push({
        name: 'venue_robustness',
        status: 'inconclusive',
        numbers: { venues: 1 + others.length, other_venues: others.join(',') },
        // perpkit research tests every venue it lists; a run recorded without the venues' cells gets here
        reason: `inconclusive: the data dir has ${venues!.timeframe} features of ${others.join(', ')} besides ${venues!.venue}, but no other venue's cells were judged; "perpkit research --hypothesis ${spec.id}" tests every other venue over the split's intervals`,
      });
    }
  }
  const cost = cfg.round_trip_cost ?? roundTripCost;
  const edge = best.spread === null ? null : Math.abs(best.spread) / 2;
  checks.push({
    name: 'tradability_screen',
    status: 'info',
    numbers: { gross_edge_per_trade: edge, round_trip_cost: cost, edge_over_cost: edge !== null && cost ? edge / cost : null },
    reason: 'gross edge per trade = half the top-minus-bottom bucket spread, against the round-trip cost; net tradability is judged by the backtest',
  });
  if (primary.status !== 'pass') return verdict(primary.status === 'fail' ? 'fail' : 'inconclusive');
  const rest = checks.filter((c) => c !== primary && c.status !== 'info');
  if (rest.some((c) => c.status === 'fail')) return verdict('fail');
  if (rest.some((c) => c.status === 'inconclusive')) return verdict('inconclusive');
  return verdict('pass');
}

/**
 * The check over every other venue tested: each venue's own check (venueCheck); with one venue,
 * that check. With several: fail when any fails (the effect is absent or reversed where there is
 * enough data to tell), pass when at least one replicates and none fails (proposal 000 asks for at
 * least one replication; a venue without the data says nothing), inconclusive otherwise. "At least
 * one of K" (replicates, or contradicts) is a search over venues: a venue's significance is judged
 * at alpha / K (Bonferroni), K the venues with a p-value for the cell; "does not replicate" still
 * needs p > alpha, so the adjustment never makes a fail easier.
 */
function venuesCheck(tested: NonNullable<VenueContext['tested']>, best: CellResult, d: number, alpha: number, cfg: ResearchConfig): Check {
  const withData = tested.filter((v) => venueCell(v, best) !== null).length;
  const alphaV = alpha / Math.max(1, withData);
  const each = tested.map((v) => venueCheck(v, best, d, alpha, cfg, alphaV));
  if (each.length === 1) return each[0]!;
  const numbers: Check['numbers'] = { venues: tested.map((v) => v.venue).join(','), venues_with_data: withData, alpha, alpha_per_venue: alphaV, feature: best.feature, horizon: best.horizon, ic_run: best.ic };
  tested.forEach((v, k) => {
    const c = each[k]!;
    numbers[`${v.venue}.status`] = c.status;
    for (const key of ['ic', 't_nw', 'p_value', 'effective_n'] as const) numbers[`${v.venue}.${key}`] = c.numbers[key] ?? null;
    if ('folds' in c.numbers) numbers[`${v.venue}.folds`] = c.numbers['folds']!;
  });
  const by = (s: CheckStatus): string[] => tested.filter((_, k) => each[k]!.status === s).map((v) => v.venue);
  const failed = by('fail');
  const passed = by('pass');
  numbers['replicated'] = passed.join(',');
  numbers['failed'] = failed.join(',');
  // every venue's reason, those of the deciding status first
  const reasons = (s: CheckStatus): string => [...each.filter((c) => c.status === s), ...each.filter((c) => c.status !== s)].map((c) => c.reason).join('; ');
  if (failed.length) return { name: 'venue_robustness', status: 'fail', numbers, reason: `${failed.length} of ${tested.length} other venues contradict: ${reasons('fail')}` };
  if (passed.length) return { name: 'venue_robustness', status: 'pass', numbers, reason: `${passed.length} of ${tested.length} other venues replicate: ${reasons('pass')}` };
  return { name: 'venue_robustness', status: 'inconclusive', numbers, reason: `no other venue replicates or contradicts: ${reasons('inconclusive')}` };
}

/** A venue's pooled cell of the run's best (feature, horizon) when it has a p (the venue could replicate); else null. */
function venueCell(v: NonNullable<VenueContext['tested']>[number], best: CellResult): VenueCell | null {
  if (v.error) return null;
  const c = v.cells.find((x) => x.feature === best.feature && x.horizon === best.horizon && x.regime_dim === 'all');
  return c && c.status === 'ok' && c.ic !== null && c.p_value !== null ? c : null;
}

/**
 * The run's best cell against the same (feature, horizon) pooled cell on another venue: its own
 * Newey-West p, judged at alphaSig (alpha / K over K venues: venuesCheck). Pass: the same sign,
 * p <= alphaSig. Fail: the opposite sign with p <= alphaSig, or p > alpha with enough data to
 * reject. Inconclusive: no data there, too little, or p between alphaSig and alpha.
 */
function venueCheck(second: NonNullable<VenueContext['tested']>[number], best: CellResult, d: number, alpha: number, cfg: ResearchConfig, alphaSig = alpha): Check {
  const c = venueCell(second, best);
  const numbers = {
    venue: second.venue,
    feature: best.feature,
    horizon: best.horizon,
    ic_run: best.ic,
    ic: c?.ic ?? null,
    t_nw: c?.t_nw ?? null,
    p_value: c?.p_value ?? null,
    effective_n: c?.effective_n ?? null,
    alpha: alphaSig,
    // folds-test: the folds the venue has data for (the venue's cell is over those)
    ...(second.folds ? { folds: second.folds.join(',') } : {}),
  };
  const on = `${second.venue}${second.folds ? ` (folds ${second.folds.join(',')})` : ''}`;
  if (second.error) return { name: 'venue_robustness', status: 'inconclusive', numbers, reason: `inconclusive: ${second.venue} could not be tested: ${second.error}` };
  if (!c || c.ic === null || c.p_value === null) return { name: 'venue_robustness', status: 'inconclusive', numbers, reason: `inconclusive: too few observations for ${best.feature} ${best.horizon} on ${on}` };
  const same = sgn(c.ic) === d;
  if (c.p_value <= alphaSig && same) return { name: 'venue_robustness', status: 'pass', numbers, reason: `replicates on ${on}: IC ${fmt(c.ic)} (run ${fmt(best.ic)}), NW t ${fmt(c.t_nw, 2)}, p ${fmt(c.p_value)} <= ${alphaSig}` };
  if (c.p_value <= alphaSig && !same) return { name: 'venue_robustness', status: 'fail', numbers, reason: `the opposite sign on ${second.venue}: IC ${fmt(c.ic)} against ${fmt(best.ic)} in the run, p ${fmt(c.p_value)}` };
  if (c.p_value > alpha && (c.effective_n ?? 0) >= cfg.min_effective_n_to_reject) {
    return { name: 'venue_robustness', status: 'fail', numbers, reason: `does not replicate on ${second.venue}: IC ${fmt(c.ic)}, p ${fmt(c.p_value)} > ${alpha} with effective N ${fmt(c.effective_n, 0)}` };
  }
  if (c.p_value <= alpha) {
    return { name: 'venue_robustness', status: 'inconclusive', numbers, reason: `inconclusive: p ${fmt(c.p_value)} on ${second.venue} (IC ${fmt(c.ic)}) is between ${fmt(alphaSig)} (alpha over the venues tested) and ${alpha}: neither a replication nor a clear absence` };
  }
  return { name: 'venue_robustness', status: 'inconclusive', numbers, reason: `inconclusive: not significant on ${second.venue} (p ${fmt(c.p_value)}) and effective N ${fmt(c.effective_n, 0)} < ${cfg.min_effective_n_to_reject}` };
}

/**
 * H6 by the event study: perp-minus-spot before and after settlements, by the sign of the rate
 * (4 tests, Bonferroni); passes when one is significant and the same measure at placebo times is
 * not.
 */
function eventStudyCheck(study: SettlementStudy | null, alpha: number, minEvents: number): Check {
  if (!study) return { name: 'event_study', status: 'inconclusive', numbers: {}, reason: 'no settlement event study (no funding or bars in the segment)' };
  const tests = study.rows.filter((r) => r.kind === 'settlement' && r.rate_sign !== 'all' && (r.measure === 'pre_rel' || r.measure === 'post_rel'));
  const m = tests.length;
  const best = [...tests].sort((a, b) => (a.p_value ?? 1) - (b.p_value ?? 1))[0];
  if (!best || best.p_value === null) return { name: 'event_study', status: 'inconclusive', numbers: { settlements: study.settlements }, reason: 'too few settlement events' };
  const placebo = study.rows.find((r) => r.kind === 'placebo' && r.rate_sign === best.rate_sign && r.measure === best.measure);
  const pAdj = Math.min(1, best.p_value * m);
  const numbers = {
    measure: best.measure,
    rate_sign: best.rate_sign,
    mean: best.mean,
    t: best.t,
    p_bonferroni: pAdj,
    events: best.events,
    placebo_mean: placebo?.mean ?? null,
    placebo_t: placebo?.t ?? null,
    placebo_p: placebo?.p_value ?? null,
  };
  // the best-powered of the tested rows (the smallest p can sit on a thin row under the null)
  const most = Math.max(...tests.map((r) => r.events));
  if (pAdj > alpha && most < minEvents) {
    return { name: 'event_study', status: 'inconclusive', numbers: { ...numbers, most_events: most }, reason: `no significant perp-minus-spot move around settlements (best Bonferroni p ${fmt(pAdj)}), on at most ${most} events per rate sign < ${minEvents}: too few to reject` };
  }
  if (pAdj > alpha) return { name: 'event_study', status: 'fail', numbers, reason: `no significant perp-minus-spot move around settlements (best Bonferroni p ${fmt(pAdj)})` };
  if (placebo && placebo.p_value !== null && placebo.p_value <= alpha) return { name: 'event_study', status: 'fail', numbers, reason: 'the same move shows at placebo times: not a settlement effect' };
  return { name: 'event_study', status: 'pass', numbers, reason: `${best.measure} with ${best.rate_sign} rates: ${fmt((best.mean ?? 0) * 1e4, 2)} bp, t ${fmt(best.t, 2)}, Bonferroni p ${fmt(pAdj)}; placebo t ${fmt(placebo?.t ?? null, 2)}` };
}
