import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CREDENTIAL_ENV } from '../../src/domain/venue-config.js';
import { ROOT, testContext } from '../helpers.js';
import { MockVenue } from '../venues/mock-venue.js';
import { intx, startMockWs, type MockWs } from '../record/mock-ws.js';

/**
 * Secrets (API keys) come from the environment only and never reach logs, Parquet, manifests or
 * reports (../shared/DESIGN.md). Every credential variable perpkit reads is set to a recognisable
 * value; fetch and record run against the mock venues, on their success and failure paths, with
 * --json errors and the most verbose output perpkit has (PERPKIT_DEBUG=1: stack traces of
 * unexpected errors); then every byte written under the data dir, every row of every Parquet
 * file (read back, since Parquet compresses strings) and all stdout/stderr are searched for the
 * values and for the variables' names' values in any case.
 */

const SECRETS: Record<string, string> = {};
for (const names of Object.values(CREDENTIAL_ENV)) {
  for (const v of [names.apiKey, names.secret, names.password]) {
    if (v) SECRETS[v] = `pk-canary-${v.toLowerCase().replace(/_/g, '-')}-7f3a9c1e`;
  }
}
// Coinbase Advanced Trade keys are "organizations/.../apiKeys/..." with an EC private key secret.
SECRETS['COINBASE_API_KEY'] = 'organizations/pk-canary-org-5e1d/apiKeys/pk-canary-coinbase-key-7f3a9c1e';
SECRETS['COINBASE_API_SECRET'] = '-----BEGIN EC PRIVATE KEY-----\\npk-canary-coinbase-secret-7f3a9c1e\\n-----END EC PRIVATE KEY-----\\n';
const NEEDLES = [...new Set(Object.values(SECRETS).flatMap((s) => [s, ...s.split(/[\\/]|\\n|-----/).filter((x) => x.includes('pk-canary'))]))];

let venue: MockVenue;
const outputs: Array<{ what: string; text: string }> = [];
const dataDirs: string[] = [];

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const e: Record<string, string | undefined> = { ...process.env, ...venue.env(), ...SECRETS, PERPKIT_DEBUG: '1', ...env };
    delete e['PERPKIT_DATA_DIR'];
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], { cwd: ROOT, env: e });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      outputs.push({ what: `perpkit ${args.join(' ')}`, text: stdout + stderr });
      resolve({ code, stdout, stderr });
    });
  });
}

/** A data dir kept until every test of the file ran (the last one scans them all). */
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'perpkit-secrets-'));
  dataDirs.push(d);
  return d;
}

function files(d: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    for (const e of readdirSync(p)) {
      const q = join(p, e);
      if (statSync(q).isDirectory()) walk(q);
      else out.push(q);
    }
  };
  walk(d);
  return out;
}

const RANGE = ['--from', '2026-03-14', '--to', '2026-03-15'];

