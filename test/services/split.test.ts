import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPerpkitError, PerpkitError } from '../../src/domain/errors.js';
import { totalRows } from '../../src/domain/split.js';
import { ledgerRows } from '../../src/store/ledger.js';
import { allParquetFiles } from '../../src/store/integrity.js';
import { createSplit, loadSplit, newLook, readSegment, type SegmentSelector, type SplitOptions } from '../../src/services/split.js';
import { ROOT, runCli, type CliRun, tempDir, testContext, treeHash } from '../helpers.js';

/** runCli after a turn of the event loop (kept from when runCli blocked it). */
async function run(args: string[]): Promise<CliRun> {
  await new Promise((r) => setImmediate(r));
  return (await runCli(args));
}

/**
 * Features and labels (1h, horizons 1h and 4h) of the bundled real sample from 2026-01-01, built
 * once with the CLI; each test works on its own copy.
 */
let template = '';
beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'perpkit-split-template-'));
  cpSync(join(ROOT, 'data', 'sample'), template, { recursive: true });
  for (const args of [
    ['features', '--from', '2026-01-01'],
    ['features', '--labels', '--from', '2026-01-01', '--horizons', '1h,4h'],
  ]) {
    const r = await run([...args, '--data-dir', template, '--quiet']);
    if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  }
});
afterAll(() => rmSync(template, { recursive: true, force: true }));

function copy(): string {
  const dir = tempDir();
  cpSync(template, dir, { recursive: true });
  return dir;
}

const base = (root: string, over: Partial<SplitOptions> = {}): SplitOptions => ({
  root,
  name: 'main',
  scheme: 'holdout',
  venue: 'binance-usdm',
  timeframe: '1h',
  ...over,
});

async function refusal(p: Promise<unknown>): Promise<PerpkitError> {
  try {
    await p;
  } catch (err) {
    if (isPerpkitError(err)) return err;
    throw err;
  }
  throw new Error('not refused');
}

const read = (root: string, name: string, selector: SegmentSelector, dataset: 'features' | 'labels' = 'labels', extra: Partial<Parameters<typeof readSegment>[0]> = {}) =>
  ({ root, name, selector, dataset, command: 'test', args: {}, ...extra });

