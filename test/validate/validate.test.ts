import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { ValidateConfigSchema } from '../../src/domain/validate-config.js';
import { validateData, type ValidateResult } from '../../src/services/validate.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { excludeQuarantined } from '../../src/store/quarantine.js';
import { FIXTURES, ROOT, runCli, tempDir, testContext, treeHash } from '../helpers.js';
import { copyDataDir } from './inject.js';

const SAMPLE = join(ROOT, 'data', 'sample');
const FIX = join(FIXTURES, 'validate');

function copyFixture(name: string): string {
  const d = tempDir();
  cpSync(join(FIX, name), d, { recursive: true });
  return d;
}

describe('perpkit validate on the bundled real sample', () => {
  it('reports what is really there: spot reference only over the overlap, mark ending before 15m bars, real crashes confirmed', async () => {
    const dir = tempDir();
    copyDataDir(SAMPLE, dir);
    const r = (await runCli(['validate', '--data-dir', dir, '--json']));
    expect(r.code, r.stderr).toBe(0);
    const rep = JSON.parse(r.stdout) as ValidateResult;
    expect(rep.failed).toBe(false);
    expect(rep.summary).toMatchObject({ error: 0, warn: 9 });
    const byCheck = (c: string) => rep.findings.filter((f) => f.check === c);
    // Perp bars start 2024-01-01, spot only 2026-03-14 -> 2026-04-13 12:50.
    for (const f of byCheck('spot_reference_missing')) {
      expect(f.count).toBe(2);
      expect(f.examples.map((e) => JSON.parse(e.row_key))).toEqual([
        expect.objectContaining({ from: '2024-01-01 00:00:00', to: '2026-03-14 00:00:00' }),
        expect.objectContaining({ from: '2026-04-13 13:00:00', to: '2026-04-30 11:00:00' }),
      ]);
    }
    expect(byCheck('spot_reference_missing').map((f) => f.symbol)).toEqual(['BTC-PERP', 'ETH-PERP', 'SOL-PERP']);
    // Mark 1h ends with the bar closing 2026-04-30 10:00; the 15m last bars run to 10:30.
    expect(byCheck('mark_index_missing').map((f) => [f.symbol, JSON.parse(f.examples[0]?.row_key ?? '{}').from])).toEqual([
      ['BTC-PERP', '2026-04-30 10:00:00'],
      ['ETH-PERP', '2026-04-30 10:00:00'],
      ['SOL-PERP', '2026-04-30 10:00:00'],
    ]);
    // The 2024-01-03 13:00 sell-off: last and mark both fell (BTC low 40333 vs mark 40829).
    const btc = byCheck('outlier_confirmed').find((f) => f.symbol === 'BTC-PERP');
    expect(btc?.examples[0]).toMatchObject({ event_time: '2024-01-03T13:00:00.000000Z' });
    expect(btc?.examples[0]?.reason).toContain('to low 40333.0');
    expect(byCheck('outlier_confirmed').every((f) => !f.quarantined && f.severity === 'info')).toBe(true);
    expect(rep.quarantine.rows).toBe(0);
    // The report file holds the same document.
    expect(JSON.parse(readFileSync(rep.report_path, 'utf8'))).toEqual(rep);
    // --fail-on warn turns the coverage warnings into a failure: exit 3, report inside the error.
    const w = (await runCli(['validate', '--data-dir', dir, '--json', '--fail-on', 'warn', '--datasets', 'bars', '--symbols', 'BTC']));
    expect(w.code).toBe(3);
    const err = JSON.parse(w.stdout).error;
    expect(err).toMatchObject({ code: 3, kind: 'validation' });
    expect(err.details.report.failing_checks.sort()).toEqual(['mark_index_missing', 'spot_reference_missing']);
    expect(err.details.report.scope.series.map((s: { symbol: string }) => s.symbol)).toEqual(['BTC-SPOT', 'BTC-PERP']);
  });
});

