import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appendLedger } from '../../src/store/ledger.js';
import { backtestReport, figures } from '../../src/services/report/backtest.js';
import { renderHtml, sectionIds } from '../../src/services/report/html.js';
import { buildReport, writeReport } from '../../src/services/report/index.js';
import { researchReport } from '../../src/services/report/research.js';
import { ResearchConfigSchema } from '../../src/domain/research.js';
import { ReportSchema, type Report } from '../../src/services/report/schema.js';
import { isPerpkitError } from '../../src/domain/errors.js';
import { tempDir, testContext } from '../helpers.js';
import { syntheticBacktest, syntheticResearch, writeBacktestRun, writeOptimizeRun } from './fixtures.js';

const LEDGER0 = { evaluations: 0, trials: 0, research_cells: 0, unseals: 0, sharpes: [] };
const charts = (r: Report): string[] => r.sections.flatMap((s) => s.blocks.filter((b) => b.type === 'chart').map((b) => (b as { id: string }).id));
const tableOf = (r: Report, id: string) => r.sections.flatMap((s) => s.blocks).find((b) => b.type === 'table' && b.id === id) as { rows: unknown[][] } | undefined;

describe('perpkit report: backtest', () => {
  it('reads a run folder and the ledger; JSON validates; honesty numbers are the run\'s', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const d = syntheticBacktest();
    const other = syntheticBacktest(24 * 60, 3_600_000, 9, '20260102T000000Z-abcdef02');
    d.manifest.created_at = '2026-01-03T00:00:00.000Z';
    other.manifest.created_at = '2026-01-02T00:00:00.000Z';
    await writeBacktestRun(ctx, root, d);
    await writeBacktestRun(ctx, root, other);
    let t = Date.parse('2026-02-01T00:00:00Z');
    const lctx = { ...ctx, clock: { now: () => (t += 1000) } };
    for (const s of [1.2, 0.4, -0.3]) await appendLedger(lctx, root, { kind: 'evaluation', command: 'backtest', args: { s }, config: {}, data_hashes: {}, split_name: 'demo-1h', segment: 'validation', detail: { sharpe: s } });
    await appendLedger(lctx, root, { kind: 'evaluation', command: 'research', args: {}, config: {}, data_hashes: {}, split_name: 'demo-1h', detail: { trials: 40 } });
    await appendLedger(lctx, root, { kind: 'unseal', command: 'backtest', args: {}, config: {}, data_hashes: {}, split_name: 'demo-1h', segment: 'test' });
    await appendLedger(lctx, root, { kind: 'unseal', command: 'backtest', args: {}, config: {}, data_hashes: {}, split_name: 'other', segment: 'test' });
    const r = await buildReport({ root, run: d.run_id }, ctx);
    expect(ReportSchema.parse(r)).toEqual(r);
    expect(r.run_card.ledger).toEqual({ trials: 3, evaluations: 4, research_cells: 40, unseals: 1 });
    expect(r.honesty.sharpe.trials).toBe(3);
    const mean = (1.2 + 0.4 - 0.3) / 3;
    const v = ((1.2 - mean) ** 2 + (0.4 - mean) ** 2 + (-0.3 - mean) ** 2) / 2;
    expect(r.honesty.sharpe.trials_sharpe_variance).toBeCloseTo(v, 12);
    expect(r.honesty.sharpe.sharpe).toBe(d.metrics.sharpe);
    expect(r.metrics['sharpe']).toBe(d.metrics.sharpe);
    expect(r.metrics['traded_notional']).toBeCloseTo(d.fills.qty.reduce((a, q, i) => a + Math.abs(q * d.fills.price[i]!), 0), 6);
    const c = d.metrics.costs;
    expect(r.honesty.cost_stress?.break_even_cost_multiple).toBeCloseTo((d.metrics.pnl + c.fees + c.slippage) / (c.fees + c.slippage), 9);
    expect(r.honesty.funding_share).toBeCloseTo(c.funding / d.metrics.pnl, 12);
    expect(r.honesty.test_segment).toEqual({ used: false, times_opened: 1 });
    expect(r.honesty.warnings).toHaveLength(9);
    expect(r.honesty.expectations.map((e) => e.metric)).toEqual(['sharpe', 'max_drawdown', 'hit_rate', 'annual_return', 'trades_per_day']);
    expect(sectionIds(r)).toEqual(['honesty', 'run-card', 'backtest', 'monthly', 'rolling', 'exposure', 'costs', 'trades', 'regimes', 'controller', 'drawdowns']);
    expect(charts(r)).toEqual(['equity', 'underwater', 'monthly', 'rolling-sharpe', 'rolling-vol', 'exposure', 'costs', 'trade-pnl', 'holding', 'controller']);
    // monthly heatmap: one cell per calendar month; the returns chain to the total return
    const monthly = r.sections.find((s) => s.id === 'monthly')!.blocks[0] as { data: { cells: Array<[number, number, number]> } };
    const months = new Set(d.equity.time.map((t) => new Date(t).toISOString().slice(0, 7)));
    expect(monthly.data.cells).toHaveLength(months.size);
    const fig = figures(d);
    expect(fig.monthly.reduce((g, m) => g * (1 + m.ret), 1) - 1).toBeCloseTo(d.equity.equity.at(-1)! / 100_000 - 1, 10);
    // waterfall steps sum to the net P&L
    const wf = r.sections.find((s) => s.id === 'costs')!.blocks[0] as { data: { steps: Array<{ value: number }> } };
    expect(wf.data.steps.reduce((a, s) => a + s.value, 0)).toBeCloseTo(d.metrics.pnl, 2);
    // worst drawdowns: deepest first, the first is the run's max drawdown on the same bars
    const dd = tableOf(r, 'drawdowns')!.rows;
    expect(dd.length).toBe(5);
    expect(dd[0]![3]).toBe(`${(d.metrics.max_drawdown * 100).toFixed(2)}%`);
    // the three formats
    for (const format of ['json', 'html', 'md'] as const) {
      const out = join(root, 'out', `r.${format}`);
      const w = await writeReport({ root, run: d.run_id, format, out }, ctx);
      expect(w.path).toBe(out);
      expect(w.charts).toBe(10);
      const text = readFileSync(out, 'utf8');
      if (format === 'json') expect(ReportSchema.parse(JSON.parse(text)).run_card.run_id).toBe(d.run_id);
      if (format === 'html') {
        expect(text).not.toMatch(/(src|href)="(https?:)?\/\//);
        expect(text).not.toMatch(/@import|url\(http/);
        expect((text.match(/<svg /g) ?? []).length).toBe(10);
      }
      if (format === 'md') {
        const svgs = readdirSync(join(root, 'out')).filter((f) => f.startsWith('r-') && f.endsWith('.svg'));
        expect(svgs).toHaveLength(10);
        for (const s of svgs) expect(text).toContain(`](${s})`);
        expect(text).toContain('## Honesty panel');
      }
    }
    // default path; --compare; --latest
    const def = await writeReport({ root, run: d.run_id, format: 'json' }, ctx);
    expect(def.path).toBe(join(root, 'reports', `backtest-${d.run_id}.json`));
    const cmp = await buildReport({ root, run: d.run_id, compare: [other.run_id] }, ctx);
    expect(cmp.kind).toBe('compare');
    expect(cmp.compared?.map((x) => x.run_id)).toEqual([other.run_id]);
    expect(tableOf(cmp, 'compare-metrics')!.rows[5]).toEqual(['Sharpe', Number(d.metrics.sharpe!.toPrecision(6)), Number(other.metrics.sharpe!.toPrecision(6))]);
    const lat = await buildReport({ root, latest: true }, ctx);
    expect(lat.run_card.run_id).toBe(d.run_id);
  }, 120_000);

  it('bad input: a missing run is exit 4, a bad id or two targets exit 2, nothing written', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const code = async (p: Promise<unknown>): Promise<number> => p.then(() => 0, (e: unknown) => (isPerpkitError(e) ? e.exitCode : -1));
    expect(await code(buildReport({ root, run: '20260101T000000Z-nope' }, ctx))).toBe(4);
    expect(await code(buildReport({ root, run: '../etc' }, ctx))).toBe(2);
    expect(await code(buildReport({ root, run: 'a', research: 'b' }, ctx))).toBe(2);
    expect(await code(buildReport({ root }, ctx))).toBe(2);
    expect(await code(buildReport({ root, latest: true }, ctx))).toBe(4);
    expect(await code(buildReport({ root, research: 'zz' }, ctx))).toBe(2);
    expect(await code(buildReport({ root, optimize: 'x1' }, ctx))).toBe(4);
    expect(await code(writeReport({ root, run: 'x', format: 'json', interactive: true }, ctx))).toBe(2);
    expect(existsSync(join(root, 'reports'))).toBe(false);
    // a damaged run folder: exit 3 naming the file
    mkdirSync(join(root, 'runs', '20260101T000000Z-broken01'), { recursive: true });
    writeFileSync(join(root, 'runs', '20260101T000000Z-broken01', 'manifest.json'), '{"run_id": ');
    const err = await buildReport({ root, run: '20260101T000000Z-broken01' }, ctx).catch((e: unknown) => e);
    expect(isPerpkitError(err) && err.exitCode).toBe(3);
    expect((err as Error).message).toContain('manifest.json is not valid JSON');
  });

  it('a year of 1m results: HTML under 1 MB, numbers from the full series', () => {
    const n = 365 * 24 * 60;
    const d = syntheticBacktest(n, 60_000, 3);
    const r = backtestReport(d, LEDGER0, '2026-01-01T00:00:00.000Z', 'test');
    const eq = r.sections[0]!.blocks[1] as { data: { x: number[]; downsampled_from: number | null } };
    expect(eq.data.downsampled_from).toBe(n);
    expect(eq.data.x.length).toBeLessThan(4000);
    expect(r.honesty.sharpe.sharpe).toBe(d.metrics.sharpe);
    const html = renderHtml(r);
    expect(Buffer.byteLength(html)).toBeLessThan(1_000_000);
    const tools = renderHtml(r, { interactive: true });
    expect(tools).toContain('"dataZoom"');
    expect(Buffer.byteLength(tools)).toBeGreaterThan(Buffer.byteLength(html) + 900_000);
  }, 120_000);
});

