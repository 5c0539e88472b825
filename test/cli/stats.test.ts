import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckSession } from '../../src/store/duckdb.js';
import { normalArray } from '../../src/stats/random.js';
import { runProcess, type CliRun } from '../helpers.js';

// Runs the built CLI (npm test builds first; by hand: npx tsc -p tsconfig.build.json).
const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
const FIXTURE = join(ROOT, 'test/fixtures/stats/btc_usdt_1h_returns.csv');

function run(...args: string[]): Promise<CliRun> {
  return runProcess(process.execPath, [join(ROOT, 'bin/run.js'), 'stats', ...args], { cwd: ROOT, env: { ...process.env, PERPKIT_DEBUG: '' } });
}

async function json(args: string[]): Promise<Record<string, unknown>> {
  const r = await run(...args, '--json');
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Writes a T x N matrix as CSV with a time column; column j is s<j>. */
function writeMatrix(path: string, values: Float64Array, rows: number, cols: number): void {
  const lines = [['time', ...Array.from({ length: cols }, (_, j) => `s${j}`)].join(',')];
  for (let t = 0; t < rows; t++) {
    const ts = new Date(Date.UTC(2024, 0, 1) + t * 3600_000).toISOString();
    lines.push([ts, ...Array.from({ length: cols }, (_, j) => String(values[t * cols + j]))].join(','));
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'perpkit-stats-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

// Values from test/fixtures/stats/reference.py (numpy/scipy, empyrical formulas) on the fixture.
const REF_RETURNS = {
  total_return: -0.060195042917409736,
  cagr: -0.5301501791794141,
  annual_volatility: 0.5391807351198873,
  sharpe: -1.1312250557294896,
  sortino: -1.5611130045281683,
  max_drawdown: -0.20192927236459457,
  calmar: -2.6254250954868907,
  var: -0.008151133500394592,
  cvar: -0.014409985489229667,
  skewness: -0.3332888499820498,
  kurtosis: 9.982262151581153,
  hit_rate: 0.49444444444444446,
  profit_factor: 0.9635122001681681,
  win_loss_ratio: 0.9851641597225089,
};

describe('perpkit stats --returns', () => {
  it('prints an aligned table of the metrics of a real hourly BTC returns CSV', async () => {
    const r = await run('--returns', FIXTURE);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const lines = r.stdout.trimEnd().split('\n');
    const line = (label: string): string => lines.find((l) => l.startsWith(label)) ?? '';
    expect(line('observations')).toMatch(/\s720$/);
    expect(line('periods per year')).toMatch(/\s8760\s+median gap of 3600 s in "date"/);
    expect(line('Sharpe (annualised)')).toMatch(/\s-1\.13123$/);
    expect(line('max drawdown ')).toMatch(/\s-0\.201929$/);
    expect(line('kurtosis (raw)')).toMatch(/\s9\.98226$/);
    expect(line('turnover')).toMatch(/n\/a\s+no position column given$/);
    // Values are right-aligned in one column.
    const ends = ['observations', 'Sharpe (annualised)', 'total return'].map((l) => line(l).length);
    expect(new Set(ends).size).toBe(1);
  });

  it('--json matches numpy/scipy reference values, with positions', async () => {
    const out = await json(['--returns', FIXTURE]);
    const m = out['metrics'] as Record<string, number>;
    for (const [k, v] of Object.entries(REF_RETURNS)) expect(Math.abs(m[k]! - v), k).toBeLessThan(1e-10);
    expect(out['psr'] as number).toBeCloseTo(0.37270856513313166, 10);
    const s = await json(['--returns', FIXTURE, '--column', 'strategy_returns', '--position-column', 'position']);
    const sm = s['metrics'] as Record<string, number>;
    expect(sm['sharpe']!).toBeCloseTo(-0.26450276366291664, 10);
    expect(sm['trades']).toBe(84);
    expect(sm['turnover']!).toBeCloseTo(1022, 9);
    expect(sm['exposure']!).toBeCloseTo(0.5236111111111111, 12);
    expect(s['psr'] as number).toBeCloseTo(0.46981230232518667, 10);
  });

  it('reads Parquet the same as CSV, and --periods-per-year overrides the time column', async () => {
    const pq = join(dir, 'returns.parquet');
    const db = await DuckSession.open();
    try {
      await db.exec(`COPY (SELECT * FROM read_csv_auto($src)) TO '${pq.replaceAll("'", "''")}' (FORMAT parquet)`, { src: FIXTURE });
    } finally {
      db.close();
    }
    const m = (await json(['--returns', pq]))['metrics'] as Record<string, number>;
    expect(m['sharpe']!).toBeCloseTo(REF_RETURNS.sharpe, 10);
    const daily = (await json(['--returns', pq, '--periods-per-year', '365']))['metrics'] as Record<string, number>;
    expect(daily['periods_per_year']).toBe(365);
    expect(daily['sharpe']! / m['sharpe']!).toBeCloseTo(Math.sqrt(365 / 8760), 12);
  });

  it('adds the deflated Sharpe ratio with --dsr', async () => {
    const out = await json(['--returns', FIXTURE, '--dsr', '--trials', '10', '--trials-sharpe-variance', '1']);
    const d = out['dsr'] as Record<string, number>;
    expect(d['trials']).toBe(10);
    expect(d['sharpe']!).toBeCloseTo(REF_RETURNS.sharpe, 10);
    // A negative Sharpe cannot beat the trials' expected maximum: DSR < PSR, no MinTRL.
    expect(d['dsr']!).toBeLessThan(out['psr'] as number);
    expect(d['min_track_record_length']).toBeNull();
    expect((d['notes'] as unknown as Record<string, string>)['min_track_record_length']).toMatch(/does not exceed/);
  });

  it('gives null with a reason, never NaN, for zero-variance returns; drops missing rows with a warning', async () => {
    const f = join(dir, 'flat.csv');
    writeFileSync(f, 'returns\n0.001\n\n0.001\nnan\n0.001\n0.001\n');
    const r = await run('--returns', f, '--periods-per-year', '8760', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: 2 row\(s\) .* left out/);
    expect(r.stdout).not.toMatch(/NaN|Infinity/);
    const out = JSON.parse(r.stdout) as { metrics: Record<string, unknown>; rows_dropped: number };
    expect(out.rows_dropped).toBe(2); // the empty line and the nan
    expect(out.metrics['observations']).toBe(4);
    expect(out.metrics['sharpe']).toBeNull();
    expect((out.metrics['notes'] as Record<string, string>)['sharpe']).toMatch(/zero variance/);
    const human = await run('--returns', f, '--periods-per-year', '8760');
    expect(human.stdout).toMatch(/Sharpe \(annualised\)\s+n\/a\s+returns have zero variance/);
  });
});

describe('perpkit stats --dsr', () => {
  it('reproduces the Bailey and Lopez de Prado (2014) example: DSR 0.9004', async () => {
    const args = ['--dsr', '--sharpe', '2.5', '--periods-per-year', '250', '--observations', '1250', '--trials', '100'];
    args.push('--trials-sharpe-variance', '0.5', '--skew', '-3', '--kurtosis', '10');
    const out = await json(args);
    expect(out['kind']).toBe('dsr');
    expect(Math.abs((out['dsr'] as number) - 0.9004)).toBeLessThan(1e-4);
    expect(out['expected_max_sharpe'] as number).toBeCloseTo(1.7894, 4);
    const human = await run(...args);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^DSR\s+0\.900397\s+probability that the true Sharpe exceeds SR\*$/m);
  });

  it('says which input is missing (exit 2)', async () => {
    const r = await run('--dsr', '--sharpe', '2.5', '--periods-per-year', '250', '--observations', '1250');
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/needs --trials/);
  });
});

describe('perpkit stats --pbo', () => {
  it('is near 0.5 on noise and near 0 when one strategy dominates', async () => {
    const T = 480;
    const N = 10;
    const noiseFile = join(dir, 'noise.csv');
    writeMatrix(noiseFile, normalArray(T * N, 3, 0, 0.01), T, N);
    const noise = await json(['--pbo', noiseFile, '--blocks', '16']);
    expect(noise['combinations']).toBe(12870);
    expect(noise['strategies']).toBe(N);
    expect(noise['time_column']).toBe('time');
    expect(noise['pbo'] as number).toBeGreaterThan(0.2);
    expect(noise['pbo'] as number).toBeLessThan(0.8);

    const dom = normalArray(T * N, 3, 0, 0.01);
    for (let t = 0; t < T; t++) dom[t * N + 4]! += 0.005;
    const domFile = join(dir, 'dominant.csv');
    writeMatrix(domFile, dom, T, N);
    const r = await run('--pbo', domFile);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^PBO\s+0\s/m);
    expect(r.stdout).toMatch(/^most selected in sample\s+s4\s+100\.0% of combinations$/m);
    expect(r.stdout).toMatch(/^combinations\s+12870$/m);
  });

  it('rejects odd blocks and files without two numeric strategy columns (exit 2)', async () => {
    expect((await run('--pbo', FIXTURE, '--blocks', '7')).code).toBe(2);
    const one = join(dir, 'one.csv');
    writeFileSync(one, 'time,label,s0\n2024-01-01,a,0.1\n2024-01-02,b,0.2\n');
    const r = await run('--pbo', one);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/1 numeric strategy column\(s\); PBO needs at least 2/);
  });
});

