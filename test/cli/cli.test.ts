import { describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { CANDLES, runCli, tempDir, treeHash } from '../helpers.js';

const PIPELINE = ['fetch', 'record', 'validate', 'features', 'split', 'research', 'train', 'backtest', 'report'];

describe('perpkit CLI', () => {
  it('lists every pipeline command in --help', async () => {
    const r = (await runCli(['--help']));
    expect(r.code).toBe(0);
    for (const c of [...PIPELINE, 'datasets']) expect(r.stdout).toMatch(new RegExp(`^\\s+${c}\\s`, 'm'));
  });

  it('bad flags are usage errors (exit 2), as one JSON document under --json', async () => {
    const r = (await runCli(['fetch', '--no-such-flag', '--json']));
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 2, kind: 'usage' } });
    const s = (await runCli(['fetch', '--source', 'nowhere']));
    expect(s.code).toBe(2);
    expect(s.stderr).toMatch(/nowhere/);
    const t = (await runCli(['fetch', '--from', 'yesterday', '--data-dir', tempDir()]));
    expect(t.code).toBe(2);
    expect(t.stderr).toContain('--from');
  });

  it('refuses a symbol that is not a safe name (exit 2) and writes nothing', async () => {
    const dir = tempDir();
    for (const sym of ['../../x', 'a/b']) {
      const r = (await runCli(['fetch', '--source', 'files', '--path', CANDLES, '--symbols', sym, '--data-dir', dir, '--json']));
      expect(r.code).toBe(2);
      expect(JSON.parse(r.stdout).error.message).toContain(sym);
    }
    expect(treeHash(dir)).toBe(treeHash(tempDir()));
  });

  it('a missing input path is exit 4 with the next step', async () => {
    const r = (await runCli(['fetch', '--source', 'files', '--path', '/no/such/dir', '--data-dir', tempDir()]));
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('/no/such/dir');
    expect(r.stderr).toContain('--path');
    const d = (await runCli(['datasets', '--data-dir', '/no/such/data', '--json']));
    expect(d.code).toBe(4);
    expect(JSON.parse(d.stdout).error.hint).toContain('perpkit fetch --source sample');
  });

  it('a CSV with a bad value is refused with exit 3 naming the column, value and count; stored data unchanged', async () => {
    const dir = tempDir();
    expect((await runCli(['fetch', '--source', 'files', '--path', join(CANDLES, 'spot'), '--data-dir', dir, '--quiet'])).code).toBe(0);
    const before = treeHash(dir);
    // The real spot 5m file with two closes replaced by NaN.
    const bad = tempDir();
    const lines = gunzipSync(readFileSync(join(CANDLES, 'spot', 'BTC_USDT-5m.csv.gz'))).toString('utf8').trimEnd().split('\n');
    lines[3] = lines[3]!.replace(/,[^,]*,([^,]*)$/, ',NaN,$1');
    lines[4] = lines[4]!.replace(/,[^,]*,([^,]*)$/, ',NaN,$1');
    mkdirSync(join(bad, 'spot'));
    writeFileSync(join(bad, 'spot', 'BTC_USDT-5m.csv.gz'), gzipSync(lines.join('\n') + '\n'));
    const r = (await runCli(['fetch', '--source', 'files', '--path', bad, '--data-dir', dir]));
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('bars');
    expect(r.stderr).toContain('column close');
    expect(r.stderr).toContain('2 row(s)');
    expect(r.stderr).toContain('NaN');
    const j = (await runCli(['fetch', '--source', 'files', '--path', bad, '--data-dir', dir, '--json']));
    expect(j.code).toBe(3);
    expect(JSON.parse(j.stdout).error.details.violations[0]).toMatchObject({ column: 'close', rows: 2 });
    expect(treeHash(dir)).toBe(before);
  });

  it('uses PERPKIT_DATA_DIR when --data-dir is not given', async () => {
    const dir = tempDir();
    const r = (await runCli(['fetch', '--source', 'files', '--path', join(CANDLES, 'spot'), '--json'], { env: { PERPKIT_DATA_DIR: dir } }));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).data_dir).toBe(dir);
    const l = (await runCli(['datasets', '--json'], { env: { PERPKIT_DATA_DIR: dir } }));
    expect(JSON.parse(l.stdout).datasets.map((d: { symbol: string; timeframe: string }) => `${d.symbol}/${d.timeframe}`)).toEqual([
      'BTC-SPOT/1h',
      'BTC-SPOT/5m',
      'BTC-SPOT/null',
    ]);
  });

  it('duplicate CSV bars: exact copies are dropped with a count, conflicting ones refuse the import (exit 3)', async () => {
    const lines = gunzipSync(readFileSync(join(CANDLES, 'spot', 'BTC_USDT-1h.csv.gz'))).toString('utf8').trimEnd().split('\n').slice(0, 6);
    const src = tempDir();
    // the same file twice (plain and gzipped) and two repeated lines: 5 bars, 7 + 5 rows read
    writeFileSync(join(src, 'BTC_USDT-1h.csv'), [...lines, lines[2], lines[3]].join('\n') + '\n');
    mkdirSync(join(src, 'copy'));
    writeFileSync(join(src, 'copy', 'BTC_USDT-1h.csv.gz'), gzipSync(lines.join('\n') + '\n'));
    const dir = tempDir();
    const r = (await runCli(['fetch', '--source', 'files', '--path', src, '--data-dir', dir, '--json']));
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { duplicates_dropped: { bars: number }; writes: Array<{ dataset: string; rows_in: number }> };
    expect(out.duplicates_dropped).toEqual({ bars: 7 });
    expect(out.writes.find((w) => w.dataset === 'bars')?.rows_in).toBe(5);
    expect(r.stderr).toContain('bars: 7 duplicate row(s)');
    // a second version of one bar: no telling which is right
    const conflict = tempDir();
    writeFileSync(join(conflict, 'BTC_USDT-1h.csv'), [...lines, `${lines[2]!.split(',')[0]},1,2,0.5,1.5,3`].join('\n') + '\n');
    const before = treeHash(dir);
    const c = (await runCli(['fetch', '--source', 'files', '--path', conflict, '--data-dir', dir]));
    expect(c.code).toBe(3);
    expect(c.stderr).toMatch(/bars: 1 key\(s\) appear more than once with different values, e\.g\. .*event_time=2026-03-14 02:00:00/);
    expect(treeHash(dir)).toBe(before);
  });

  it('an empty CSV import is exit 4 with a message; nothing is written', async () => {
    const src = tempDir();
    writeFileSync(join(src, 'BTC_USDT-1h.csv'), 'date,open,high,low,close,volume\n');
    const dir = tempDir();
    const r = (await runCli(['fetch', '--source', 'files', '--path', src, '--data-dir', dir]));
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('no rows to import');
    expect(r.stderr).toContain('BTC_USDT-1h.csv');
    expect(treeHash(dir)).toBe(treeHash(tempDir()));
  });

  it('record with no network (a closed local port): exit 5, nothing written', async () => {
    const { createServer } = await import('node:net');
    const srv = createServer();
    await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((res) => srv.close(() => res()));
    const dir = tempDir();
    const r = (await runCli(['record', '--venue', 'coinbase', '--symbols', 'BTC', '--url', `ws://127.0.0.1:${port}`, '--duration', '2s', '--data-dir', dir, '--json']));
    expect(r.code).toBe(5);
    const err = (JSON.parse(r.stdout) as { error: { kind: string; message: string; details: { connects: number } } }).error;
    expect(err.kind).toBe('upstream');
    expect(err.message).toMatch(/nothing was recorded .* no connection could be made in 2 s \(last error: connect ECONNREFUSED 127\.0\.0\.1:\d+\)/);
    expect(err.details.connects).toBe(0);
    expect(treeHash(dir)).toBe(treeHash(tempDir()));
  });
});
