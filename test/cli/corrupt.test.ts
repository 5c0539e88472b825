import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { allParquetFiles } from '../../src/store/integrity.js';
import { ROOT, runCli, tempDir, treeHash, type CliRun } from '../helpers.js';

/** runCli after a turn of the event loop (kept from when runCli blocked it). */
async function run(args: string[]): Promise<CliRun> {
  await new Promise((r) => setImmediate(r));
  return (await runCli(args));
}

/** Real sample partitions (bundled Binance data) that the tests damage. */
const BARS = 'bars/venue=binance-usdm/symbol=BTC-PERP/price=last/timeframe=1h/month=2025-06/part-0.parquet';
const FUNDING = 'funding/venue=binance-usdm/symbol=ETH-PERP/month=2025-06/part-0.parquet';

function sample(): string {
  const dir = tempDir();
  cpSync(join(ROOT, 'data', 'sample'), dir, { recursive: true });
  return dir;
}

function expectClean(r: CliRun): void {
  expect(r.stderr).not.toMatch(/No magic bytes|File '.*' too small|Invalid Input Error|Invalid Error/);
  expect(r.stderr).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/); // no stack trace
  expect(r.stderr).not.toContain('unexpected');
}

describe('damaged Parquet files in the data dir (CLI)', () => {
  it('every reading command names the file and sends the user to validate (exit 3), changing nothing', async () => {
    const dir = sample();
    const l = await run(['features', '--labels', '--data-dir', dir, '--from', '2026-01-01', '--horizons', '1h', '--quiet']);
    expect(l.code, l.stderr).toBe(0);
    const labels = allParquetFiles(join(dir, 'labels'))[0] as string;
    truncateSync(labels, 10);
    truncateSync(join(dir, BARS), 1000);
    const before = treeHash(dir);
    const runs: Array<[string, string[], string]> = [
      ['datasets', ['datasets', '--data-dir', dir], BARS],
      ['features', ['features', '--data-dir', dir, '--from', '2025-06-01', '--to', '2025-07-01', '--quiet'], BARS],
      ['split', ['split', '--name', 'x', '--data-dir', dir], relative(dir, labels)],
      ['sql', ['sql', 'SELECT count(*) FROM funding', '--data-dir', dir], BARS],
    ];
    for (const [name, args, file] of runs) {
      const r = await run(args);
      expect(r.code, `${name}: ${r.stderr}`).toBe(3);
      expect(r.stderr, name).toContain(file);
      expect(r.stderr, name).toContain('perpkit validate');
      expect(r.stdout, name).toBe('');
      expectClean(r);
      expect(treeHash(dir), name).toBe(before);
    }
    const j = await run(['datasets', '--data-dir', dir, '--json']);
    expect(j.code).toBe(3);
    const doc = JSON.parse(j.stdout) as { error: { kind: string; message: string; hint: string; details: { corrupt_files: Array<{ file: string }> } } };
    expect(doc.error.kind).toBe('validation');
    expect(doc.error.details.corrupt_files[0]?.file).toBe(join(dir, BARS));
    expect(treeHash(dir)).toBe(before);
  });

  it('validate names the file, moves it aside with a record and exits 3; then the data reads again', async () => {
    const dir = sample();
    truncateSync(join(dir, BARS), 1000);
    writeFileSync(join(dir, FUNDING), '');
    const bytes = readFileSync(join(dir, BARS));
    const v = await run(['validate', '--data-dir', dir]);
    expect(v.code, v.stderr).toBe(3);
    expectClean(v);
    expect(v.stderr).toContain(`${BARS} is truncated or damaged`);
    expect(v.stderr).toContain(`${FUNDING} is empty (0 bytes)`);
    expect(v.stderr).toContain('moved aside');
    expect(v.stdout).toContain('damaged_file');
    expect(existsSync(join(dir, BARS))).toBe(false);
    const records = readFileSync(join(dir, '.perpkit', 'quarantine-files', 'records.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; moved_to: string; size: number; reason: string });
    expect(records.map((r) => r.file).sort()).toEqual([BARS, FUNDING]);
    const barsRec = records.find((r) => r.file === BARS);
    expect(barsRec?.size).toBe(1000);
    expect(readFileSync(join(dir, barsRec?.moved_to as string))).toEqual(bytes); // nothing deleted
    // Other commands read the rest again; validate no longer reports the moved files.
    const ls = await run(['datasets', '--data-dir', dir, '--json']);
    expect(ls.code, ls.stderr).toBe(0);
    const again = await run(['validate', '--data-dir', dir, '--json']);
    expect(again.stdout).not.toContain('damaged_file');
    const doc = JSON.parse(again.stdout) as { corrupt_files?: unknown[]; error?: { details: { report: { corrupt_files: unknown[] } } } };
    expect(doc.corrupt_files ?? doc.error?.details.report.corrupt_files).toEqual([]);
  });

  it('validate --json with only a damaged file: exit 3, the file in the error document', async () => {
    const dir = tempDir();
    cpSync(join(ROOT, 'data', 'sample', 'funding', 'venue=binance-usdm', 'symbol=BTC-PERP'), join(dir, 'funding', 'venue=binance-usdm', 'symbol=BTC-PERP'), {
      recursive: true,
    });
    const only = 'funding/venue=binance-usdm/symbol=BTC-PERP/month=2025-06/part-0.parquet';
    truncateSync(join(dir, only), 0);
    const v = await run(['validate', '--data-dir', dir, '--datasets', 'funding', '--json']);
    expect(v.code, v.stderr).toBe(3);
    const doc = JSON.parse(v.stdout) as { error: { message: string; details: { report: { corrupt_files: Array<{ file: string; moved_to: string }> } } } };
    expect(doc.error.message).toContain(only);
    expect(doc.error.details.report.corrupt_files[0]?.file).toBe(only);
    expect(existsSync(join(dir, doc.error.details.report.corrupt_files[0]?.moved_to as string))).toBe(true);
  });

  it('a data page damaged between intact ends: reads exit 3 sending the user to validate, which finds and moves it', async () => {
    const dir = sample();
    const f = join(dir, FUNDING);
    const b = readFileSync(f);
    for (let i = 8; i < 200; i++) b[i] = (b[i] as number) ^ 0x5a;
    writeFileSync(f, b);
    const before = treeHash(dir);
    const q = await run(['sql', 'SELECT max(event_time), max(funding_rate) FROM funding', '--data-dir', dir]);
    expect(q.code, q.stderr).toBe(3);
    expect(q.stderr).toContain('perpkit validate');
    expectClean(q);
    expect(treeHash(dir)).toBe(before);
    const v = await run(['validate', '--data-dir', dir, '--datasets', 'funding']);
    expect(v.code, v.stderr).toBe(3);
    expect(v.stderr).toContain(`${FUNDING} is damaged (a data page cannot be decoded)`);
    expectClean(v);
    expect(existsSync(f)).toBe(false);
    const again = await run(['sql', 'SELECT count(*) AS n FROM funding', '--data-dir', dir, '--format', 'csv']);
    expect(again.code, again.stderr).toBe(0);
  });
});