describe('perpkit validate: quarantine', () => {
  it('quarantines row defects, is idempotent, keeps other datasets, drops fixed rows; later steps exclude and count', async () => {
    const ctx = await testContext();
    const dir = copyFixture('fail/bars_ohlc');
    const r1 = await validateData({ root: dir }, ctx);
    expect(r1.failed).toBe(true);
    expect(r1.quarantine.by_check).toEqual({ negative_volume: 1, nonfinite_value: 1, nonpositive_price: 1, ohlc_inconsistent: 1 });
    const qFiles = await datasetFiles(dir, DATASETS.quarantine);
    expect(qFiles.map((f) => f.slice(dir.length))).toEqual(['/quarantine/venue=binance-usdm/symbol=BTC-PERP/part-0.parquet']);
    const q = await ctx.db.all(
      `SELECT dataset, price, timeframe, "check", severity, strftime(event_time, '%Y-%m-%d %H:%M') AS t, available_time >= event_time AS ok, source FROM ${SCAN_SQL} ORDER BY t`,
      { files: listOf(qFiles) },
    );
    expect(q).toEqual([
      { dataset: 'bars', price: 'last', timeframe: '1h', check: 'nonfinite_value', severity: 'error', t: '2026-03-17 01:00', ok: true, source: 'perpkit-validate:bars_ohlc' },
      { dataset: 'bars', price: 'last', timeframe: '1h', check: 'nonpositive_price', severity: 'error', t: '2026-03-17 02:00', ok: true, source: 'perpkit-validate:bars_ohlc' },
      { dataset: 'bars', price: 'last', timeframe: '1h', check: 'ohlc_inconsistent', severity: 'error', t: '2026-03-17 03:00', ok: true, source: 'perpkit-validate:bars_ohlc' },
      { dataset: 'bars', price: 'last', timeframe: '1h', check: 'negative_volume', severity: 'error', t: '2026-03-17 04:00', ok: true, source: 'perpkit-validate:bars_ohlc' },
    ]);

    // Re-run: the quarantine is left byte-identical.
    const before = treeHash(join(dir, 'quarantine'));
    const r2 = await validateData({ root: dir }, ctx);
    expect(r2.quarantine.writes.every((w) => w.partitions_written === 0 && w.partitions_deleted === 0)).toBe(true);
    expect(treeHash(join(dir, 'quarantine'))).toBe(before);

    // Validating only funding keeps the bars verdicts of the same venue and symbol.
    await validateData({ root: dir, datasets: ['funding'] }, ctx);
    expect(treeHash(join(dir, 'quarantine'))).toBe(before);

    // A later step stages bars and excludes the quarantined ones, with counts.
    const bars = await datasetFiles(dir, DATASETS.bars, { venue: ['binance-usdm'], price: ['last'], timeframe: ['1h'] });
    await ctx.db.exec(`CREATE TEMP TABLE staged AS SELECT * FROM ${SCAN_SQL}`, { files: listOf(bars) });
    const ex = await excludeQuarantined(ctx, { root: dir, dataset: 'bars', table: 'staged' });
    expect(ex).toMatchObject({ rows_before: 168, rows_excluded: 4, rows_after: 164, quarantine_files: 1 });
    expect(ex.by_check).toEqual({ negative_volume: 1, nonfinite_value: 1, nonpositive_price: 1, ohlc_inconsistent: 1 });
    // Mark bars at the same times are not touched (the key includes the price type).
    await ctx.db.exec(`CREATE TEMP TABLE marks AS SELECT * FROM ${SCAN_SQL}`, {
      files: listOf(await datasetFiles(dir, DATASETS.bars, { price: ['mark'] })),
    });
    expect((await excludeQuarantined(ctx, { root: dir, dataset: 'bars', table: 'marks' })).rows_excluded).toBe(0);
    // Only warn-level verdicts: none of these.
    await ctx.db.exec(`CREATE TEMP TABLE staged2 AS SELECT * FROM ${SCAN_SQL}`, { files: listOf(bars) });
    expect((await excludeQuarantined(ctx, { root: dir, dataset: 'bars', table: 'staged2', severities: ['warn'] })).rows_excluded).toBe(0);

    // Fix the data (restore the clean file): the verdicts drop out, the partition is deleted.
    const rel = 'bars/venue=binance-usdm/symbol=BTC-PERP/price=last/timeframe=1h/month=2026-03/part-0.parquet';
    cpSync(join(FIX, 'clean', rel), join(dir, rel));
    const r3 = await validateData({ root: dir }, ctx);
    expect(r3.failed).toBe(false);
    expect(r3.quarantine.rows).toBe(0);
    expect(await datasetFiles(dir, DATASETS.quarantine)).toEqual([]);
    expect(r3.quarantine.writes.reduce((a, w) => a + w.partitions_deleted, 0)).toBe(1);
  });

  it('excludeQuarantined is a no-op when nothing was validated', async () => {
    const ctx = await testContext();
    await ctx.db.exec(`CREATE TEMP TABLE t AS SELECT 'v' AS venue, 's' AS symbol, TIMESTAMP '2026-01-01' AS event_time`);
    expect(await excludeQuarantined(ctx, { root: tempDir(), dataset: 'funding', table: 't' })).toMatchObject({
      rows_before: 1,
      rows_excluded: 0,
      quarantine_files: 0,
    });
    await expect(excludeQuarantined(ctx, { root: tempDir(), dataset: 'funding', table: 't; DROP TABLE x' })).rejects.toThrow(/refusing identifier/);
  });
});

