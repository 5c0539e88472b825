import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIsoMicros } from '../../src/domain/split.js';
import { buildWithCli, ROOT, runCli, type CliRun, tempDir, treeHash } from '../helpers.js';

/** runCli after a turn of the event loop (kept from when runCli blocked it). */
async function run(args: string[]): Promise<CliRun> {
  await new Promise((r) => setImmediate(r));
  return (await runCli(args));
}

/**
 * The bundled real sample with labels built by perpkit features, one data dir per label set the
 * tests use, built once (all four in one process: buildWithCli) and copied by each test, which
 * writes splits and ledger rows into its copy.
 */
const LABELS = {
  /** from 2025-06-01, 1h and 4h (the holdout and default-boundary tests) */
  jun25: ['--from', '2025-06-01', '--horizons', '1h,4h'],
  /** from 2025-01-01, 4h (walk-forward and CPCV) */
  jan25: ['--from', '2025-01-01', '--horizons', '4h'],
  /** from 2026-01-01, 1h (changed labels) */
  jan26: ['--from', '2026-01-01', '--horizons', '1h'],
  /** the whole sample, 1h (a CPCV split long enough to interrupt) */
  all: ['--horizons', '1h'],
} as const;
let templates = '';
beforeAll(async () => {
  templates = mkdtempSync(join(tmpdir(), 'perpkit-split-templates-'));
  for (const name of Object.keys(LABELS)) cpSync(join(ROOT, 'data', 'sample'), join(templates, name), { recursive: true });
  await buildWithCli(Object.entries(LABELS).map(([name, args]) => ['features', '--labels', '--data-dir', join(templates, name), ...args, '--quiet']));
}, 300_000);
afterAll(() => {
  if (templates) rmSync(templates, { recursive: true, force: true });
});

/** A fresh copy of the sample with the given labels (see LABELS). */
function withLabels(name: keyof typeof LABELS): string {
  const dir = tempDir();
  cpSync(join(templates, name), dir, { recursive: true });
  return dir;
}

