import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT, tempDir, testContext } from '../helpers.js';
import { MockVenue } from './mock-venue.js';
import { stored } from './util.js';

/**
 * The real CLI (bin/run.js over dist/) against the mock venue, pointed there through
 * PERPKIT_VENUE_BASE_URL_<VENUE>. The mock answers from this process, so the CLI runs
 * asynchronously (spawnSync would block the event loop the mock needs).
 */

let mock: MockVenue;
beforeAll(async () => {
  mock = await MockVenue.start();
});
afterAll(async () => {
  await mock.stop();
});

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const e: Record<string, string | undefined> = { ...process.env, ...mock.env(), ...env };
    delete e['PERPKIT_DATA_DIR'];
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], { cwd: ROOT, env: e });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const RANGE = ['--from', '2026-03-14', '--to', '2026-03-18'];

describe('perpkit fetch --venue (real CLI against the mock venue)', () => {
  it('coinbase: fetches the listed perp, names the unlisted ones on stderr, stores bars and instruments', async () => {
    const dir = tempDir();
    const r = await run([
      'fetch', '--venue', 'coinbase', '--symbols', 'BTC-PERP,ETH-PERP', '--datasets', 'instruments,bars',
      '--timeframe', '1h', ...RANGE, '--data-dir', dir, '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { venue: string; symbols: string[]; unlisted: Array<{ symbol: string }> };
    expect(out.venue).toBe('coinbase');
    expect(out.symbols).toEqual(['BTC-PERP']);
    expect(out.unlisted.map((u) => u.symbol)).toEqual(['ETH-PERP']);
    expect(r.stderr).toContain('ETH-PERP is not listed');
    const ctx = await testContext();
    expect(await stored(ctx, dir, 'bars')).toHaveLength(95);
    expect((await stored(ctx, dir, 'instruments'))[0]).toMatchObject({ venue_symbol: 'BIP-20DEC30-CDE', contract_size: 0.01 });
    // a second run without --from is up to date
    const again = await run(['fetch', '--venue', 'coinbase', '--symbols', 'BTC-PERP', '--datasets', 'bars', '--timeframe', '1h', '--to', '2026-03-18', '--data-dir', dir, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { tasks: Array<{ status: string }> }).tasks.map((t) => t.status)).toEqual(['up_to_date']);
  });

  it('binance-usdm: a schema change exits 5 with one JSON error document and a resume hint', async () => {
    const dir = tempDir();
    mock.inject({ venue: 'binance-usdm', path: /klines$/, kind: 'schema' });
    const r = await run(['fetch', '--venue', 'binance-usdm', '--symbols', 'BTC', '--datasets', 'bars', '--timeframe', '1h', ...RANGE, '--data-dir', dir, '--json']);
    expect(r.code).toBe(5);
    const doc = JSON.parse(r.stdout) as { error: { kind: string; message: string; hint: string } };
    expect(doc.error.kind).toBe('upstream');
    expect(doc.error.message).toContain('does not have the expected shape');
    expect(doc.error.hint).toContain('without --from');
  });

  it('an unknown venue is a usage error (exit 2)', async () => {
    const r = await run(['fetch', '--venue', 'kraken', '--data-dir', tempDir()]);
    expect(r.code).toBe(2);
  });
});

it('the mock venue speaks the recorded Coinbase shapes (smoke check of the CLI suite setup)', async () => {
  const res = await fetch(`${mock.url('coinbase')}/api/v3/brokerage/market/products?product_type=FUTURE`);
  const body = (await res.json()) as { products: Array<{ product_id: string }> };
  expect(body.products.map((p) => p.product_id)).toEqual(['BIP-20DEC30-CDE', 'BIT-24APR26-CDE']);
  expect(mock.env()['PERPKIT_VENUE_BASE_URL_COINBASE_INTX']).toBe(mock.url('coinbase-intx'));
});