describe('perpkit stats --pbo: time-like columns are not strategies (issue 14 item 8)', () => {
  it('skips a numeric timestamp column by name and an epoch column by content, and says so', async () => {
    const file = join(dir, 'pbo-ts.csv');
    const lines = ['ts,open_time_ms,a,b,c,d'];
    for (let i = 0; i < 64; i++) {
      // "open_time_ms" is found by name, "ts" too; a column "x" of epoch seconds by its content
      lines.push(`${1_767_225_600 + i * 3600},${(1_767_225_600 + i * 3600) * 1000},${Math.sin(i).toFixed(5)},${Math.cos(i).toFixed(5)},${Math.sin(2 * i).toFixed(5)},${Math.cos(3 * i).toFixed(5)}`);
    }
    writeFileSync(file, lines.join('\n') + '\n');
    const r = await run('--pbo', file, '--blocks', '4', '--json');
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { strategy_columns: string[]; time_like_columns: string[]; strategies: number };
    expect(out.strategy_columns).toEqual(['a', 'b', 'c', 'd']);
    expect(out.time_like_columns.sort()).toEqual(['open_time_ms', 'ts']);
    expect(r.stderr).toMatch(/time-like column\(s\) .*skipped, not taken as strategies/);
    const epoch = join(dir, 'pbo-epoch.csv');
    writeFileSync(epoch, ['x,a,b', ...Array.from({ length: 64 }, (_, i) => `${1_767_225_600 + i * 60},${Math.sin(i).toFixed(5)},${Math.cos(i).toFixed(5)}`)].join('\n') + '\n');
    const e = await run('--pbo', epoch, '--blocks', '4', '--json');
    expect(e.code, e.stderr).toBe(0);
    expect((JSON.parse(e.stdout) as { strategy_columns: string[]; time_like_columns: string[] }).time_like_columns).toEqual(['x']);
  });

  it('--confidence outside (0, 1) is exit 2 naming the flag and the range, in every mode', async () => {
    for (const args of [['--returns', FIXTURE], ['--dsr', '--sharpe', '2.5', '--periods-per-year', '250', '--observations', '1250', '--trials', '100', '--trials-sharpe-variance', '0.5']]) {
      const r = await run(...args, '--confidence', '1.5');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('--confidence must be a number in (0, 1), got "1.5"');
      expect(r.stdout).toBe('');
    }
  });
});

