import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fetchVenue, type FetchVenueOptions } from '../../src/services/fetch-venue.js';
import { ROOT, tempDir } from '../helpers.js';
import { MockVenue } from './mock-venue.js';
import { capturingContext, dataHash, FROM, NOW_MS, SMALL_LIMITS, stored, TO, testConfig } from './util.js';

/**
 * A fetch killed with SIGKILL mid-way (a real process, built code in dist/, killed while it is
 * paging and committing pages) and then resumed without --from ends with exactly the data of an
 * uninterrupted run, and the resumed run does not fetch again what was already stored.
 */

let mock: MockVenue;
beforeAll(async () => {
  mock = await MockVenue.start(SMALL_LIMITS);
});
afterAll(async () => {
  await mock.stop();
});

const CHILD = `
const dist = process.env.PK_DIST;
const { fetchVenue } = await import(dist + '/services/fetch-venue.js');
const { DuckSession } = await import(dist + '/store/duckdb.js');
const db = await DuckSession.open();
const log = { info() {}, warn() {}, progress() {}, progressDone() {} };
await fetchVenue(JSON.parse(process.env.PK_OPTS), { db, log, clock: { now: () => Number(process.env.PK_NOW) }, signal: new AbortController().signal });
db.close();
process.stdout.write('finished\\n');
`;

const options = (root: string, over: Partial<FetchVenueOptions> = {}): FetchVenueOptions => ({
  root,
  venue: 'binance-usdm',
  symbols: ['BTC-PERP'],
  datasets: ['bars', 'mark', 'funding'],
  timeframe: '1h',
  from: FROM,
  to: TO,
  baseUrl: mock.url('binance-usdm'),
  // every page is committed as it comes; a never-started task resumes over the same range
  config: testConfig({ requests_per_second: 25, write_batch_rows: 1, initial_lookback_ms: (TO - FROM) / 1000 }),
  ...over,
});

it('a run killed mid-way and restarted ends with the same data as an uninterrupted one', async () => {
  const dist = join(ROOT, 'dist');
  expect(existsSync(join(dist, 'services', 'fetch-venue.js')), 'build first: npx tsc -p tsconfig.build.json').toBe(true);
  const { ctx } = await capturingContext();

  const full = tempDir();
  mock.reset();
  await fetchVenue(options(full), ctx);
  const fullRequests = mock.served().length;
  const expected = await dataHash(ctx, full);

  const root = tempDir();
  mock.reset();
  let klines = 0;
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD], {
    env: { ...process.env, PK_DIST: dist, PK_OPTS: JSON.stringify(options(root)), PK_NOW: String(NOW_MS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  mock.onRequest = (r) => {
    if (/Klines$|klines$/.test(r.path) && ++klines === 7) child.kill('SIGKILL');
  };
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  mock.onRequest = null;
  expect(exit.signal, out).toBe('SIGKILL');
  expect(out).not.toContain('finished');

  // part of the data is there (a prefix per task), not all of it
  const partial = await stored(ctx, root, 'bars');
  expect(partial.length).toBeGreaterThan(0);
  expect(partial.length).toBeLessThan(2 * 95);

  mock.reset();
  const r = await fetchVenue(options(root, { from: undefined }), ctx);
  const resumedRequests = mock.served().length;
  expect(await dataHash(ctx, root)).toEqual(expected);
  expect((await stored(ctx, root, 'bars')).length).toBe(2 * 95);
  // resumed after what was stored: fewer requests than a full run, and the bars tasks say where from
  expect(resumedRequests).toBeLessThan(fullRequests);
  expect(r.tasks.filter((t) => t.dataset === 'bars' || t.dataset === 'mark').some((t) => t.resumed_after !== null)).toBe(true);
});