describe('secrets never reach output or stored files', () => {
  beforeAll(async () => {
    venue = await MockVenue.start();
  });
  afterAll(async () => {
    await venue.stop();
    for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
  });

  it('fetch --venue, success and failure paths, --json and not', async () => {
    const ok = dir();
    const a = await run(['fetch', '--venue', 'coinbase', '--symbols', 'BTC-PERP,ETH-PERP', '--datasets', 'instruments,bars,funding', '--timeframe', '1h', ...RANGE, '--data-dir', ok, '--json']);
    expect(a.code, a.stderr).toBe(0);
    const b = await run(['fetch', '--venue', 'binance-usdm', '--symbols', 'BTC', '--datasets', 'bars,funding,instruments', '--timeframe', '1h', ...RANGE, '--data-dir', ok]);
    expect(b.code, b.stderr).toBe(0);
    const c = await run(['fetch', '--venue', 'coinbase-intx', '--symbols', 'BTC-PERP', '--datasets', 'instruments,funding', ...RANGE, '--data-dir', ok, '--json']);
    expect([0, 5], c.stderr).toContain(c.code);

    venue.inject({ venue: 'binance-usdm', kind: 'malformed', times: 20 });
    const d = await run(['fetch', '--venue', 'binance-usdm', '--symbols', 'ETH', '--datasets', 'bars', '--timeframe', '1h', ...RANGE, '--data-dir', dir(), '--json', '--max-retries', '1']);
    expect(d.code).toBe(5);
    expect(JSON.parse(d.stdout)).toMatchObject({ error: { code: 5 } });
    venue.reset();
    venue.inject({ venue: 'coinbase', kind: '500', times: 50 });
    const e = await run(['fetch', '--venue', 'coinbase', '--symbols', 'BTC-PERP', '--datasets', 'bars', '--timeframe', '1h', ...RANGE, '--data-dir', dir(), '--max-retries', '1']);
    expect(e.code).toBe(5);
    venue.reset();
    const f = await run(['fetch', '--venue', 'coinbase', '--symbols', 'NOPE-PERP', '--data-dir', dir(), '--json']);
    expect(f.code).toBe(2);
    // nothing listening: connection refused on every attempt
    const g = await run(['fetch', '--venue', 'binance-spot', '--symbols', 'BTC', '--max-retries', '0', ...RANGE, '--data-dir', dir(), '--json'], {
      PERPKIT_VENUE_BASE_URL_BINANCE_SPOT: 'http://127.0.0.1:1',
    });
    expect(g.code).toBe(5);
  }, 300_000);

  it('record, success and failure paths', async () => {
    let mock: MockWs | undefined;
    try {
      mock = await startMockWs({
        venue: 'coinbase-intx',
        script: () => [{ send: intx.snapshot() }, { send: intx.update() }, { send: intx.match() }, { send: intx.quote() }],
      });
      const ok = dir();
      const a = await run(['record', '--venue', 'coinbase-intx', '--symbols', 'BTC-PERP', '--channels', 'LEVEL1,LEVEL2,MATCH', '--url', mock.url, '--duration', '2s', '--flush-interval', '500ms', '--data-dir', ok, '--json']);
      expect(a.code, a.stderr).toBe(0);
      expect(files(ok).some((p) => p.endsWith('.parquet'))).toBe(true);
      // the subscription was signed with the key: the test would notice if it were stored
      expect(JSON.stringify(mock.subscriptions)).toContain(SECRETS['COINBASE_INTX_API_KEY']);
    } finally {
      await mock?.close();
    }
    const closed = await run(['record', '--venue', 'coinbase-intx', '--symbols', 'BTC-PERP', '--url', 'ws://127.0.0.1:1', '--duration', '1s', '--data-dir', dir(), '--json']);
    expect(closed.code).toBe(5);
    const closed2 = await run(['record', '--venue', 'coinbase', '--symbols', 'BTC', '--url', 'ws://127.0.0.1:1', '--duration', '1s', '--data-dir', dir()]);
    expect(closed2.code).toBe(5);
    const bad = await run(['record', '--venue', 'coinbase-intx', '--symbols', 'BTC-PERP', '--channels', 'NOPE', '--data-dir', dir(), '--json']);
    expect(bad.code).toBe(2);
  }, 300_000);

  it('no secret in any stdout/stderr, file or Parquet row written', async () => {
    expect(outputs.length).toBeGreaterThanOrEqual(11);
    const leaks: string[] = [];
    for (const o of outputs) for (const n of NEEDLES) if (o.text.includes(n)) leaks.push(`${o.what}: output contains ${n}`);
    const ctx = await testContext();
    let parquetRows = 0;
    for (const d of dataDirs) {
      for (const p of files(d)) {
        const bytes = readFileSync(p);
        for (const n of NEEDLES) if (bytes.includes(Buffer.from(n))) leaks.push(`${p}: contains ${n}`);
        if (p.endsWith('.parquet')) {
          const rows = await ctx.db.all(`SELECT * FROM read_parquet($p)`, { p });
          parquetRows += rows.length;
          const text = JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
          for (const n of NEEDLES) if (text.includes(n)) leaks.push(`${p}: a row contains ${n}`);
        }
      }
    }
    expect(parquetRows).toBeGreaterThan(50);
    expect(leaks).toEqual([]);
  });
});