describe('perpkit stats errors', () => {
  it('missing file: exit 4, names the path and the next step; --json gives one error document', async () => {
    const path = join(dir, 'absent.csv');
    const r = await run('--returns', path);
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no returns file at ${path}`);
    expect(r.stderr).toMatch(/check the path/);
    const j = await run('--returns', path, '--json');
    expect(j.code).toBe(4);
    const err = (JSON.parse(j.stdout) as { error: { kind: string; details: { path: string } } }).error;
    expect(err.kind).toBe('missing');
    expect(err.details.path).toBe(path);
  });

  it('unknown column, non-numeric column, no mode, no bar length: exit 2', async () => {
    const col = await run('--returns', FIXTURE, '--column', 'pnl');
    expect(col.code).toBe(2);
    expect(col.stderr).toMatch(/has no column "pnl" \(columns: date, close, returns, position, strategy_returns\)/);
    expect((await run('--returns', FIXTURE, '--column', 'date')).stderr).toMatch(/not numeric/);
    const none = await run();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/needs --returns FILE, --pbo FILE or --dsr/);
    const bare = join(dir, 'bare.csv');
    writeFileSync(bare, 'returns\n0.01\n-0.02\n0.03\n');
    const b = await run('--returns', bare);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/pass --periods-per-year \(8760 for hourly bars/);
    expect((await run('--returns', bare, '--periods-per-year', 'hourly')).stderr).toMatch(/--periods-per-year must be a number/);
  });
});