describe('perpkit validate: CLI', () => {
  it('exit 3 with the table on stdout and the reason on stderr; raw data untouched', async () => {
    const dir = copyFixture('fail/funding_schedule');
    const raw = treeHash(join(dir, 'funding'));
    const r = (await runCli(['validate', '--data-dir', dir, '--datasets', 'funding']));
    expect(r.code).toBe(3);
    expect(r.stdout).toMatch(/^severity\s+dataset\s+venue\s+symbol\s+check\s+count/);
    expect(r.stdout).toMatch(/error\s+funding\s+binance-usdm\s+BTC-PERP\s+funding_out_of_bounds\s+1\s+yes/);
    expect(r.stdout).toMatch(/warn\s+funding\s+binance-usdm\s+BTC-PERP\s+funding_missing\s+1\s+no/);
    expect(r.stderr).toContain('validation failed');
    expect(r.stderr).toContain('funding_off_schedule');
    expect(treeHash(join(dir, 'funding'))).toBe(raw);
    expect(existsSync(join(dir, 'reports'))).toBe(true);
  });

  it('--config overrides severities and thresholds; bad config is exit 2; no data is exit 4', async () => {
    const dir = copyFixture('fail/funding_schedule');
    const cfg = join(tempDir(), 'v.json');
    writeFileSync(
      cfg,
      JSON.stringify({
        checks: { funding_out_of_bounds: { severity: 'warn' }, funding_off_schedule: { enabled: false }, funding_nonfinite: { severity: 'info' } },
        funding: { max_abs_rate_per_hour: 0.01 },
      }),
    );
    const ok = (await runCli(['validate', '--data-dir', dir, '--datasets', 'funding', '--config', cfg, '--json']));
    expect(ok.code, ok.stdout).toBe(0);
    const rep = JSON.parse(ok.stdout) as ValidateResult;
    expect(rep.findings.map((f) => f.check).sort()).toEqual(['funding_missing', 'funding_nonfinite']);
    expect(rep.checks.find((c) => c.check === 'funding_off_schedule')).toMatchObject({ enabled: false, count: 0 });
    expect(ValidateConfigSchema.parse({}).gaps.max_gap_bars).toBe(5);

    writeFileSync(cfg, JSON.stringify({ gaps: { max_gap_bars: -1 } }));
    const bad = (await runCli(['validate', '--data-dir', dir, '--config', cfg, '--json']));
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout).error.message).toContain('gaps.max_gap_bars');
    writeFileSync(cfg, JSON.stringify({ checks: { no_such_check: { severity: 'warn' } } }));
    expect((await runCli(['validate', '--data-dir', dir, '--config', cfg])).code).toBe(2);
    expect((await runCli(['validate', '--data-dir', dir, '--datasets', 'quarantine'])).code).toBe(2);
    const none = (await runCli(['validate', '--data-dir', tempDir(), '--json']));
    expect(none.code).toBe(4);
    expect(JSON.parse(none.stdout).error.hint).toContain('perpkit fetch --source sample');
  });
});
