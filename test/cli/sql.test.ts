import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { isPerpkitError } from '../../src/domain/errors.js';
import { openSqlSession, runSql } from '../../src/services/sql.js';
import { barFile, rewrite } from '../validate/inject.js';
import { ROOT, runCli, runCliMany, tempDir, testContext, treeHash, type CliRun } from '../helpers.js';

/** runCli after a turn of the event loop (kept from when runCli blocked it). */
async function run(args: string[]): Promise<CliRun> {
  await new Promise((r) => setImmediate(r));
  return (await runCli(args));
}

/**
 * The bundled real sample with labels (1h, from 2026-01-01), a holdout split "h", and one bar made
 * inconsistent (high below low) and quarantined by validate; built once, copied per test.
 */
let template = '';
const BTC_1H = { venue: 'binance-usdm', symbol: 'BTC-PERP', price: 'last', timeframe: '1h' };
const BAD_BAR = '2026-03-10 12:00:00';

beforeAll(async () => {
  template = mkdtempSync(join(tmpdir(), 'perpkit-sql-template-'));
  cpSync(join(ROOT, 'data', 'sample'), template, { recursive: true });
  const ctx = await testContext();
  await rewrite(
    ctx.db,
    barFile(template, BTC_1H, '2026-03'),
    `SELECT * REPLACE (CASE WHEN event_time = TIMESTAMP '${BAD_BAR}' THEN low - 1 ELSE high END AS high) FROM __f ORDER BY event_time`,
  );
  // the three steps in one process (runCliMany: each through oclif as bin/run.js runs it)
  const steps = [
    ['features', '--labels', '--from', '2026-01-01', '--horizons', '1h'],
    ['split', '--name', 'h', '--buffer', '1d'],
    ['validate'],
  ].map((args) => [...args, '--data-dir', template, '--quiet']);
  const ran = await runCliMany(steps, { timeoutMs: 300_000 });
  ran.slice(0, 2).forEach((r, k) => {
    if (r.code !== 0) throw new Error(`${steps[k]!.join(' ')}: ${r.stderr}`);
  });
  const v = ran[2]!;
  if (v.code !== 3) throw new Error(`validate should find the bad bar: ${v.code} ${v.stderr}`);
}, 300_000);
afterAll(() => rmSync(template, { recursive: true, force: true }));

function copy(): string {
  const dir = tempDir();
  cpSync(template, dir, { recursive: true });
  return dir;
}

function expectClean(r: CliRun): void {
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/); // no stack trace
  expect(r.stderr).not.toMatch(/(Parser|Binder|Catalog|Permission|Invalid Input|Conversion) Error:/);
  expect(r.stderr).not.toContain('unexpected');
}

const csv = (r: CliRun): string[][] => r.stdout.trim().split('\n').map((l) => l.split(','));