describe('split service (real sample)', () => {
  it('round trip: every segment and fold reads back exactly the rows the split file records (µs boundaries)', async () => {
    const root = copy();
    const ctx = await testContext();
    const h = await createSplit(base(root, { holdout: { buffer_us: 86_400_000_000 } }), ctx);
    const stored = loadSplit(root, 'main');
    expect(stored.segments).toEqual(h.split.segments);
    for (const seg of stored.segments ?? []) {
      const r = await readSegment(read(root, 'main', { segment: seg.name as 'train' }, 'labels', { unseal_test: true }), ctx);
      expect(r.decision_rows, seg.name).toBe(totalRows(seg.rows));
      // Two horizons per decision, except the last hours of the sample, where the 4h label has no exit yet.
      if (seg.name === 'test') expect(r.rows).toBeGreaterThan(totalRows(seg.rows) * 2 - 4 * 3);
      else expect(r.rows, seg.name).toBe(totalRows(seg.rows) * 2);
      expect(r.changed_inputs).toEqual([]);
    }
    // Boundaries are stored with microseconds; the last one is the last decision + 1 µs.
    expect(h.split.to).toMatch(/\.\d{6}Z$/);
    expect(h.split.to.endsWith('001Z')).toBe(true);
    const cv = await createSplit(base(root, { name: 'cv', scheme: 'cpcv', cv: { groups: 5, test_groups: 2, embargo_us: 86_400_000_000 } }), ctx);
    expect(cv.split.folds).toHaveLength(10);
    for (const f of cv.split.folds ?? []) {
      for (const side of ['train', 'test'] as const) {
        const r = await readSegment(read(root, 'cv', { fold: f.index, side }), ctx);
        expect(r.decision_rows, `fold ${f.index} ${side}`).toBe(totalRows(f[side].rows));
      }
    }
  });

  it('two reads open at once (features and labels of one segment) do not collide', async () => {
    const root = copy();
    const ctx = await testContext();
    const h = await createSplit(base(root, { holdout: { buffer_us: 86_400_000_000 } }), ctx);
    const f = await readSegment(read(root, 'main', { segment: 'train' }, 'features'), ctx);
    const l = await readSegment(read(root, 'main', { segment: 'train' }, 'labels'), ctx);
    const l2 = await readSegment(read(root, 'main', { segment: 'validation' }, 'labels'), ctx);
    expect(new Set([f.table, l.table, l2.table]).size).toBe(3);
    const train = totalRows(h.split.segments?.[0]?.rows ?? {});
    expect(Number(await ctx.db.scalar(`SELECT count(*) FROM "${f.table}"`))).toBe(f.rows);
    expect(Number(await ctx.db.scalar(`SELECT count(*) FROM "${l.table}"`))).toBe(train * 2);
    expect(Number(await ctx.db.scalar(`SELECT count(*) FROM "${l2.table}"`))).toBe(totalRows(h.split.segments?.[1]?.rows ?? {}) * 2);
    // Features joined to their labels: every labelled training decision has its feature row.
    const joined = await ctx.db.scalar(
      `SELECT count(DISTINCT (l.symbol, l.event_time)) FROM "${l.table}" l JOIN "${f.table}" f ON f.symbol = l.symbol AND f.event_time = l.event_time`,
    );
    expect(Number(joined)).toBe(train);
  });

  it('a read after the data changed: exit 3 naming the dataset; --allow-changed reads and records the new hashes', async () => {
    const root = copy();
    const ctx = await testContext();
    await createSplit(base(root, { holdout: { buffer_us: 86_400_000_000 } }), ctx);
    expect(await ledgerRows(ctx, root)).toEqual([]);
    // Unchanged data: read, nothing recorded for a non-sealed segment.
    await readSegment(read(root, 'main', { segment: 'train' }), ctx);
    expect(await ledgerRows(ctx, root)).toEqual([]);
    // One month of labels removed (as a rebuild over a shorter range would).
    const month = allParquetFiles(join(root, 'labels')).find((p) => p.includes('month=2026-02')) as string;
    rmSync(month);
    const before = treeHash(root);
    const err = await refusal(readSegment(read(root, 'main', { segment: 'train' }, 'features'), ctx));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('changed since it was written: labels');
    expect(err.message).not.toContain('features (');
    expect(err.hint).toContain('--allow-changed');
    expect(treeHash(root)).toBe(before);
    const ok = await readSegment(read(root, 'main', { segment: 'train' }, 'labels', { allow_changed: true }), ctx);
    expect(ok.changed_inputs.map((c) => c.dataset)).toEqual(['labels']);
    const rows = await ctx.db.all(
      `SELECT kind, segment, data_hashes, detail FROM read_parquet('${root}/ledger/*/*.parquet')`,
    );
    expect(rows).toHaveLength(1);
    const row = rows[0] as { kind: string; segment: string; data_hashes: string; detail: string };
    expect(row.kind).toBe('access');
    expect(row.segment).toBe('train');
    const split = loadSplit(root, 'main');
    const recorded = JSON.parse(row.data_hashes) as Record<string, string>;
    expect(recorded['features']).toBe(split.inputs['features']?.hash);
    expect(recorded['labels']).toBe(ok.changed_inputs[0]?.now.hash);
    expect(recorded['labels']).not.toBe(split.inputs['labels']?.hash);
    expect(JSON.parse(row.detail)).toMatchObject({ allow_changed: true, changed: ['labels'], split_hashes: { labels: split.inputs['labels']?.hash } });
    // a run's reads sharing one look (features and labels of validation, features and labels of
    // train) record one access per segment read, each naming its segment, and one warning; a new
    // run records again (each run at its own time: the ledger's rows are keyed by time)
    const look = newLook();
    const warned: string[] = [];
    const run2 = { ...(await testContext(Date.parse('2026-11-22T13:00:00Z'))), log: { ...ctx.log, warn: (m: string) => void warned.push(m) } };
    for (const [dataset, segment] of [['features', 'validation'], ['labels', 'validation'], ['features', 'train'], ['labels', 'train']] as const) {
      await readSegment(read(root, 'main', { segment }, dataset, { allow_changed: true, look }), run2);
    }
    const access = async (): Promise<string[]> => (await ledgerRows(ctx, root)).filter((r) => r.kind === 'access').map((r) => r.segment ?? '');
    expect(await access()).toEqual(['train', 'train', 'validation']); // rows of one time in segment order
    expect(warned).toHaveLength(1);
    await readSegment(read(root, 'main', { segment: 'train' }, 'labels', { allow_changed: true, look: newLook() }), await testContext(Date.parse('2026-11-22T14:00:00Z')));
    expect(await access()).toEqual(['train', 'train', 'validation', 'train']);
  });

  it('one look at the sealed test segment over several reads records one unsealing; a later look is a repeated one; hints name the caller\'s flags', async () => {
    const root = copy();
    const warned: string[] = [];
    const base0 = await testContext();
    // a clock that moves: each look's ledger row has its own time
    let now = Date.parse('2026-11-22T12:00:00Z');
    const ctx = { ...base0, clock: { now: () => (now += 1000) }, log: { ...base0.log, warn: (m: string) => void warned.push(m) } };
    await createSplit(base(root, { holdout: { buffer_us: 86_400_000_000 } }), ctx);
    const sealed = await refusal(readSegment(read(root, 'main', { segment: 'test' }, 'features', { flags: { unseal: '--unseal "<reason>"' } }), ctx));
    expect(sealed.exitCode).toBe(2);
    expect(sealed.hint).toContain('pass --unseal "<reason>" to read it');
    // one look: features, labels, features again
    const look = newLook();
    const reads = [];
    for (const d of ['features', 'labels', 'features'] as const) reads.push(await readSegment(read(root, 'main', { segment: 'test' }, d, { unseal_test: true, look }), ctx));
    expect((await ledgerRows(ctx, root)).filter((r) => r.kind === 'unseal')).toHaveLength(1);
    expect(reads.map((r) => r.repeated_look)).toEqual([false, false, false]);
    expect(warned).toEqual([]);
    // a second look (a new run): recorded, and every read of it says repeated look, warned once
    const look2 = newLook();
    const again = [];
    for (const d of ['features', 'labels'] as const) again.push(await readSegment(read(root, 'main', { segment: 'test' }, d, { unseal_test: true, look: look2 }), ctx));
    const unseals = (await ledgerRows(ctx, root)).filter((r) => r.kind === 'unseal');
    expect(unseals).toHaveLength(2);
    const details = (await ctx.db.all(`SELECT detail FROM read_parquet('${root}/ledger/*/*.parquet') WHERE kind = 'unseal' ORDER BY event_time`)) as Array<{ detail: string }>;
    expect(details.map((d) => JSON.parse(d.detail).previous_unsealings)).toEqual([0, 1]);
    expect(again.map((r) => r.repeated_look)).toEqual([true, true]);
    expect(again[1]!.previous_unsealings).toEqual(again[0]!.previous_unsealings);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatch(/^repeated look: the test segment of split main was unsealed 1 time\(s\) before/);
    // without a look, each sealed read is its own look (as before)
    await readSegment(read(root, 'main', { segment: 'test' }, 'labels', { unseal_test: true }), ctx);
    expect((await ledgerRows(ctx, root)).filter((r) => r.kind === 'unseal')).toHaveLength(3);
    // a look whose first read is not sealed: the sealed read that follows is still recorded
    const look3 = newLook();
    await readSegment(read(root, 'main', { segment: 'train' }, 'labels', { look: look3 }), ctx);
    expect(look3.recorded).toBe(false);
    await readSegment(read(root, 'main', { segment: 'test' }, 'features', { unseal_test: true, look: look3 }), ctx);
    expect((await ledgerRows(ctx, root)).filter((r) => r.kind === 'unseal')).toHaveLength(4);
    // a look recorded on one split does not cover another split's test segment
    await createSplit(base(root, { name: 'other', holdout: { buffer_us: 86_400_000_000 } }), ctx);
    await readSegment(read(root, 'other', { segment: 'test' }, 'labels', { unseal_test: true, look: look3 }), ctx);
    const byOther = (await ledgerRows(ctx, root, { kind: 'unseal', split_name: 'other' })).length;
    expect(byOther).toBe(1);
    // changed data: a command without --allow-changed is not told to pass it
    rmSync(allParquetFiles(join(root, 'labels')).find((p) => p.includes('month=2026-02')) as string);
    const changed = await refusal(readSegment(read(root, 'main', { segment: 'train' }, 'features', { flags: { allow_changed: null } }), ctx));
    expect(changed.exitCode).toBe(3);
    expect(changed.hint).toContain('re-create it');
    expect(changed.hint).not.toContain('--allow-changed');
  });

  it('a split file that is not one (a field missing, not an object): exit 3 naming the file and the field; split overwrites it only with --replace', async () => {
    const root = copy();
    const ctx = await testContext();
    await createSplit(base(root, { holdout: { buffer_us: 86_400_000_000 } }), ctx);
    await createSplit(base(root, { name: 'wf', scheme: 'walk-forward', walk_forward: { train_us: 30 * 86_400_000_000, test_us: 15 * 86_400_000_000, step_us: 15 * 86_400_000_000, buffer_us: 86_400_000_000, window: 'expanding' } }), ctx);
    const path = (n: string) => join(root, 'splits', `${n}.json`);
    const edit = (n: string, f: (x: Record<string, unknown>) => void) => {
      const x = JSON.parse(readFileSync(path(n), 'utf8')) as Record<string, unknown>;
      f(x);
      writeFileSync(path(n), JSON.stringify(x));
    };
    const cases: Array<[string, (x: Record<string, unknown>) => void, RegExp]> = [
      ['main', (x) => delete x['rows'], /split main: .*main\.json is not a split file \(rows: /],
      ['main', (x) => delete x['to'], /\(to: /],
      ['main', (x) => delete (x['segments'] as Array<Record<string, unknown>>)[1]!['rows'], /\(segments\.1\.rows: /],
      ['wf', (x) => delete ((x['folds'] as Array<Record<string, unknown>>)[0]!['test'] as Record<string, unknown>)['rows'], /\(folds\.0\.test\.rows: /],
    ];
    for (const [n, f, msg] of cases) {
      const good = readFileSync(path(n), 'utf8');
      edit(n, f);
      let err: unknown = null;
      try {
        loadSplit(root, n);
      } catch (e) {
        err = e;
      }
      expect(isPerpkitError(err) && err.exitCode, String(err)).toBe(3);
      expect((err as Error).message).toMatch(msg);
      writeFileSync(path(n), good);
    }
    // valid JSON that is not an object: split refuses to overwrite it without --replace, then replaces it
    writeFileSync(path('main'), '[]');
    const refused = await refusal(createSplit(base(root, { holdout: { buffer_us: 86_400_000_000 } }), ctx));
    expect(refused.exitCode).toBe(2);
    expect(refused.message).toMatch(/split main exists but .*main\.json is not a split file \(not a JSON object\)/);
    const r = await createSplit(base(root, { holdout: { buffer_us: 86_400_000_000 }, replace: true }), ctx);
    expect(r.replaced).toBe(true);
    expect(loadSplit(root, 'main').name).toBe('main');
  });

  it('refuses CPCV with too many folds at once (exit 2 with the count), writing nothing', async () => {
    const root = copy();
    const ctx = await testContext();
    const t0 = Date.now();
    const err = await refusal(createSplit(base(root, { name: 'big', scheme: 'cpcv', cv: { groups: 40, test_groups: 20 } }), ctx));
    expect(Date.now() - t0).toBeLessThan(10_000); // enumerating them would never end
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain('137,846,528,820 folds');
    expect(err.message).toContain('the limit is 1,000');
    expect(existsSync(join(root, 'splits'))).toBe(false);
    const k = await refusal(createSplit(base(root, { name: 'k', scheme: 'cpcv', cv: { groups: 6, test_groups: 6 } }), ctx));
    expect(k.exitCode).toBe(2);
    expect(k.message).toContain('must be fewer than --groups');
  });

  it('refuses a purged k-fold whose fold has 0 training rows', async () => {
    const root = copy();
    const ctx = await testContext();
    const err = await refusal(
      createSplit(base(root, { name: 'kf', scheme: 'purged-kfold', cv: { groups: 2, embargo_us: 365 * 86_400_000_000 } }), ctx),
    );
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/fold 0 \(test groups 0\) has 0 training rows after purge and embargo/);
    expect(err.hint).toContain('--embargo');
    expect(existsSync(join(root, 'splits'))).toBe(false);
  });

  it('stops between folds when the signal is aborted, writing nothing', async () => {
    const root = copy();
    const ctx = await testContext();
    const ac = new AbortController();
    let progress = 0;
    const log = {
      ...ctx.log,
      progress: () => {
        if (++progress === 3) ac.abort(new PerpkitError('interrupted', 'interrupted by SIGTERM'));
      },
    };
    const err = await refusal(createSplit(base(root, { name: 'cv', scheme: 'cpcv', cv: { groups: 12, test_groups: 6, embargo_us: 3_600_000_000 } }), { ...ctx, log, signal: ac.signal }));
    expect(err.message).toBe('interrupted by SIGTERM');
    expect(err.exitCode).toBe(130);
    expect(progress).toBe(3);
    expect(existsSync(join(root, 'splits'))).toBe(false);
    expect(readdirSync(root)).not.toContain('splits');
    expect(readFileSync(join(root, 'README.md'), 'utf8').length).toBeGreaterThan(0);
  });
});
