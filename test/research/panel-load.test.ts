import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isPerpkitError } from '../../src/domain/errors.js';
import { runResearch } from '../../src/services/research/index.js';
import { icTrend, signStability } from '../../src/stats/decay.js';
import { evalIntervals, loadPanels, rowsWithin, type EvalSegment } from '../../src/services/research/panel.js';
import { createSplit, inTimeOrder, loadSplit, readSegment, readSegmentColumns } from '../../src/services/split.js';
import { allParquetFiles } from '../../src/store/integrity.js';
import { ledgerRows } from '../../src/store/ledger.js';
import { loadPanel as loadTrainPanel } from '../../src/services/train/data.js';
import { buildWithCli, ROOT, runCli, tempDir, testContext, treeHash } from '../helpers.js';

/**
 * research's panel read (loadPanels) on the bundled real sample: the training columns taken from
 * the one read of train+validation, the labels placed in SQL by row index, and one input check per
 * run. Each is compared with a plain computation over the stored files.
 */
let template = '';
const FEATURES = ['roc_1', 'rv_24', 'basis', 'funding_rate'];
beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'perpkit-research-load-'));
  cpSync(join(ROOT, 'data', 'sample'), template, { recursive: true });
  await buildWithCli([
    ['features', '--from', '2026-01-01'],
    ['features', '--labels', '--from', '2026-01-01', '--horizons', '1h,4h'],
  ].map((args) => [...args, '--data-dir', template, '--quiet']));
  const ctx = await testContext();
  await createSplit({ root: template, name: 'main', scheme: 'holdout', venue: 'binance-usdm', timeframe: '1h', holdout: { buffer_us: 86_400_000_000 } }, ctx);
  // no buffer: the validation segment starts at the end of the training one (a row exactly there is not a training row)
  await createSplit({ root: template, name: 'wf', scheme: 'walk-forward', venue: 'binance-usdm', timeframe: '1h', walk_forward: { train_us: 30 * 86_400_000_000, test_us: 15 * 86_400_000_000, step_us: 15 * 86_400_000_000, buffer_us: 86_400_000_000, window: 'expanding' } }, ctx);
  await createSplit({ root: template, name: 'touching', scheme: 'holdout', venue: 'binance-usdm', timeframe: '1h', holdout: { buffer_us: 0 } }, ctx);
}, 300_000);
afterAll(() => rmSync(template, { recursive: true, force: true }));

