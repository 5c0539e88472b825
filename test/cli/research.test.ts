import { beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { researchSpec } from '../../src/domain/research.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { ledgerRows } from '../../src/store/ledger.js';
import { allParquetFiles } from '../../src/store/integrity.js';
import { buildWithCli, ROOT, runCli, runCliMany, testContext } from '../helpers.js';

/**
 * The bundled real sample with 1h features and labels from 2026-02-01 (the perp/spot window is
 * 2026-03-14 on) and a holdout split; the steps run in one process (buildWithCli, which throws if
 * one does not exit 0).
 */
async function sampleWithSplit(dir: string): Promise<string> {
  cpSync(join(ROOT, 'data', 'sample'), dir, { recursive: true });
  await buildWithCli([
    ['features', '--from', '2026-02-01'],
    ['features', '--labels', '--from', '2026-02-01', '--horizons', '1h,4h'],
    ['split', '--name', 'demo', '--buffer', '1d'],
    ['split', '--name', 'wf', '--scheme', 'walk-forward', '--train-window', '20d', '--test-window', '10d', '--step', '10d'],
    ['split', '--name', 'kf', '--scheme', 'purged-kfold', '--groups', '4'],
  ].map((args) => [...args, '--data-dir', dir, '--quiet']));
  return dir;
}

// The machine is shared: CLI runs get generous time (each step is a separate test).
const SLOW = { timeout: 300_000 };

describe('perpkit research (CLI, real sample)', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await sampleWithSplit(mkdtempSync(join(tmpdir(), 'perpkit-research-cli-')));
    return () => rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  it('prints the verdict table, writes the research dataset and the ledger (the run and one trial per cell tested); --json; --no-write leaves no trial', async () => {
    const ctx = await testContext();
    const table = (await runCli(['research', '--split', 'demo', '--data-dir', dir]));
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^hypothesis\s+verdict\s+target\s+best/m);
    expect(table.stdout).toMatch(/^H2\s+\S+\s+relative\s+/m);
    for (const id of ['H1', 'H2', 'H3', 'H4', 'H5', 'H6']) expect(table.stdout).toMatch(new RegExp(`^${id}\\s+(pass|fail|inconclusive)`, 'm'));
    expect(table.stderr).toMatch(/run [0-9a-f]{16}: split demo validation/);
    expect(table.stderr).toMatch(/significant after BH at FDR 0\.05/);

    const json = (await runCli(['research', '--split', 'demo', '--hypothesis', 'H1', '--horizons', '4h', '--regimes', 'vol', '--data-dir', dir, '--json', '--no-write']));
    expect(json.code, json.stderr).toBe(0);
    const r = JSON.parse(json.stdout);
    expect(r.hypotheses).toHaveLength(1);
    expect(r.horizons).toEqual(['4h']);
    // 3 features x 1 horizon x (all + 3 vol cells)
    expect(r.cells_total).toBe(12);
    for (const c of r.cells) {
      if (c.status === 'insufficient') expect(c.ic).toBeNull();
      else expect(c.n).toBeGreaterThanOrEqual(r.config.min_obs_per_cell);
    }
    expect(r.cells_tested).toBe(r.cells.filter((c: { p_value: number | null }) => c.p_value !== null).length);

    const files = await datasetFiles(dir, researchSpec());
    const research = Number(await ctx.db.scalar(`SELECT count(*) FROM ${SCAN_SQL}`, { files: listOf(files) }));
    expect(research).toBeGreaterThan(100);
    const tested = Number(await ctx.db.scalar(`SELECT count(*) FROM ${SCAN_SQL} WHERE p_value IS NOT NULL`, { files: listOf(files) }));
    // the run's row and one trial per tested cell; the --no-write run left none
    expect(await ledgerRows(ctx, dir)).toHaveLength(1 + tested);
    // the terminal table ends with a newline; perpkit sql has a research view over the same rows
    expect(table.stdout.endsWith('\n')).toBe(true);
    const sql = await runCli(['sql', 'SELECT count(*) AS n, count(p_value) AS tested FROM research', '--format', 'csv', '--data-dir', dir]);
    expect(sql.code, sql.stderr).toBe(0);
    expect(sql.stdout.trim().split('\n')[1]).toBe(`${research},${tested}`);
  }, SLOW);

  it('reads the sealed test segment only with --unseal REASON, recorded in the ledger; bad input exits 2 or 4 and records nothing', async () => {
    const ctx = await testContext();

    const sealed = (await runCli(['research', '--split', 'demo', '--segment', 'test', '--data-dir', dir, '--json']));
    expect(sealed.code).toBe(2);
    expect(JSON.parse(sealed.stdout).error.message).toContain('sealed');
    const unsealed = (await runCli(['research', '--split', 'demo', '--segment', 'test', '--unseal', 'final check of H1', '--hypothesis', 'H1', '--data-dir', dir]));
    expect(unsealed.code, unsealed.stderr).toBe(0);

    const cases: Array<[string[], number, RegExp]> = [
      [['--split', 'nope'], 4, /no split nope/],
      [['--split', 'demo', '--hypothesis', 'H9'], 2, /not one of H1/],
      [['--split', 'demo', '--features', 'basis', '--family', 'perp_spot'], 2, /one of --features, --family, --hypothesis/],
      [['--split', 'demo', '--regimes', 'moon'], 2, /unknown regime dimension/],
      [['--split', 'demo', '--horizons', '15m'], 4, /no labels for horizon\(s\) 15m/],
      [['--split', 'demo', '--unseal', 'why'], 2, /--unseal is only for --segment test/],
      [['--split', 'demo', '--features', 'no_such'], 2, /unknown feature/],
      [['--split', 'wf'], 2, /split wf is walk-forward: evaluate one of its folds, or every fold's test side$/],
      [['--split', 'wf', '--segment', 'fold-99-test'], 2, /split wf is walk-forward: evaluate one of its folds, or every fold's test side; it has no fold 99/],
      [['--split', 'wf', '--segment', 'validation'], 2, /split wf is walk-forward: evaluate one of its folds, or every fold's test side$/],
      [['--split', 'demo', '--segment', 'folds-test'], 2, /split demo is a holdout split: it has no folds$/],
      [['--split', 'kf', '--segment', 'folds-test'], 2, /split kf is purged-kfold; research evaluates holdout segments or walk-forward folds/],
      [['--split', 'wf', '--segment', 'folds'], 2, /bad segment "folds"/],
      [['--split', 'demo', '--segment', 'fold-0-test'], 2, /split demo is a holdout split: it has no fold 0/],
      [['--split', 'demo', '--segment', 'middle'], 2, /bad segment "middle"/],
      [['--split', 'kf', '--segment', 'fold-0-test'], 2, /split kf is purged-kfold; research evaluates holdout segments or walk-forward folds/],
      [['--split', 'demo', '--workers', '0'], 2, /--workers must be an integer in \[1, 64\], got "0"/],
      [['--split', 'demo', '--workers', 'two'], 2, /--workers must be an integer/],
      [['--split', 'demo', '--horizons', 'abc'], 2, /bad horizon\(s\) abc: a horizon is a number and a unit/],
      [['--split', 'demo', '--segment', 'test', '--unseal', ' '], 2, /--unseal needs a reason/],
      // a typo in the sealed run's horizons is refused before the read: no look is recorded
      [['--split', 'demo', '--segment', 'test', '--unseal', 'typo run', '--horizons', '2h'], 4, /no labels for horizon\(s\) 2h in split demo \(it has 1h, 4h\)/],
      [['--split', 'demo', '--config', join(dir, 'typo.yaml')], 2, /bad research config: Unrecognized key: "fdr_level"/],
      [['--split', 'demo', '--config', join(dir, 'nested.yaml')], 2, /bad research config: viability: Unrecognized key: "ic_ir_min"/],
      [['--split', 'torn'], 3, /split torn: .*torn\.json is not valid JSON/],
      [['--split', 'hollow'], 3, /split hollow: .*hollow\.json is not a split file \(name: /],
      [['--split', 'demo', '--features', 'basis', '--target', 'spot'], 2, /unknown target\(s\) spot; targets: perp, relative/],
      [['--split', 'demo', '--hypothesis', 'H2', '--target', 'perp'], 2, /--target is for --features and --family runs: each hypothesis spec names its own target/],
    ];
    writeFileSync(join(dir, 'typo.yaml'), 'fdr_level: 0.2\nmin_obs_per_cell: 10\n');
    writeFileSync(join(dir, 'nested.yaml'), 'viability:\n  ic_ir_min: 1\n');
    writeFileSync(join(dir, 'splits', 'torn.json'), '{bad');
    writeFileSync(join(dir, 'splits', 'hollow.json'), '{}');
    // (in one process: test/cli/fuzz-runner.mjs runs each through oclif as bin/run.js does)
    const ran = await runCliMany(cases.map(([args]) => ['research', ...args, '--data-dir', dir, '--json']));
    for (const [k, [args, code, msg]] of cases.entries()) {
      const x = ran[k]!;
      expect(x.code, `${args.join(' ')}: ${x.stdout}${x.stderr}`).toBe(code);
      expect(JSON.parse(x.stdout).error.message).toMatch(msg);
    }
    // the walk-forward split's error says what to do instead; a purged k-fold split's names a holdout split
    const wf = await runCli(['research', '--split', 'wf', '--data-dir', dir]);
    expect(wf.stderr).toMatch(/--segment fold-N-test with N in 0\.\.\d+, or --segment folds-test/);
    const kf = await runCli(['research', '--split', 'kf', '--segment', 'fold-0-test', '--data-dir', dir]);
    expect(kf.stderr).toContain('perpkit split --name kf-holdout --scheme holdout --timeframe 1h');
    for (const f of ['torn', 'hollow']) rmSync(join(dir, 'splits', `${f}.json`));
    // a family named after a kind of feature: the hint lists those features
    const fam = await runCli(['research', '--split', 'demo', '--family', 'basis', '--data-dir', dir, '--json']);
    expect(fam.code).toBe(2);
    expect(JSON.parse(fam.stdout).error.message).toMatch(/unknown family basis; families: price, /);
    expect(JSON.parse(fam.stdout).error.hint).toMatch(/--features basis,basis_mean_24,basis_z_168,basis_pctile_168,/);
    // trade flow on the sample (no trades): every cell insufficient, and the table says why it is empty
    const flow = await runCli(['research', '--split', 'demo', '--features', 'taker_imb_24', '--no-write', '--data-dir', dir]);
    expect(flow.code, flow.stderr).toBe(0);
    expect(flow.stdout).toMatch(/no cell has a Newey-West t: too few observations with both the feature and the label \(under min_obs_per_cell 200;/);
    // --target both: each feature on the perp and the relative label, the table says which
    const both = await runCli(['research', '--split', 'demo', '--features', 'basis', '--horizons', '1h', '--regimes', 'vol', '--target', 'both', '--no-write', '--data-dir', dir, '--json']);
    expect(both.code, both.stderr).toBe(0);
    const bj = JSON.parse(both.stdout) as { targets: Record<string, string[]>; cells: Array<{ target: string; regime_dim: string; ic: number | null }> };
    expect(bj.targets).toEqual({ perp: ['basis'], relative: ['basis'] });
    const pooled = bj.cells.filter((c) => c.regime_dim === 'all');
    expect(pooled.map((c) => c.target)).toEqual(['perp', 'relative']);
    expect(pooled[0]!.ic).not.toBe(pooled[1]!.ic);
    const bothTable = await runCli(['research', '--split', 'demo', '--features', 'basis', '--horizons', '1h', '--regimes', 'vol', '--target', 'both', '--no-write', '--data-dir', dir]);
    expect(bothTable.stdout).toMatch(/^feature\s+horizon\s+target\s+regime/m);
    expect(bothTable.stdout).toMatch(/^basis\s+1h\s+relative\s+/m);
    // the suggested fix of a missing horizon is a command that works
    const h = await runCli(['research', '--split', 'demo', '--horizons', '2h', '--data-dir', dir]);
    expect(h.stderr).toContain('pass --horizons 1h,4h');
    // one more trial (the unsealed run) and its one unsealing with the reason (its features and labels
    // reads are one look); failures record nothing
    const rows = await ledgerRows(ctx, dir);
    expect(rows.filter((x) => x.kind === 'evaluation' && !x.args.includes('"regime_cell"'))).toHaveLength(2);
    expect(rows.filter((x) => x.kind === 'unseal')).toHaveLength(1);
    expect(rows.find((x) => x.kind === 'unseal')!.args).toContain('final check of H1');
    expect(unsealed.stderr).not.toContain('repeated look');
  }, SLOW);

  it('evaluates one fold of a walk-forward split (its test rows, edges and thresholds from its training side), and every fold\'s test side; the dataset and ledger say which', async () => {
    const split = JSON.parse(readFileSync(join(dir, 'splits', 'wf.json'), 'utf8')) as { folds: Array<{ index: number; test: { rows: Record<string, number> } }> };
    const last = split.folds[split.folds.length - 1]!;
    const r = await runCli(['research', '--split', 'wf', '--segment', `fold-${last.index}-test`, '--hypothesis', 'H1', '--data-dir', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { segment: string; rows: number; run_id: string; cells_tested: number; hypotheses: Array<{ id: string; verdict: string }> };
    expect(out.segment).toBe(`fold-${last.index}-test`);
    expect(out.rows).toBe(Object.values(last.test.rows).reduce((a, b) => a + b, 0));
    expect(out.hypotheses.map((h) => h.id)).toEqual(['H1']);
    const ctx = await testContext();
    const files = await datasetFiles(dir, researchSpec(), {});
    const seg = await ctx.db.all(`SELECT DISTINCT segment, split_name FROM ${SCAN_SQL} WHERE run_id = $run`, { files: listOf(files), run: out.run_id });
    expect(seg).toEqual([{ segment: `fold-${last.index}-test`, split_name: 'wf' }]);
    const trials = (await ledgerRows(ctx, dir)).filter((x) => x.kind === 'evaluation' && x.args.includes(out.run_id));
    expect(trials.length).toBe(out.cells_tested);
    expect(trials.every((x) => x.segment === `fold-${last.index}-test`)).toBe(true);

    // every fold's test side in one run: their rows, the dataset and the ledger say folds-test
    const all = await runCli(['research', '--split', 'wf', '--segment', 'folds-test', '--features', 'roc_1,rv_24', '--horizons', '1h', '--data-dir', dir, '--json']);
    expect(all.code, all.stderr).toBe(0);
    const o2 = JSON.parse(all.stdout) as { segment: string; rows: number; run_id: string; cells_tested: number; cells: Array<{ regime_dim: string; status: string; ic_by_asset: Record<string, number | null> }> };
    expect(o2.segment).toBe('folds-test');
    expect(o2.rows).toBe(split.folds.reduce((s, f) => s + Object.values(f.test.rows).reduce((a, b) => a + b, 0), 0));
    expect(Object.keys(o2.cells.find((c) => c.regime_dim === 'all' && c.status === 'ok')!.ic_by_asset).sort()).toEqual(split.folds.flatMap((f) => Object.keys(f.test.rows).map((sym) => `${sym}@fold-${f.index}`)).sort());
    const seg2 = await ctx.db.all(`SELECT DISTINCT segment FROM ${SCAN_SQL} WHERE run_id = $run`, { files: listOf(await datasetFiles(dir, researchSpec(), {})), run: o2.run_id });
    expect(seg2).toEqual([{ segment: 'folds-test' }]);
    const trials2 = (await ledgerRows(ctx, dir)).filter((x) => x.kind === 'evaluation' && x.args.includes(o2.run_id));
    expect(trials2.length).toBe(o2.cells_tested);
    expect(trials2.every((x) => x.segment === 'folds-test')).toBe(true);
  }, SLOW);

  it('changed labels: exit 3 naming them and --allow-changed; --allow-changed reads and records it; a torn split file: exit 3, and split --replace rewrites it', async () => {
    const ctx = await testContext();
    const d2 = mkdtempSync(join(tmpdir(), 'perpkit-research-changed-'));
    try {
      cpSync(dir, d2, { recursive: true });
      const accessBefore = (await ledgerRows(ctx, d2)).filter((r) => r.kind === 'access').length;
      rmSync(allParquetFiles(join(d2, 'labels')).sort()[0]!);
      const bad = await runCli(['research', '--split', 'demo', '--hypothesis', 'H1', '--data-dir', d2, '--json']);
      expect(bad.code, bad.stderr).toBe(3);
      const err = JSON.parse(bad.stdout).error;
      expect(err.message).toMatch(/the data of split demo changed since it was written: labels/);
      expect(err.hint).toContain('pass --allow-changed');
      const ok = await runCli(['research', '--split', 'demo', '--hypothesis', 'H6', '--allow-changed', '--data-dir', d2]);
      expect(ok.code, ok.stderr).toBe(0);
      const runId = /run ([0-9a-f]{16}):/.exec(ok.stderr)![1]!;
      expect(ok.stderr).toContain('reading changed data (--allow-changed)');
      // one access row per segment the run read (its features, labels and training reads share one look): train+validation is two
      const access = (await ledgerRows(ctx, d2)).filter((r) => r.kind === 'access');
      expect(access.length).toBe(accessBefore + 2);
      expect(access.slice(accessBefore).map((r) => r.segment).sort()).toEqual(['train', 'validation']);
      // a torn split file
      writeFileSync(join(d2, 'splits', 'demo.json'), '{"name": "demo", ');
      const torn = await runCli(['research', '--split', 'demo', '--data-dir', d2]);
      expect(torn.code).toBe(3);
      expect(torn.stderr).toMatch(/split demo: .*demo\.json is not valid JSON/);
      expect(torn.stderr).toContain('perpkit split --name demo --replace');
      // the run's report still renders; only the settlement study (which needs the split) says why it is missing
      const out = join(d2, 'r.json');
      const rep = await runCli(['report', '--research', runId, '--format', 'json', '--out', out, '--data-dir', d2]);
      expect(rep.code, rep.stderr).toBe(0);
      const page = JSON.parse(readFileSync(out, 'utf8')) as { sections: Array<{ id: string; blocks: Array<{ type: string; text?: string }> }> };
      const note = page.sections.find((x) => x.id === 'settlement')!.blocks[0]!;
      expect(JSON.stringify(note)).toMatch(/split demo: .*demo\.json is not valid JSON.*: the event study cannot be recomputed/);
      const again = await runCli(['split', '--name', 'demo', '--buffer', '1d', '--data-dir', d2]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/split demo exists but .*demo\.json is not a split file \(not a JSON object\)/);
      const replaced = await runCli(['split', '--name', 'demo', '--buffer', '1d', '--replace', '--data-dir', d2, '--quiet']);
      expect(replaced.code, replaced.stderr).toBe(0);
      const rerun = await runCli(['research', '--split', 'demo', '--hypothesis', 'H1', '--no-write', '--data-dir', d2, '--quiet']);
      expect(rerun.code, rerun.stderr).toBe(0);
    } finally {
      rmSync(d2, { recursive: true, force: true });
    }
  }, SLOW);

  it('computes the same cells on worker threads (the built worker, --workers 2) as on one thread', async () => {
    const run = async (workers: string): Promise<unknown[]> => {
      const x = await runCli(['research', '--split', 'demo', '--hypothesis', 'H1,H2', '--workers', workers, '--no-write', '--data-dir', dir, '--json']);
      expect(x.code, x.stderr).toBe(0);
      return (JSON.parse(x.stdout) as { cells: unknown[] }).cells;
    };
    const one = await run('1');
    expect(one.length).toBeGreaterThan(50);
    expect(await run('2')).toEqual(one);
  }, SLOW);
});