describe('perpkit sql', () => {
  it('queries the dataset views in table, csv and json; counts equal a direct read of the files', async () => {
    const dir = copy();
    const before = treeHash(dir);
    const q = "SELECT symbol, timeframe, count(*) AS n FROM bars WHERE venue = 'binance-usdm' AND price = 'last' GROUP BY ALL ORDER BY ALL";
    const c = await run(['sql', q, '--data-dir', dir, '--format', 'csv']);
    expect(c.code, c.stderr).toBe(0);
    const rows = csv(c);
    expect(rows[0]).toEqual(['symbol', 'timeframe', 'n']);
    // Direct count over the Parquet files, minus the one quarantined bar.
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    const direct = await conn.runAndReadAll(
      `SELECT count(*)::INTEGER AS n FROM read_parquet('${dir}/bars/venue=binance-usdm/symbol=BTC-PERP/price=last/timeframe=1h/*/*.parquet')`,
    );
    const n = Number(direct.getRowObjects()[0]?.['n']);
    conn.closeSync();
    inst.closeSync();
    expect(rows.find((r) => r[0] === 'BTC-PERP' && r[1] === '1h')).toEqual(['BTC-PERP', '1h', String(n - 1)]);
    const j = await run(['sql', q, '--data-dir', dir, '--format', 'json']);
    expect(j.code).toBe(0);
    const objs = JSON.parse(j.stdout) as Array<{ symbol: string; timeframe: string; n: number }>;
    expect(objs.find((o) => o.symbol === 'BTC-PERP' && o.timeframe === '1h')?.n).toBe(n - 1);
    const t = await run(['sql', q, '--data-dir', dir]);
    expect(t.stdout.split('\n')[0]).toMatch(/^symbol\s+timeframe\s+n$/);
    expect(t.stdout).toMatch(new RegExp(`BTC-PERP\\s+1h\\s+${n - 1}\\n`));
    expect(treeHash(dir)).toBe(before);
  });

  it('leaves quarantined rows out unless --include-quarantined', async () => {
    const dir = copy();
    const q = `SELECT count(*) AS n FROM bars WHERE symbol = 'BTC-PERP' AND timeframe = '1h' AND price = 'last' AND event_time = TIMESTAMP '${BAD_BAR}'`;
    expect(csv(await run(['sql', q, '--data-dir', dir, '--format', 'csv']))[1]).toEqual(['0']);
    expect(csv(await run(['sql', q, '--data-dir', dir, '--format', 'csv', '--include-quarantined']))[1]).toEqual(['1']);
    const qv = await run(['sql', `SELECT dataset, "check", symbol, event_time FROM quarantine WHERE "check" = 'ohlc_inconsistent'`, '--data-dir', dir, '--format', 'csv']);
    expect(csv(qv)[1]).toEqual(['bars', 'ohlc_inconsistent', 'BTC-PERP', BAD_BAR]);
  });

  it('macros: as-of price by available_time, split segments matching the split file, the sealed test left out', async () => {
    const dir = copy();
    const split = JSON.parse(readFileSync(join(dir, 'splits', 'h.json'), 'utf8')) as { segments: Array<{ name: string; rows: Record<string, number> }> };
    const train = split.segments.find((s) => s.name === 'train')?.rows ?? {};
    const r = await run([
      'sql',
      "SELECT symbol, count(*) AS n, count(*) FILTER (WHERE in_split('h', 'train', event_time)) AS m FROM split_labels('h', 'train') GROUP BY ALL ORDER BY symbol",
      '--data-dir',
      dir,
      '--format',
      'json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(Object.entries(train).sort().map(([symbol, n]) => ({ symbol, n, m: n })));
    const sealed = await run(['sql', "SELECT count(*) AS n FROM split_labels('h', 'test')", '--data-dir', dir, '--format', 'csv']);
    expect(csv(sealed)[1]).toEqual(['0']);
    // as-of price: the close of the latest 'last' bar that had arrived by t (never one still open).
    const at = '2026-03-14 12:00:00.5';
    const p = await run(['sql', `SELECT asof_price('binance-usdm', 'BTC-PERP', TIMESTAMP '${at}') AS p`, '--data-dir', dir, '--format', 'json']);
    const ctx = await testContext();
    const [expected] = await ctx.db.all(
      `SELECT close FROM read_parquet('${dir}/bars/venue=binance-usdm/symbol=BTC-PERP/price=last/*/*/*.parquet') WHERE available_time <= TIMESTAMP '${at}' ORDER BY event_time DESC LIMIT 1`,
    );
    expect(JSON.parse(p.stdout)).toEqual([{ p: expected?.['close'] }]);
  });

  it('refuses every write, attach, copy, install and setting change (exit 2), data dir unchanged', async () => {
    const dir = copy();
    const before = treeHash(dir);
    const out = join(dir, 'bars', 'evil.parquet');
    const attempts = [
      `COPY (SELECT 1 AS x) TO '${join(tempDir(), 'x.csv')}'`,
      `COPY bars TO '${out}' (FORMAT parquet)`,
      'CREATE TABLE t AS SELECT 1 AS x',
      'CREATE OR REPLACE VIEW bars AS SELECT 1 AS x',
      'INSERT INTO quarantine SELECT * FROM quarantine',
      'UPDATE bars SET close = 1',
      'DELETE FROM bars',
      `ATTACH '${join(dir, 'db.duckdb')}' AS d`,
      'INSTALL httpfs',
      'LOAD httpfs',
      'SET enable_external_access = true',
      'PRAGMA enable_profiling',
      'SELECT 1; DROP VIEW bars',
      `SELECT * FROM read_csv('${join(ROOT, 'package.json')}')`,
      `SELECT * FROM read_parquet('${dir}/bars/**/*.parquet') LIMIT 1`,
    ];
    // Every attempt through the service (a fresh session each: the engine locks its configuration)...
    for (const q of attempts) {
      const ctx = await testContext();
      const err = await runSql({ root: dir, sql: q }, ctx).catch((e: unknown) => e);
      expect(isPerpkitError(err) ? [err.exitCode, err.message] : err, q).toEqual([2, expect.stringMatching(/refused|one statement per call/)]);
    }
    // ... and a few through the CLI: exit 2, the reason on stderr, nothing on stdout.
    for (const q of [attempts[0], attempts[1], attempts[2], attempts[7], attempts[12]] as string[]) {
      const r = await run(['sql', q, '--data-dir', dir]);
      expect(r.code, `${q}: ${r.stderr}`).toBe(2);
      expect(r.stderr, q).toMatch(/refused|one statement per call/);
      expect(r.stdout, q).toBe('');
      expectClean(r);
    }
    expect(existsSync(out)).toBe(false);
    expect(treeHash(dir)).toBe(before);
  }, 300_000);

  it('the engine-level guard holds even for statements that skip the inspection', async () => {
    const dir = copy();
    const ctx = await testContext();
    const s = await openSqlSession(ctx, dir);
    expect(s.defined).toEqual(expect.arrayContaining(['bars', 'funding', 'labels', 'splits', 'split_intervals', 'asof_price', 'split_labels']));
    expect(s.missing).toEqual(expect.arrayContaining(['trades', 'quotes', 'book', 'features']));
    expect(Number(await ctx.db.scalar('SELECT count(*) FROM funding'))).toBeGreaterThan(1000);
    const before = treeHash(dir);
    const target = join(dir, 'funding', 'venue=binance-usdm', 'symbol=BTC-PERP', 'month=2026-03', 'part-0.parquet');
    for (const stmt of [
      `COPY (SELECT 1 AS x) TO '${join(dir, 'x.csv')}'`,
      `COPY (SELECT 1 AS x) TO '${target}' (FORMAT parquet)`,
      `ATTACH '${join(dir, 'db.duckdb')}' AS d`,
      `SELECT * FROM read_csv('${join(ROOT, 'package.json')}')`,
      'SET enable_external_access = true',
      "SET allowed_paths = ['/']",
    ]) {
      await expect(ctx.db.exec(stmt), stmt).rejects.toThrow(/Permission Error|configuration has been locked/);
    }
    expect(treeHash(dir)).toBe(before);
    // The file guard cannot tell reading a listed file from overwriting it in place; the parser
    // check and the binder's statement type refuse that (and every other non-SELECT) before it runs.
    const ctx2 = await testContext();
    const err = await runSql({ root: dir, sql: `COPY (SELECT 1 AS x) TO '${target}' (FORMAT parquet, USE_TMP_FILE false)` }, ctx2).catch((e: unknown) => e);
    expect(isPerpkitError(err) && err.exitCode).toBe(2);
    expect(treeHash(dir)).toBe(before);
  });

  it('syntax errors, unknown names and datasets not stored: clean errors with the right exit code', async () => {
    const dir = copy();
    const syn = await run(['sql', 'SELEC count(*) FROM bars', '--data-dir', dir]);
    expect(syn.code).toBe(2);
    expect(syn.stderr).toContain('syntax error in the query: syntax error at or near "SELEC"');
    expectClean(syn);
    const col = await run(['sql', 'SELECT nosuch FROM bars', '--data-dir', dir, '--json']);
    expect(col.code).toBe(2);
    expect(JSON.parse(col.stdout).error).toMatchObject({ kind: 'usage', message: expect.stringContaining('"nosuch" not found') });
    const tbl = await run(['sql', 'SELECT * FROM nosuch', '--data-dir', dir]);
    expect(tbl.code).toBe(2);
    expect(tbl.stderr).toContain('no table or view nosuch');
    const trades = await run(['sql', 'SELECT count(*) FROM trades', '--data-dir', dir]);
    expect(trades.code).toBe(4);
    expect(trades.stderr).toContain('no trades stored under');
    expectClean(trades);
    expect((await run(['sql', '--data-dir', dir])).code).toBe(2);
    expect((await run(['sql', '   ', '--data-dir', dir])).code).toBe(2);
    expect((await run(['sql', 'SELECT 1', '--init', '--data-dir', dir])).code).toBe(2);
    const notDir = join(dir, 'README.md');
    expect((await run(['sql', 'SELECT 1', '--data-dir', notDir])).code).toBe(2);
    expect((await run(['sql', 'SELECT 1', '--data-dir', join(dir, 'nope')])).code).toBe(4);
    // The service maps a damaged file to exit 3 too.
    writeFileSync(join(dir, 'funding', 'venue=binance-usdm', 'symbol=BTC-PERP', 'month=2026-03', 'part-0.parquet'), '');
    const ctx = await testContext();
    const err = await runSql({ root: dir, sql: 'SELECT 1' }, ctx).catch((e: unknown) => e);
    expect(isPerpkitError(err) && err.exitCode).toBe(3);
  });

  it('Ctrl-C during a long query: exit 130, nothing printed on stdout', async () => {
    const dir = copy();
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), 'sql', 'SELECT count(*) FROM range(1000000000000) a WHERE hash(a.range) = 0', '--data-dir', dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Interrupt once the CLI is past start-up (DuckDB's library loaded, then a margin for the
    // session to open): a signal before perpkit installs its handlers would just kill Node.
    const t0 = Date.now();
    const loaded = (): boolean => {
      try {
        return readFileSync(`/proc/${child.pid}/maps`, 'utf8').includes('duckdb');
      } catch {
        return Date.now() - t0 > 6000; // no /proc: fall back to a fixed wait
      }
    };
    while (!loaded() && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 2500));
    const sent = Date.now();
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, stderr).toBe(130);
    expect(Date.now() - sent).toBeLessThan(4000);
    expect(stdout).toBe('');
    expect(stderr).not.toContain('unexpected');
  });

  it('--init prints the same views and macros for DuckDB; loaded elsewhere they give the same answers', async () => {
    const dir = copy();
    const init = await run(['sql', '--init', '--data-dir', dir]);
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain(`SET VARIABLE perpkit_files_bars = '${dir}/bars/**/*.parquet';`);
    expect(init.stdout).toContain('-- trades: nothing stored under');
    expect(init.stdout).toContain('CREATE OR REPLACE MACRO split_labels');
    const q =
      "SELECT (SELECT count(*) FROM bars)::BIGINT AS bars, (SELECT count(*) FROM split_labels('h', 'validation'))::BIGINT AS val, asof_price('binance-usdm', 'ETH-PERP', TIMESTAMP '2026-03-20 00:00') AS eth";
    const viaCli = JSON.parse((await run(['sql', q, '--data-dir', dir, '--format', 'json'])).stdout) as Array<Record<string, unknown>>;
    const inst = await DuckDBInstance.create(':memory:');
    const conn = await inst.connect();
    await conn.run(init.stdout);
    const r = await conn.runAndReadAll(q);
    const row = r.getRowObjectsJson()[0] as Record<string, unknown>;
    conn.closeSync();
    inst.closeSync();
    expect({ bars: Number(row['bars']), val: Number(row['val']), eth: row['eth'] }).toEqual(viaCli[0]);
    expect(viaCli[0]?.['val']).toBeGreaterThan(1000);
  });
});