/** The bytes of an array (a view: the panel's columns are parts of one array per column). */
const bytes = (v: Float64Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** A split file's interval bound (ISO with microseconds: a buffer ends 1 us after a row) in epoch microseconds. */
const isoUs = (s: string): number => {
  const m = /^(.*)\.(\d{6})Z$/.exec(s)!;
  return Date.parse(`${m[1]}Z`) * 1000 + Number(m[2]);
};

const load = async (root: string, segment: EvalSegment, ctx: Awaited<ReturnType<typeof testContext>>, split = 'main') =>
  loadPanels({ root, split, segment, features: FEATURES, horizons: ['1h', '4h'], read: { command: 'test', args: {}, unseal_test: false } }, ctx);

describe('research panel read', () => {
  it('train+validation: the training columns are exactly the rows a train read gives; every label is the stored one at its (symbol, time)', async () => {
    const ctx = await testContext();
    const loaded = new Map<string, { both: Awaited<ReturnType<typeof load>>; train: Awaited<ReturnType<typeof load>> }>();
    for (const split of ['main', 'touching']) {
      const both = await load(template, 'train+validation', ctx, split);
      const train = await load(template, 'train', ctx, split);
      loaded.set(split, { both, train });
      expect(both.train.size).toBe(train.panel.assets.length);
      for (const a of train.panel.assets) {
        const t = both.train.get(a.symbol)!;
        for (const f of FEATURES) expect(bytes(t.get(f)!)).toEqual(bytes(a.features.get(f)!));
      }
    }
    // split main's two reads, checked further below (read once: the reads only read)
    const { both, train } = loaded.get('main')!;
    expect(both.panel.assets.map((a) => a.symbol)).toEqual(train.panel.assets.map((a) => a.symbol));
    // the layout the grid's workers read in place: each column (times, every feature, every horizon's
    // labels) one array in shared memory, the assets' rows consecutive views of it in panel order;
    // the training columns in shared memory too
    const columns: Array<(a: (typeof both.panel.assets)[number]) => Float64Array> = [(a) => a.time, ...FEATURES.map((f) => (a: (typeof both.panel.assets)[number]) => a.features.get(f)!), ...['1h', '4h'].map((h) => (a: (typeof both.panel.assets)[number]) => a.labels.get(h)!)];
    for (const get of columns) {
      const first = get(both.panel.assets[0]!);
      expect(first.buffer).toBeInstanceOf(SharedArrayBuffer);
      let at = first.byteOffset;
      for (const a of both.panel.assets) {
        expect(get(a).buffer).toBe(first.buffer);
        expect(get(a).byteOffset).toBe(at);
        expect(get(a).length).toBe(a.time.length);
        at += get(a).byteLength;
      }
    }
    for (const t of both.train.values()) for (const f of FEATURES) expect(t.get(f)!.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(both.panel.assets.length).toBeGreaterThan(1);
    for (const a of train.panel.assets) {
      const t = both.train.get(a.symbol)!;
      const evalRows = both.panel.assets.find((b) => b.symbol === a.symbol)!.time.length;
      expect(a.time.length).toBeGreaterThan(100);
      expect(a.time.length).toBeLessThan(evalRows); // the validation rows are not training rows
      for (const f of FEATURES) expect(bytes(t.get(f)!)).toEqual(bytes(a.features.get(f)!));
    }
    // Labels: a plain map of every stored label, looked up row by row.
    const files = allParquetFiles(join(template, 'labels')).map((p) => `'${p}'`).join(', ');
    const stored = (await ctx.db.all(`SELECT symbol, epoch_ms(event_time)::DOUBLE AS t, horizon, fwd_return FROM read_parquet([${files}], hive_partitioning = true)`)) as Array<{ symbol: string; t: number; horizon: string; fwd_return: number | null }>;
    const byKey = new Map(stored.map((r) => [`${r.symbol}|${r.t}|${r.horizon}`, r.fwd_return]));
    let placed = 0;
    for (const a of both.panel.assets) {
      for (const h of ['1h', '4h']) {
        const y = a.labels.get(h)!;
        for (let i = 0; i < a.time.length; i++) {
          const want = byKey.get(`${a.symbol}|${a.time[i]}|${h}`);
          if (want === undefined || want === null || !Number.isFinite(want)) expect(y[i]).toBeNaN();
          else {
            expect(y[i]).toBe(want);
            placed++;
          }
        }
      }
    }
    expect(placed).toBeGreaterThan(1000);
    // the relative target: each asset's rel map holds the stored rel_return (perp minus spot), NaN
    // where the spot leg is missing; fwd_return stays the labels; without `relative` nothing is read
    expect(both.panel.assets.every((a) => a.rel === undefined)).toBe(true);
    const rel = await loadPanels({ root: template, split: 'main', segment: 'train+validation', features: FEATURES, horizons: ['1h', '4h'], read: { command: 'test', args: {}, unseal_test: false }, relative: true }, ctx);
    const relStored = (await ctx.db.all(`SELECT symbol, epoch_ms(event_time)::DOUBLE AS t, horizon, rel_return FROM read_parquet([${files}], hive_partitioning = true)`)) as Array<{ symbol: string; t: number; horizon: string; rel_return: number | null }>;
    const relByKey = new Map(relStored.map((r) => [`${r.symbol}|${r.t}|${r.horizon}`, r.rel_return]));
    let relPlaced = 0;
    let relMissing = 0;
    let relDiffers = 0;
    for (const a of rel.panel.assets) {
      for (const h of ['1h', '4h']) {
        const y = a.rel!.get(h)!;
        const perp = both.panel.assets.find((b) => b.symbol === a.symbol)!.labels.get(h)!;
        expect(bytes(a.labels.get(h)!)).toEqual(bytes(perp));
        for (let i = 0; i < a.time.length; i++) {
          const want = relByKey.get(`${a.symbol}|${a.time[i]}|${h}`);
          if (want === undefined || want === null || !Number.isFinite(want)) {
            expect(y[i]).toBeNaN();
            if (Number.isFinite(perp[i]!)) relMissing++;
          } else {
            expect(y[i]).toBe(want);
            if (y[i] !== perp[i]) relDiffers++;
            relPlaced++;
          }
        }
      }
    }
    // the sample's spot bars start in mid-March: earlier rows have a perp label and no relative one
    expect(relPlaced).toBeGreaterThan(1000);
    expect(relDiffers).toBeGreaterThan(relPlaced * 0.9); // not the perp's return (equal only where both legs are flat)
    expect(relMissing).toBeGreaterThan(1000);
    // the segment's rows only: the 4h label of the last training row is cut by the buffer, not read from the validation part
    expect(both.panel.rows).toBe(both.panel.assets.reduce((s, a) => s + a.time.length, 0));
  }, 120_000);

  it('the evaluated rows are exactly the features rows inside the segment: none from the buffer, the other segments or the sealed test', async () => {
    const ctx = await testContext();
    const split = JSON.parse(readFileSync(join(template, 'splits', 'main.json'), 'utf8')) as { segments: Array<{ name: string; intervals: Array<[string, string]> }> };
    const files = allParquetFiles(join(template, 'features')).map((p) => `'${p}'`).join(', ');
    const stored = (await ctx.db.all(`SELECT symbol, epoch_us(event_time)::DOUBLE AS us FROM read_parquet([${files}], hive_partitioning = true)`)) as Array<{ symbol: string; us: number }>;
    for (const segment of ['validation', 'train+validation'] as const) {
      const names = segment === 'validation' ? ['validation'] : ['train', 'validation'];
      const iv = split.segments.filter((x) => names.includes(x.name)).flatMap((x) => x.intervals.map(([a, b]) => [isoUs(a), isoUs(b)] as const));
      const want = stored.filter((r) => iv.some(([a, b]) => r.us >= a && r.us < b)).map((r) => `${r.symbol} ${r.us / 1000}`).sort();
      const got = (await load(template, segment, ctx)).panel.assets.flatMap((a) => Array.from(a.time, (t) => `${a.symbol} ${t}`)).sort();
      expect(got.length).toBeGreaterThan(500);
      expect(got).toEqual(want);
    }
  }, 120_000);

  it('a walk-forward fold: the test side evaluated, the training side read for what is fitted; exactly their rows', async () => {
    const ctx = await testContext();
    const split = JSON.parse(readFileSync(join(template, 'splits', 'wf.json'), 'utf8')) as { folds: Array<{ index: number; train: { intervals: Array<[string, string]> }; test: { intervals: Array<[string, string]> } }> };
    expect(split.folds.length).toBeGreaterThan(1);
    const files = allParquetFiles(join(template, 'features')).map((p) => `'${p}'`).join(', ');
    const stored = (await ctx.db.all(`SELECT symbol, epoch_us(event_time)::DOUBLE AS us FROM read_parquet([${files}], hive_partitioning = true)`)) as Array<{ symbol: string; us: number }>;
    const within = (iv: Array<[string, string]>): string[] =>
      stored.filter((r) => iv.some(([a, b]) => r.us >= isoUs(a) && r.us < isoUs(b))).map((r) => `${r.symbol} ${r.us / 1000}`).sort();
    const f = split.folds[1]!;
    const test = await load(template, `fold-${f.index}-test`, ctx, 'wf');
    const train = await load(template, `fold-${f.index}-train`, ctx, 'wf');
    expect(test.panel.assets.flatMap((a) => Array.from(a.time, (t) => `${a.symbol} ${t}`)).sort()).toEqual(within(f.test.intervals));
    expect(train.panel.assets.flatMap((a) => Array.from(a.time, (t) => `${a.symbol} ${t}`)).sort()).toEqual(within(f.train.intervals));
    for (const a of train.panel.assets) {
      for (const x of FEATURES) expect(bytes(test.train.get(a.symbol)!.get(x)!)).toEqual(bytes(a.features.get(x)!));
    }
    // the fold's training side ends before its test side starts
    expect(Math.max(...train.panel.assets.map((a) => a.time[a.time.length - 1]!))).toBeLessThan(Math.min(...test.panel.assets.map((a) => a.time[0]!)));
  }, 120_000);

  it('every fold\'s test side (folds-test): each fold exactly as its own fold-N-test read, its asset named <symbol>@fold-N, its own training values', async () => {
    const ctx = await testContext();
    const split = JSON.parse(readFileSync(join(template, 'splits', 'wf.json'), 'utf8')) as { folds: Array<{ index: number }> };
    expect(split.folds.length).toBeGreaterThan(1);
    const all = await load(template, 'folds-test', ctx, 'wf');
    const want: string[] = [];
    let rows = 0;
    const cost = { sum: 0, n: 0 };
    for (const f of split.folds) {
      const one = await load(template, `fold-${f.index}-test`, ctx, 'wf');
      rows += one.panel.rows;
      cost.sum += one.cost.sum;
      cost.n += one.cost.n;
      for (const a of one.panel.assets) {
        const name = `${a.symbol}@fold-${f.index}`;
        want.push(name);
        const got = all.panel.assets.find((x) => x.symbol === name)!;
        expect(bytes(got.time)).toEqual(bytes(a.time));
        for (const x of FEATURES) {
          expect(bytes(got.features.get(x)!)).toEqual(bytes(a.features.get(x)!));
          expect(bytes(all.train.get(name)!.get(x)!)).toEqual(bytes(one.train.get(a.symbol)!.get(x)!));
        }
        for (const h of ['1h', '4h']) expect(bytes(got.labels.get(h)!)).toEqual(bytes(a.labels.get(h)!));
      }
    }
    expect(all.panel.assets.map((a) => a.symbol)).toEqual(want);
    expect(all.panel.rows).toBe(rows);
    // the round-trip cost: the mean over every fold's labels (not over the folds' means)
    expect(all.cost).toEqual(cost);
    expect(cost.n).toBeGreaterThan(rows);
    expect(all.panel.round_trip_cost).toBe(cost.sum / cost.n);
    expect(all.folds).toEqual(split.folds.map((f) => f.index));
    // the folds' test sides do not overlap in time
    const spans = split.folds.map((f) => all.panel.assets.filter((a) => a.symbol.endsWith(`@fold-${f.index}`)).flatMap((a) => [a.time[0]!, a.time[a.time.length - 1]!]));
    for (let k = 1; k < spans.length; k++) expect(Math.max(...spans[k - 1]!)).toBeLessThan(Math.min(...spans[k]!));
  }, 120_000);

  it('research over every fold\'s test side: each (asset, fold) IC is the one-fold run\'s, the pooled IC their mean, the IC periods the folds', async () => {
    const ctx = await testContext();
    const split = JSON.parse(readFileSync(join(template, 'splits', 'wf.json'), 'utf8')) as { folds: Array<{ index: number }> };
    const run = (segment: EvalSegment) =>
      runResearch({ root: template, split: 'wf', segment, features: ['roc_1', 'basis'], horizons: ['1h'], regimes: ['vol'], config: { min_obs_per_cell: 30 }, args: { test: true }, write: false }, ctx);
    const all = await run('folds-test');
    expect(all.segment).toBe('folds-test');
    // each fold's own run, once (it has the cells of both features; write: false, nothing recorded)
    const oneFold = new Map<number, Awaited<ReturnType<typeof run>>>();
    for (const f of split.folds) oneFold.set(f.index, await run(`fold-${f.index}-test`));
    for (const feature of ['roc_1', 'basis']) {
      const cell = all.cells.find((c) => c.feature === feature && c.regime_dim === 'all')!;
      expect(cell.status).toBe('ok');
      // each fold's (asset) IC where that fold's own run has the cell (a fold too short for the
      // cell on its own still adds its assets' ICs to the pooled cell, as a short asset does)
      let compared = 0;
      for (const f of split.folds) {
        const one = oneFold.get(f.index)!.cells.find((c) => c.feature === feature && c.regime_dim === 'all')!;
        if (one.status !== 'ok') continue;
        for (const [sym, ic] of Object.entries(one.ic_by_asset)) {
          expect(cell.ic_by_asset[`${sym}@fold-${f.index}`]).toBe(ic);
          compared++;
        }
      }
      expect(compared).toBeGreaterThanOrEqual(2 * 3);
      const assets = (await loadPanels({ root: template, split: 'wf', segment: 'folds-test', features: [feature], horizons: ['1h'], read: { command: 'test', args: {}, unseal_test: false } }, ctx)).panel.assets;
      expect(Object.keys(cell.ic_by_asset).sort()).toEqual(assets.map((a) => a.symbol).sort());
      const per = Object.values(cell.ic_by_asset).filter((x): x is number => x !== null);
      expect(per.length).toBeGreaterThan(3);
      expect(cell.ic).toBeCloseTo(per.reduce((a, b) => a + b, 0) / per.length, 12);
      if (feature === 'roc_1') {
        // the IC periods are the folds (the default of folds-test): each fold's IC is the mean of its assets'
        const byFold = split.folds.map((f) => {
          const v = assets.filter((a) => a.symbol.endsWith(`@fold-${f.index}`)).map((a) => cell.ic_by_asset[a.symbol] as number);
          return v.reduce((a, b) => a + b, 0) / v.length;
        });
        expect(cell.ic_periods).toBe(split.folds.length);
        expect(cell.ic_trend).toBeCloseTo(icTrend(byFold)!, 12);
        expect(cell.sign_stability).toBe(signStability(byFold).share);
      }
      expect(cell.assets).toBe(per.length);
    }
    // fold periods need the folds: refused for one fold (exit 2), before anything is read
    const err = await runResearch({ root: template, split: 'wf', segment: 'fold-0-test', features: ['roc_1'], horizons: ['1h'], config: { ic_period: 'fold' }, args: {}, write: false }, ctx).catch((e: unknown) => e);
    expect(isPerpkitError(err) && err.exitCode).toBe(2);
    expect(String((err as Error).message)).toBe('ic_period fold needs every fold of a walk-forward split (--segment folds-test); this run evaluates fold-0-test');
  }, 300_000);

  it('folds-test refuses a split whose folds\' test sides overlap (exit 2, naming them); one fold of it still runs', async () => {
    const ctx = await testContext();
    const root = tempDir();
    cpSync(template, root, { recursive: true });
    await createSplit({ root, name: 'overlap', scheme: 'walk-forward', venue: 'binance-usdm', timeframe: '1h', walk_forward: { train_us: 30 * 86_400_000_000, test_us: 15 * 86_400_000_000, step_us: 5 * 86_400_000_000, buffer_us: 86_400_000_000, window: 'expanding' } }, ctx);
    const run = (segment: EvalSegment) => runResearch({ root, split: 'overlap', segment, features: ['roc_1'], horizons: ['1h'], config: { min_obs_per_cell: 30 }, args: {}, write: false }, ctx);
    const err = await run('folds-test').catch((e: unknown) => e);
    expect(isPerpkitError(err) && err.exitCode).toBe(2);
    expect(String((err as Error).message)).toMatch(/^split overlap's folds 0 and 1, 0 and 2, 1 and 2 \(\d+ pairs in all\) have test sides that overlap in time/);
    expect((err as { hint: string }).hint).toContain('--step at least --test-window');
    expect((await run('fold-1-test')).segment).toBe('fold-1-test');
  }, 120_000);

  it('the evaluated intervals a settlement study reads: sorted, touching ones joined, separate ones kept', () => {
    const sp = (name: string) => loadSplit(template, name);
    const us = (iv: Array<[string, string]>) => iv.map(([a, b]) => [isoUs(a), isoUs(b)]);
    // a buffer between train and validation: two intervals
    const main = sp('main');
    const seg = (s: string) => us(main.segments!.find((x) => x.name === s)!.intervals);
    expect(evalIntervals(main, 'train+validation')).toEqual([...seg('train'), ...seg('validation')]);
    expect(seg('train')[0]![1]).toBeLessThan(seg('validation')[0]![0]!);
    // the walk-forward folds' test sides follow each other (step = test window): joined into one
    const wf = sp('wf');
    const tests = wf.folds!.map((f) => us(f.test.intervals)[0]!);
    expect(tests.length).toBeGreaterThan(2);
    for (let k = 1; k < tests.length; k++) expect(tests[k]![0]).toBe(tests[k - 1]![1]);
    expect(evalIntervals(wf, 'folds-test')).toEqual([[tests[0]![0], tests[tests.length - 1]![1]]]);
    expect(evalIntervals(wf, 'fold-1-test')).toEqual([tests[1]]);
  });

  it('changed data is refused (by the run\'s input check, before its first read) and nothing is written', async () => {
    const root = tempDir();
    cpSync(template, root, { recursive: true });
    const ctx = await testContext();
    const month = allParquetFiles(join(root, 'labels')).find((p) => p.includes('month=2026-02')) as string;
    rmSync(month);
    const before = treeHash(root);
    let err: unknown = null;
    try {
      await load(root, 'train+validation', ctx);
    } catch (e) {
      err = e;
    }
    expect(isPerpkitError(err)).toBe(true);
    if (!isPerpkitError(err)) return;
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('changed since it was written: labels');
    expect(treeHash(root)).toBe(before);
  }, 120_000);

  it('none of the specs\' horizons in the split: exit 4 before any read (the sealed test segment is not unsealed)', async () => {
    const ctx = await testContext();
    const specs = tempDir();
    writeFileSync(join(specs, 'H1.yaml'), readFileSync(join(ROOT, 'hypotheses', 'H1.yaml'), 'utf8').replace(/^horizons: .*$/m, 'horizons: [24h]'));
    const before = treeHash(template);
    const err = await runResearch({ root: template, split: 'main', segment: 'test', unseal_reason: 'look', hypotheses: ['H1'], hypotheses_dir: specs, args: {} }, ctx).catch((e: unknown) => e);
    expect(isPerpkitError(err), String(err)).toBe(true);
    if (!isPerpkitError(err)) return;
    expect(err.exitCode).toBe(4);
    expect(err.message).toMatch(/no labels for the specs' horizon\(s\) 24h in split main \(it has 1h, 4h\)/);
    // nothing written: no unsealing in the ledger
    expect(treeHash(template)).toBe(before);
  }, 120_000);

  it('train\'s panel read of the sealed test segment: its features and labels reads are one look (one unsealing)', async () => {
    const root = tempDir();
    cpSync(template, root, { recursive: true });
    const ctx = await testContext();
    const p = await loadTrainPanel({ root, split: 'main', segments: ['test'], features: ['roc_1'], horizon: '1h', unseal_test: true, command: 'test', args: {} }, ctx);
    expect(p.panel.time.length).toBeGreaterThan(0);
    expect(await ledgerRows(ctx, root, { kind: 'unseal', split_name: 'main' })).toHaveLength(1);
  }, 120_000);

  it('a projected segment read of a column in none of the files: refused before any row is read, naming it (exit 4); an unknown feature: exit 2', async () => {
    const ctx = await testContext();
    const before = treeHash(template);
    const err = await readSegment({ root: template, name: 'main', selector: { segment: 'train' }, dataset: 'features', command: 'test', args: {}, columns: ['roc_1', 'nope_1', 'nope_2'] }, ctx).catch((e: unknown) => e);
    expect(isPerpkitError(err), String(err)).toBe(true);
    if (!isPerpkitError(err)) return;
    expect(err.exitCode).toBe(4);
    expect(err.message).toBe("the features of split main's scope have no column(s) nope_1, nope_2");
    expect(err.hint).toContain('perpkit features');
    expect(treeHash(template)).toBe(before);
    const bad = await loadPanels({ root: template, split: 'main', segment: 'train', features: ['roc_1', 'nope'], horizons: ['1h'], read: { command: 'test', args: {}, unseal_test: false } }, ctx).catch((e: unknown) => e);
    expect(isPerpkitError(bad) && bad.exitCode).toBe(2);
    // projected and full reads hold the same rows
    const full = await readSegment({ root: template, name: 'main', selector: { segment: 'train' }, dataset: 'labels', command: 'test', args: {} }, ctx);
    const part = await readSegment({ root: template, name: 'main', selector: { segment: 'train' }, dataset: 'labels', command: 'test', args: {}, columns: ['horizon', 'fwd_return'] }, ctx);
    expect(part.rows).toBe(full.rows);
    expect(part.decision_rows).toBe(full.decision_rows);
    const q = (t: string): Promise<unknown[]> => ctx.db.all(`SELECT symbol, event_time, horizon, fwd_return FROM "${t}" ORDER BY ALL`);
    expect(await q(part.table)).toEqual(await q(full.table));
    expect((await ctx.db.all(`DESCRIBE "${part.table}"`)).map((r) => (r as { column_name: string }).column_name).sort()).toEqual(['event_time', 'fwd_return', 'horizon', 'symbol']);
  }, 120_000);

  it('feature files whose rows are not in time order (a file written newest first): the same panel, put in time order per symbol', async () => {
    const root = tempDir();
    cpSync(template, root, { recursive: true });
    const ctx = await testContext();
    for (const f of allParquetFiles(join(root, 'features'))) {
      await ctx.db.exec(`COPY (SELECT * FROM read_parquet('${f}') ORDER BY event_time DESC) TO '${f}.tmp' (FORMAT parquet)`);
      renameSync(`${f}.tmp`, f);
    }
    const read = { command: 'test', args: {}, unseal_test: false, allow_changed: true };
    const want = await loadPanels({ root: template, split: 'main', segment: 'train+validation', features: FEATURES, horizons: ['1h', '4h'], read }, ctx);
    const got = await loadPanels({ root, split: 'main', segment: 'train+validation', features: FEATURES, horizons: ['1h', '4h'], read }, ctx);
    expect(got.panel.assets.map((a) => a.symbol)).toEqual(want.panel.assets.map((a) => a.symbol));
    got.panel.assets.forEach((a, k) => {
      const w = want.panel.assets[k]!;
      expect(bytes(a.time)).toEqual(bytes(w.time));
      for (const f of FEATURES) expect(bytes(a.features.get(f)!)).toEqual(bytes(w.features.get(f)!));
      for (const h of ['1h', '4h']) expect(bytes(a.labels.get(h)!)).toEqual(bytes(w.labels.get(h)!));
      for (const f of FEATURES) expect(bytes(got.train.get(a.symbol)!.get(f)!)).toEqual(bytes(want.train.get(a.symbol)!.get(f)!));
    });
  }, 120_000);

  it('readSegmentColumns (split/segment_doubles) = the columns of a full segment read sorted in SQL; files changed after the read, other files, a wrong count: exit 3 (validation)', async () => {
    const root = tempDir();
    cpSync(template, root, { recursive: true });
    const ctx = await testContext();
    const base = { root, name: 'main', dataset: 'features' as const, command: 'test', args: {}, ordered: false };
    const full = await readSegment({ ...base, selector: { segment: 'train' }, columns: FEATURES }, ctx);
    const keys = await readSegment({ ...base, selector: { segment: 'train' }, columns: FEATURES, keys_only: true }, ctx);
    expect((await ctx.db.all(`DESCRIBE "${keys.table}"`)).map((r) => (r as { column_name: string }).column_name).sort()).toEqual(['event_time', 'symbol']);
    const runs = (await ctx.db.all(`SELECT symbol, count(*)::INTEGER AS n FROM "${keys.table}" GROUP BY symbol ORDER BY symbol`)) as Array<{ symbol: string; n: number }>;
    let at = 0;
    const placed = runs.map((r) => ((at += r.n), { symbol: r.symbol, start: at - r.n, n: r.n }));
    const arrays = (): Float64Array[] => Array.from({ length: FEATURES.length + 2 }, () => new Float64Array(at));
    const got = arrays();
    await readSegmentColumns(ctx, root, [keys.source], FEATURES, placed, got);
    const want = (await ctx.db.all(`SELECT epoch_ms(event_time)::DOUBLE AS t, epoch_us(event_time)::DOUBLE AS us, ${FEATURES.map((f) => `"${f}"`).join(', ')} FROM "${full.table}" ORDER BY symbol, event_time`)) as Array<Record<string, number | null>>;
    expect(want.length).toBe(at);
    ['t', 'us', ...FEATURES].forEach((c, k) => expect(bytes(got[k]!)).toEqual(bytes(Float64Array.from(want, (r) => r[c] ?? Number.NaN))));
    const refused = async (p: Promise<unknown>, text: RegExp): Promise<void> => {
      const err = await p.then(() => null, (e: unknown) => e);
      expect(isPerpkitError(err) && err.kind === 'validation', String(err)).toBe(true);
      expect((err as Error).message).toMatch(text);
    };
    // a count that is not the files' (the files got more or fewer rows since they were counted)
    await refused(readSegmentColumns(ctx, root, [keys.source], FEATURES, placed.map((r, k) => (k === 0 ? { ...r, n: r.n - 1 } : r)), arrays()), /more rows of .* than the \d+ counted/);
    const fewer = arrays().map((a) => new Float64Array(a.length + 1));
    await refused(readSegmentColumns(ctx, root, [keys.source], FEATURES, placed.map((r, k) => (k === placed.length - 1 ? { ...r, n: r.n + 1 } : r)), fewer), /rows of .* in the files, \d+ when counted/);
    // two reads of different files
    await refused(readSegmentColumns(ctx, root, [keys.source, { ...keys.source, files: keys.source.files.slice(1), stamps: keys.source.stamps.slice(1) }], FEATURES, placed, arrays()), /different files/);
    // a file rewritten after the read (a rebuild ran meanwhile), even with the same rows
    const f = keys.source.files[0]!;
    await ctx.db.exec(`COPY (SELECT * FROM read_parquet('${f}')) TO '${f}.tmp' (FORMAT parquet)`);
    renameSync(`${f}.tmp`, f);
    await refused(readSegmentColumns(ctx, root, [keys.source], FEATURES, placed, arrays()), /data changed while it was read/);
  }, 120_000);

  it('inTimeOrder: rows put in time order, every column alike, ties in their order; rows in order are left as they are', () => {
    const us = Float64Array.from([30, 10, 20, 10, 40]);
    const a = Float64Array.from([3, 1, 2, 1.5, 4]);
    expect(inTimeOrder(us, [us, a])).toBe(true);
    expect([...us]).toEqual([10, 10, 20, 30, 40]);
    expect([...a]).toEqual([1, 1.5, 2, 3, 4]);
    expect(inTimeOrder(us, [us, a])).toBe(false);
    expect([...a]).toEqual([1, 1.5, 2, 3, 4]);
    // whole files out of order (runs that do not overlap): moved as blocks
    const files = Float64Array.from([7, 8, 9, 1, 2, 3, 4, 5, 6]);
    const b = files.map((v) => v * 10);
    expect(inTimeOrder(files, [files, b])).toBe(true);
    expect([...files]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...b]).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90]);
    // runs that overlap in time (and a time in two runs): sorted, ties in their order
    const mixed = Float64Array.from([5, 6, 9, 1, 6, 7, 2]);
    const c = Float64Array.from([0, 1, 2, 3, 4, 5, 6]);
    expect(inTimeOrder(mixed, [mixed, c])).toBe(true);
    expect([...mixed]).toEqual([1, 2, 5, 6, 6, 7, 9]);
    expect([...c]).toEqual([3, 6, 0, 1, 4, 5, 2]);
    // runs touching at one time (the same time at one's end and the next's start): sorted as well
    const touch = Float64Array.from([3, 4, 1, 2, 3]);
    const d = Float64Array.from([0, 1, 2, 3, 4]);
    inTimeOrder(touch, [touch, d]);
    expect([...d]).toEqual([2, 3, 0, 4, 1]);
  });

  it('features written without a catalog column (an older build): split works, research that needs the column exits 4 naming it', async () => {
    const root = tempDir();
    cpSync(template, root, { recursive: true });
    const ctx = await testContext();
    for (const f of allParquetFiles(join(root, 'features'))) {
      await ctx.db.exec(`COPY (SELECT * EXCLUDE (rv_24) FROM read_parquet('${f}')) TO '${f}.tmp' (FORMAT parquet)`);
      renameSync(`${f}.tmp`, f);
    }
    const split = await runCli(['split', '--name', 'old', '--buffer', '1d', '--data-dir', root]);
    expect(split.code, split.stderr).toBe(0);
    // rv_24 is in the baseline stack: needed by every research run
    const r = await runCli(['research', '--split', 'old', '--features', 'roc_1', '--horizons', '1h', '--data-dir', root, '--json']);
    expect(r.code, r.stderr).toBe(4);
    expect(JSON.parse(r.stdout).error.message).toBe("the features of split old's scope have no column(s) rv_24");
  }, 120_000);

  it('labels built before their spot leg: perp research runs, the relative target exits 4 naming what still runs; a rebuild merges the column in', async () => {
    const root = tempDir();
    cpSync(template, root, { recursive: true });
    const ctx = await testContext();
    for (const f of allParquetFiles(join(root, 'labels'))) {
      await ctx.db.exec(`COPY (SELECT * EXCLUDE (spot_entry_price, spot_exit_price, rel_return) FROM read_parquet('${f}')) TO '${f}.tmp' (FORMAT parquet)`);
      renameSync(`${f}.tmp`, f);
    }
    expect((await runCli(['split', '--name', 'old', '--buffer', '1d', '--data-dir', root])).code).toBe(0);
    const perp = await runCli(['research', '--split', 'old', '--features', 'basis', '--horizons', '1h', '--regimes', 'vol', '--no-write', '--data-dir', root, '--json']);
    expect(perp.code, perp.stderr).toBe(0);
    const all = await runCli(['research', '--split', 'old', '--no-write', '--data-dir', root, '--json']);
    expect(all.code, all.stderr).toBe(4);
    const e = JSON.parse(all.stdout).error as { message: string; hint: string };
    expect(e.message).toBe("the labels of split old's scope have no column(s) rel_return (the relative target of H2, H3, H5 reads it)");
    expect(e.hint).toMatch(/perpkit features --labels; labels built before their spot leg have no rel_return.*re-create the split with --replace, or judge the perp-target hypotheses only: --hypothesis H1,H4,H6$/);
    const rel = await runCli(['research', '--split', 'old', '--features', 'basis', '--target', 'relative', '--no-write', '--data-dir', root, '--json']);
    expect(rel.code).toBe(4);
    expect(JSON.parse(rel.stdout).error.hint).toMatch(/, or drop --target relative$/);
    // the suggested fix works: a rebuild over the old files, a new split, and the relative run
    expect((await runCli(['features', '--labels', '--from', '2026-01-01', '--horizons', '1h,4h', '--data-dir', root, '--quiet'])).code).toBe(0);
    expect((await runCli(['split', '--name', 'old', '--buffer', '1d', '--replace', '--data-dir', root, '--quiet'])).code).toBe(0);
    const again = await runCli(['research', '--split', 'old', '--features', 'basis', '--horizons', '1h', '--regimes', 'vol', '--target', 'relative', '--no-write', '--data-dir', root, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { cells: Array<{ target: string; ic: number | null }> }).cells.some((c) => c.target === 'relative' && c.ic !== null)).toBe(true);
  }, 300_000);
});

describe('rowsWithin (the training rows of a train+validation read)', () => {
  const us = Float64Array.from([10, 20, 30, 40, 50, 60]);
  const x = new Float64Array(new SharedArrayBuffer(6 * 8));
  x.set([1, 2, 3, 4, 5, 6]);
  const rows = { time: us.map((v) => v / 1000), us, features: new Map([['x', x]]) };
  it('consecutive rows are views of the column (no copy), exactly the rows inside the intervals', () => {
    const got = rowsWithin(rows, [[20, 41]]).get('x')!;
    expect([...got]).toEqual([2, 3, 4]);
    expect(got.buffer).toBe(x.buffer);
    expect(got.byteOffset).toBe(8);
    // half-open: a row at an interval's end is outside it
    expect([...rowsWithin(rows, [[20, 40]]).get('x')!]).toEqual([2, 3]);
  });
  it('rows with a gap between them are copied, in order, into shared memory; none inside gives an empty column', () => {
    const got = rowsWithin(rows, [[10, 21], [50, 70]]).get('x')!;
    expect([...got]).toEqual([1, 2, 5, 6]);
    expect(got.buffer).not.toBe(x.buffer);
    expect(got.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(rowsWithin(rows, [[0, 5]]).get('x')!.length).toBe(0);
  });
});