describe('perpkit split (CLI, real sample)', () => {
  it('holdout with a sealed test: refused without --unseal-test, recorded in the ledger, repeated look reported', async () => {
    const dir = withLabels('jun25');
    const c = await run(['split', '--name', 'main', '--data-dir', dir, '--buffer', '2d', '--json']);
    expect(c.code, c.stderr).toBe(0);
    const split = JSON.parse(c.stdout).split as { segments: Array<{ name: string; intervals: string[][]; rows: Record<string, number>; sealed?: boolean }>; inputs: Record<string, { hash: string }> };
    expect(split.segments.map((s) => s.name)).toEqual(['train', 'validation', 'test']);
    expect(split.segments[2]?.sealed).toBe(true);
    expect(split.inputs['labels']?.hash).toMatch(/^rs2:[0-9a-f]{40}$/);
    expect(existsSync(join(dir, 'splits', 'main.json'))).toBe(true);
    // Same definition again: unchanged. Another definition: refused unless --replace.
    expect((await run(['split', '--name', 'main', '--data-dir', dir, '--buffer', '2d', '--quiet'])).code).toBe(0);
    const other = await run(['split', '--name', 'main', '--data-dir', dir, '--buffer', '3d']);
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('--replace');
    const show = await run(['split', '--show', 'main', '--data-dir', dir]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/train\s+2025-06-01/);
    expect(show.stdout).toContain('[sealed]');
    expect(show.stdout).toMatch(/buffer\s+\S+ -> \S+/);

    const sealed = await run(['split', '--read', 'main', '--segment', 'test', '--dataset', 'labels', '--data-dir', dir, '--json']);
    expect(sealed.code).toBe(2);
    expect(JSON.parse(sealed.stdout).error.message).toContain('sealed');
    const train = await run(['split', '--read', 'main', '--segment', 'train', '--dataset', 'labels', '--data-dir', dir]);
    expect(train.code).toBe(0);
    const trainRows = train.stdout.trim().split('\n').map((x) => JSON.parse(x) as { event_time: string });
    const total = Object.values(split.segments[0]?.rows ?? {}).reduce((a, b) => a + b, 0);
    expect(trainRows.length).toBe(total * 2); // two horizons per decision row
    const testStart = split.segments[2]?.intervals[0]?.[0] as string;
    expect(trainRows.every((r) => `${r.event_time.replace(' ', 'T')}Z` < testStart)).toBe(true);

    const first = await run(['split', '--read', 'main', '--segment', 'test', '--dataset', 'labels', '--unseal-test', '--data-dir', dir, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ repeated_look: false, previous_unsealings: [] });
    const second = await run(['split', '--read', 'main', '--segment', 'test', '--dataset', 'labels', '--unseal-test', '--data-dir', dir, '--json']);
    expect(JSON.parse(second.stdout)).toMatchObject({ repeated_look: true });
    expect(second.stderr).toContain('repeated look');
    const ledger = JSON.parse((await run(['datasets', '--datasets', 'ledger', '--data-dir', dir, '--json'])).stdout).datasets;
    expect(ledger[0].rows).toBe(2);
  });

  it('holdout and purged k-fold with the DEFAULT buffer and embargo: every boundary exact', async () => {
    const dir = withLabels('jun25');
    // Defaults, asserted exactly: the buffer is the longest label (4 h) plus the longest feature
    // lookback at 1h (1344 h: 168 funding prints x 8 h); the embargo is the lookback. One bar short
    // (1347 h) or the label alone (4 h) moves every boundary below.
    const d = await run(['split', '--name', 'defaults', '--data-dir', dir, '--json']);
    expect(d.code, d.stderr).toBe(0);
    const ds = JSON.parse(d.stdout).split;
    expect([ds.longest_label_hours, ds.longest_lookback_hours, ds.buffer_hours]).toEqual([4, 1344, 1348]);
    expect([ds.from, ds.to]).toEqual(['2025-06-01T00:00:05.000000Z', '2026-04-27T11:00:05.000001Z']);
    // train [from, from + 60% of the span), validation from 1348 h later to 80% of the span, test 1348 h after that
    const fromUs = Date.parse('2025-06-01T00:00:05Z') * 1000;
    const span = Date.parse('2026-04-27T11:00:05Z') * 1000 + 1 - fromUs;
    const t1 = fromUs + Math.round(span * 0.6);
    const t2 = fromUs + Math.round(span * 0.8);
    const buffer = 1348 * 3_600_000_000;
    expect(ds.segments.map((x: { intervals: string[][] }) => x.intervals)).toEqual([
      [['2025-06-01T00:00:05.000000Z', '2025-12-16T06:36:05.000001Z']],
      [['2026-02-10T10:36:05.000001Z', '2026-02-20T08:48:05.000001Z']],
      [['2026-04-17T12:48:05.000001Z', '2026-04-27T11:00:05.000001Z']],
    ]);
    expect([parseIsoMicros(ds.segments[0].intervals[0][1]), parseIsoMicros(ds.segments[1].intervals[0][0]), parseIsoMicros(ds.segments[2].intervals[0][0])]).toEqual([t1, t1 + buffer, t2 + buffer]);
    const k = await run(['split', '--name', 'kdefaults', '--scheme', 'purged-kfold', '--data-dir', dir, '--json']);
    expect(k.code, k.stderr).toBe(0);
    const ks = JSON.parse(k.stdout).split;
    expect(ks.params).toEqual({ groups: 5, test_groups: 1, embargo_hours: 1344 });
    // fold 0 tests [from, 2025-08-06 02:00:05); the latest label end in it is 2025-08-06 06:00:00 (read off
    // the sample's labels); training resumes 1 µs + 1344 h after that
    expect(ks.group_boundaries[1]).toBe('2025-08-06T02:00:05.000000Z');
    expect(ks.folds[0].embargoed).toEqual([['2025-08-06T02:00:05.000000Z', '2025-10-01T06:00:00.000001Z']]);
    expect(parseIsoMicros(ks.folds[0].embargoed[0][1])).toBe(Date.parse('2025-08-06T06:00:00Z') * 1000 + 1 + 1344 * 3_600_000_000);
  });

  it('walk-forward and CPCV files list every fold with purge and embargo', async () => {
    const dir = withLabels('jan25');
    const wf = await run(['split', '--name', 'wf', '--scheme', 'walk-forward', '--train-window', '90d', '--test-window', '30d', '--step', '30d', '--buffer', '1d', '--data-dir', dir, '--json']);
    expect(wf.code, wf.stderr).toBe(0);
    const folds = JSON.parse(wf.stdout).split.folds as Array<{ train: { intervals: string[][] }; test: { intervals: string[][] } }>;
    expect(folds.length).toBeGreaterThan(8);
    for (const f of folds) expect((f.train.intervals.at(-1) as string[])[1] as string <= ((f.test.intervals[0] as string[])[0] as string)).toBe(true);
    const cv = JSON.parse(readFileSync(join(dir, 'splits', 'wf.json'), 'utf8'));
    expect(cv.params).toMatchObject({ train_days: 90, test_days: 30, window: 'rolling' });
    const cp = await run(['split', '--name', 'cv', '--scheme', 'cpcv', '--groups', '6', '--test-groups', '2', '--embargo', '1d', '--data-dir', dir, '--json']);
    expect(cp.code, cp.stderr).toBe(0);
    const s = JSON.parse(cp.stdout).split;
    expect(s.folds).toHaveLength(15);
    expect(s.folds[0].embargoed.length).toBeGreaterThan(0);
    const rd = await run(['split', '--read', 'cv', '--segment', 'fold-3-test', '--dataset', 'labels', '--data-dir', dir]);
    expect(rd.code).toBe(0);
    expect(rd.stdout.trim().split('\n').length).toBeGreaterThan(100);
    expect((await run(['split', '--read', 'cv', '--segment', 'fold-99-test', '--data-dir', dir])).code).toBe(2);
    expect((await run(['split', '--show', 'nope', '--data-dir', dir])).code).toBe(4);
  });
});