describe('perpkit report: research and optimisation pages', () => {
  it('research: every section, the verdict table with each criterion, NW intervals around the IC', () => {
    const d = syntheticResearch();
    const r = ReportSchema.parse(researchReport(d, { ...LEDGER0, research_cells: 48 }, '2026-01-01T00:00:00.000Z', 'test'));
    expect(sectionIds(r)).toEqual(['honesty', 'run-card', 'ic-horizon', 'ic-regime', 'ic-asset', 'decay', 'buckets', 'sign-stability', 'incrementality', 'verdicts', 'settlement']);
    // IC by asset: each symbol's IC of the feature's most significant unconditional cell
    const byAsset = tableOf(r, 'ic-asset')!.rows;
    expect(byAsset.length).toBe(3);
    for (const row of byAsset) {
      const c = d.cells.find((x) => x.feature === row[0] && x.horizon === row[1] && x.regime_dim === 'all')!;
      expect(row.slice(3)).toEqual(['BTC-PERP', 'ETH-PERP', 'SOL-PERP'].map((s) => (c.ic_by_asset[s] === null ? null : Number(c.ic_by_asset[s]!.toPrecision(6)))));
    }
    const v = tableOf(r, 'verdicts')!.rows;
    expect(v.map((x) => x[0])).toEqual(['H1', 'H1', 'H1', 'H6', 'H6']);
    expect(v[1]![4]).toBe('significance: fail');
    const ic = r.sections[0]!.blocks.find((b) => b.type === 'chart' && b.id === 'ic-perp_spot') as { data: { series: Array<{ values: number[] }>; errors: Array<{ lo: number; hi: number }> } };
    const cell = d.cells.find((c) => c.feature === 'basis_z_168' && c.horizon === '1h' && c.regime_dim === 'all')!;
    expect(ic.data.series[0]!.values[0]).toBeCloseTo(cell.ic!, 12);
    expect(ic.data.errors[0]!.hi - ic.data.errors[0]!.lo).toBeCloseTo(2 * 1.96 * cell.se_nw!, 5);
    expect(r.honesty.sharpe.trials).toBe(48);
    expect(r.metrics).toMatchObject({ cells_total: d.cells.length, cells_tested: d.cells.filter((c) => c.p_value !== null).length, verdicts: { H1: 'fail', H6: 'inconclusive' } });
  });

  it('research: a relative-target cell is shown under its feature with "(relative)", beside the perp one; its family is the feature\'s', () => {
    const d = syntheticResearch();
    const perp = d.cells.find((c) => c.feature === 'basis_z_168' && c.horizon === '1h' && c.regime_dim === 'all')!;
    const rel = { ...perp, target: 'relative' as const, ic: -0.321, t_nw: -9.5 };
    const r = researchReport({ ...d, cells: [...d.cells, rel] }, LEDGER0, '2026-01-01T00:00:00.000Z', 'test');
    const rows = tableOf(r, 'cells')!.rows;
    expect(rows.find((x) => x[0] === 'basis_z_168 (relative)' && x[1] === '1h')?.[4]).toBe(-0.321);
    expect(rows.find((x) => x[0] === 'basis_z_168' && x[1] === '1h')?.[4]).toBe(perp.ic);
    const ic = r.sections[0]!.blocks.find((b) => b.type === 'chart' && b.id === 'ic-perp_spot') as { data: { categories: string[] } };
    expect(ic.data.categories).toContain('basis_z_168 (relative) 1h');
  });

  it('research: the viability rule with its numbers; significance counted at the run\'s own FDR and FWER', () => {
    const d = syntheticResearch();
    const r = researchReport(d, LEDGER0, '2026-01-01T00:00:00.000Z', 'test');
    const block = r.sections.flatMap((s) => s.blocks).find((b) => b.type === 'table' && b.id === 'viability') as { title: string; rows: unknown[][] };
    expect(block.title).toContain('|IC| > 0.02, IC IR > 0.5, IC trend > -0.001');
    expect(block.rows.length).toBe(3);
    for (const row of block.rows) {
      const c = d.cells.find((x) => x.feature === row[0] && x.horizon === row[1] && x.regime_dim === 'all')!;
      const vol = (cell: string) => {
        const x = d.cells.find((y) => y.feature === c.feature && y.horizon === c.horizon && y.regime_dim === 'vol' && y.regime_cell === cell)!;
        return x.status === 'ok' ? x.ic : null;
      };
      expect(row.slice(2)).toEqual([c.ic, c.ic_ir, c.ic_trend, c.ic_rolling_std, c.ic_periods, c.turnover, vol('low'), vol('high'), 'no']);
    }
    // the fixture's BH p is 0.5 and Holm p 0.9: none at the default 5%, all tested cells at FDR 50%
    expect(r.metrics).toMatchObject({ bh_significant: 0, holm_significant: 0 });
    const loose = researchReport({ ...d, config: ResearchConfigSchema.parse({ fdr: 0.5, fwer: 0.5 }) }, LEDGER0, '2026-01-01T00:00:00.000Z', 'test');
    const tested = d.cells.filter((c) => c.p_bh !== null).length;
    expect(loose.metrics).toMatchObject({ bh_significant: tested, holm_significant: 0 });
    expect(loose.honesty.notes[0]).toContain(`${tested} are significant after Benjamini-Hochberg (FDR 50%), 0 after Holm (family-wise 50%)`);
  });

  it('research: a recomputed verdict that differs from the recorded one says why (the specs changed, or perpkit\'s rules did)', () => {
    const d = { ...syntheticResearch(), recorded: { H1: 'pass', H6: 'inconclusive' }, config_recorded: true };
    const why = (x: typeof d) => JSON.stringify(researchReport(x, LEDGER0, '2026-01-01T00:00:00.000Z', 'test').sections.find((s) => s.id === 'verdicts'));
    expect(why({ ...d, specs_changed: [] })).toContain("The recomputed verdict of H1 differs from the one the run recorded: H1: perpkit's verdict rules changed since the run (same spec, the run's config)");
    expect(why({ ...d, specs_changed: ['H1'] })).toContain('The recomputed verdict of H1 differs from the one the run recorded: H1: the spec the run used is no longer shipped (no file in hypotheses/ or hypotheses/versions/ has its hash)');
    // another hypothesis' spec changing is not H1's cause
    expect(why({ ...d, specs_changed: ['H6'] })).toContain("H1: perpkit's verdict rules changed since the run");
    // H6 is recomputed from the split's bars and funding: a study that could not be made is its cause
    const h6 = { ...d, recorded: { H1: 'fail', H6: 'pass' }, specs_changed: [] };
    expect(why({ ...h6, settlement: null, settlement_note: 'split demo-1h no longer exists: the event study cannot be recomputed' })).toContain(
      'H6: its settlement study could not be recomputed (split demo-1h no longer exists: the event study cannot be recomputed)',
    );
    expect(why(h6)).toContain("H6: its settlement study is recomputed from the split's bars and funding as they are now");
  });

  it('research folds-test: IC by asset rolls each symbol up over its folds (mean IC, folds with the pooled sign)', () => {
    const d = { ...syntheticResearch(), segment: 'folds-test' };
    // one symbol with an IC in two of three folds, of opposite signs; another in one fold only
    d.cells = d.cells.map((c) => ({ ...c, ic_by_asset: { 'BTC-PERP@fold-1': 0.03, 'BTC-PERP@fold-2': -0.01, 'BTC-PERP@fold-3': null, 'ETH-PERP@fold-2': -0.02 } }));
    const r = researchReport(d, LEDGER0, '2026-01-01T00:00:00.000Z', 'test');
    const t = r.sections.find((s) => s.id === 'ic-asset')!;
    const rows = tableOf(r, 'ic-asset')!.rows;
    expect(rows.length).toBe(3);
    for (const row of rows) {
      const c = d.cells.find((x) => x.feature === row[0] && x.horizon === row[1] && x.regime_dim === 'all')!;
      const pos = c.ic! > 0;
      expect(row.slice(3)).toEqual([`0.01 (1/3 folds same sign)`, `-0.02 (${pos ? 0 : 1}/1 folds same sign)`]);
    }
    expect(JSON.stringify(t.blocks[0])).toContain('mean of its within-fold ICs');
    const heat = t.blocks[1] as { data: { x: string[]; cells: Array<[number, number, number | null]> } };
    expect(heat.data.x).toEqual(['BTC-PERP', 'ETH-PERP']);
    expect(heat.data.cells.slice(0, 2)).toEqual([[0, 0, 0.01], [1, 0, -0.02]]);
  });

  it('optimisation (contract fixture): the summary\'s PBO, DSR and signs reach the panel; every section', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeOptimizeRun(ctx, root, '20260105T000000Z-0ptim1ze');
    const r = await buildReport({ root, optimize: '20260105T000000Z-0ptim1ze' }, ctx);
    expect(sectionIds(r)).toEqual(['honesty', 'run-card', 'walk-forward', 'param-heatmap', 'stability', 'pbo', 'cost-stress']);
    expect(r.honesty.pbo).toEqual({ pbo: 0.35, blocks: 16 });
    expect(r.honesty.sharpe.dsr).toBe(0.2);
    expect(r.honesty.sharpe.trials).toBe(18);
    // every sign once: perpkit optimize's nine §10.3 signs land on the panel's nine (its own names
    // mapped), plus its PBO and DSR verdicts; its detail text wins
    const signs = r.honesty.warnings.map((x) => x.sign);
    expect(new Set(signs).size).toBe(signs.length);
    expect(signs).toHaveLength(11);
    expect(signs.slice(9)).toEqual(['pbo_above_0_5', 'dsr_not_significant']);
    expect(r.honesty.warnings.find((x) => x.sign === 'params_at_boundary')?.detail).toBe('2 of 3 windows on the edge');
    const w = Object.fromEntries(r.honesty.warnings.map((x) => [x.sign, x.fired]));
    expect(w['params_at_boundary']).toBe(true);
    expect(w['dsr_not_significant']).toBe(true);
    expect(w['pbo_above_0_5']).toBe(false);
    expect(w['params_unstable']).toBe(true);
    // mean IS Sharpe 1.5, mean OOS 0: degraded
    expect(w['oos_degradation']).toBe(true);
    expect(r.honesty.cost_stress?.break_even_cost_multiple).toBeCloseTo(12.3 / 14, 12);
    const heat = r.sections.find((s) => s.id === 'param-heatmap')!.blocks[0] as { data: { cells: Array<[number, number, number]> } };
    expect(heat.data.cells).toHaveLength(6);
    // cell (sma_fast 12, sma_slow 96), train: mean over windows of 2 (12/48 - 96/400) + 0.1 w
    expect(heat.data.cells[0]![2]).toBeCloseTo(2 * (12 / 48 - 96 / 400) + 0.1, 5);
    expect(charts(r)).toEqual(['is-oos', 'oos-equity', 'param-heatmap', 'pbo-logits', 'capacity']);
  });
});