describe('perpkit split refusals (CLI)', () => {
  it('CPCV with billions of folds: exit 2 at once with the count, nothing written', async () => {
    const dir = tempDir();
    const before = treeHash(dir);
    const t0 = Date.now();
    const r = await run(['split', '--name', 'big', '--scheme', 'cpcv', '--groups', '40', '--test-groups', '20', '--data-dir', dir]);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('C(40,20) = 137,846,528,820 folds; the limit is 1,000');
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(r.stdout).toBe('');
    expect(treeHash(dir)).toBe(before);
    const j = await run(['split', '--name', 'big', '--scheme', 'purged-kfold', '--groups', '1001', '--data-dir', dir, '--json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error).toMatchObject({ kind: 'usage', details: { folds: 1001, limit: 1000 } });
  });

  it('a read whose labels changed since the split: exit 3 unless --allow-changed; counts read back equal the recorded ones', async () => {
    const dir = withLabels('jan26');
    const c = await run(['split', '--name', 'h', '--buffer', '1d', '--data-dir', dir, '--json']);
    expect(c.code, c.stderr).toBe(0);
    const split = JSON.parse(c.stdout).split as { to: string; segments: Array<{ name: string; rows: Record<string, number> }> };
    expect(split.to).toMatch(/\.\d{6}Z$/);
    for (const seg of split.segments) {
      const r = await run(['split', '--read', 'h', '--segment', seg.name, '--dataset', 'labels', '--unseal-test', '--data-dir', dir]);
      expect(r.code, r.stderr).toBe(0);
      const recorded = Object.values(seg.rows).reduce((a, b) => a + b, 0);
      expect(r.stdout.trim().split('\n').length, seg.name).toBe(recorded); // one horizon: one row per decision
      expect(r.stderr).toContain(`(${recorded} decision rows)`);
    }
    // A month of labels gone (as after a rebuild over a shorter range): the split no longer describes them.
    rmSync(join(dir, 'labels', 'venue=binance-usdm', 'symbol=BTC-PERP', 'timeframe=1h', 'month=2026-01'), { recursive: true });
    const before = treeHash(dir);
    const bad = await run(['split', '--read', 'h', '--segment', 'train', '--dataset', 'labels', '--data-dir', dir]);
    expect(bad.code, bad.stderr).toBe(3);
    expect(bad.stderr).toContain('the data of split h changed since it was written: labels');
    expect(bad.stderr).toContain('--allow-changed');
    expect(bad.stdout).toBe('');
    expect(treeHash(dir)).toBe(before);
    const ok = await run(['split', '--read', 'h', '--segment', 'train', '--dataset', 'labels', '--allow-changed', '--data-dir', dir, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).changed_inputs[0].dataset).toBe('labels');
    const ledger = JSON.parse((await run(['datasets', '--datasets', 'ledger', '--data-dir', dir, '--json'])).stdout).datasets;
    expect(ledger[0].rows).toBe(2); // the unsealing of test above, and this access with the new hashes
  });

  it('SIGTERM during a long CPCV split: exit 130 promptly, no split written', async () => {
    const dir = withLabels('all');
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'split', '--name', 'cv', '--scheme', 'cpcv', '--groups', '12', '--test-groups', '6', '--embargo', '1h', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = 0;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('computing 924 fold(s)') && !sent) {
        setTimeout(() => {
          sent = Date.now();
          child.kill('SIGTERM');
        }, 1000);
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(sent).toBeGreaterThan(0);
    expect(code, stderr).toBe(130);
    expect(Date.now() - sent).toBeLessThan(4000);
    expect(stderr).toContain('SIGTERM');
    expect(existsSync(join(dir, 'splits', 'cv.json'))).toBe(false);
  });
});
