import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchVenue, type FetchVenueOptions } from '../../src/services/fetch-venue.js';
import { isPerpkitError, type PerpkitError } from '../../src/domain/errors.js';
import { tempDir } from '../helpers.js';
import { MockVenue, type Fault, type MockVenueId } from './mock-venue.js';
import { capturingContext, dataHash, FROM, H, SMALL_LIMITS, stored, TO, testConfig } from './util.js';

/**
 * Injected faults: each is retried as specified or refused with exit 5, and in every case the
 * stored data ends up exactly the served data: nothing lost, nothing duplicated, and a re-run
 * without --from completes what a failed run left.
 */

let mock: MockVenue;
let reference: Record<string, Record<string, string>> = {};
beforeAll(async () => {
  mock = await MockVenue.start(SMALL_LIMITS);
  // uninterrupted runs to compare against
  for (const venue of ['coinbase', 'binance-usdm', 'coinbase-intx'] as const) {
    const { ctx } = await capturingContext();
    const root = tempDir();
    await fetchVenue(base(venue, root), ctx);
    reference[venue] = await dataHash(ctx, root);
  }
});
afterAll(async () => {
  await mock.stop();
  reference = {};
});
beforeEach(() => mock.reset());

const DATASETS_OF: Record<string, FetchVenueOptions['datasets']> = {
  coinbase: ['bars'],
  'binance-usdm': ['bars', 'funding'],
  'coinbase-intx': ['bars', 'funding'],
};

function base(venue: MockVenueId, root: string, over: Partial<FetchVenueOptions> = {}): FetchVenueOptions {
  return {
    root,
    venue,
    symbols: ['BTC-PERP'],
    datasets: DATASETS_OF[venue],
    timeframe: '1h',
    from: FROM,
    to: TO,
    baseUrl: mock.url(venue),
    // a task that never started resumes from --to minus this: the same range as --from
    config: testConfig({ max_concurrency: 1, initial_lookback_ms: (TO - FROM) / 1000 }),
    ...over,
  };
}

async function expectFailure(p: Promise<unknown>): Promise<PerpkitError> {
  try {
    await p;
  } catch (err) {
    if (isPerpkitError(err)) return err;
    throw err;
  }
  throw new Error('expected the fetch to fail');
}

describe('retried faults', () => {
  const cases: Array<[string, MockVenueId, Fault, number]> = [
    ['429 with Retry-After', 'coinbase', { venue: 'coinbase', path: /candles$/, kind: '429', retryAfterS: 1, skip: 1 }, 1],
    ['500', 'binance-usdm', { venue: 'binance-usdm', path: /klines$/, kind: '500', times: 2, skip: 2 }, 2],
    ['503', 'coinbase-intx', { venue: 'coinbase-intx', path: /funding$/, kind: '503', times: 3, skip: 1 }, 3],
    ['timeout', 'binance-usdm', { venue: 'binance-usdm', path: /fundingRate$/, kind: 'timeout', times: 1 }, 1],
  ];
  for (const [name, venue, fault, retries] of cases) {
    it(`${name}: retried, then the data equals an uninterrupted run`, async () => {
      const { ctx, logs } = await capturingContext();
      const root = tempDir();
      mock.inject(fault);
      const r = await fetchVenue(base(venue, root), ctx);
      expect(r.http.retries).toBe(retries);
      expect(mock.requests.filter((q) => q.fault !== null)).toHaveLength(retries);
      expect(logs.filter((l) => l.startsWith('warning:') && l.includes('retry'))).toHaveLength(retries);
      expect(await dataHash(ctx, root)).toEqual(reference[venue]);
      if (fault.kind === '429') {
        // the retry waited for Retry-After (1 s), far longer than the configured backoff (<= 20 ms)
        const i = mock.requests.findIndex((q) => q.fault === '429');
        const gap = (mock.requests[i + 1]?.at ?? 0) - (mock.requests[i]?.at ?? 0);
        expect(gap).toBeGreaterThanOrEqual(950);
        expect(r.http.outcomes['429']).toBe(1);
      }
      if (fault.kind === 'timeout') expect(r.http.outcomes['timeout']).toBe(1);
    });
  }
});

describe('faults that stop the run with exit 5', () => {
  const cases: Array<[string, Fault, RegExp]> = [
    ['retry budget used up (503)', { venue: 'binance-usdm', path: /klines$/, kind: '503', times: 99, skip: 2 }, /retry budget \(3\) used up/],
    ['Retry-After beyond the limit', { venue: 'binance-usdm', path: /klines$/, kind: '429', retryAfterS: 3600, skip: 2 }, /Retry-After 3600 s/],
    ['truncated JSON', { venue: 'binance-usdm', path: /klines$/, kind: 'truncated', skip: 2 }, /not valid JSON/],
    ['malformed JSON', { venue: 'binance-usdm', path: /klines$/, kind: 'malformed', skip: 2 }, /not valid JSON/],
    ['schema change', { venue: 'binance-usdm', path: /klines$/, kind: 'schema', skip: 2 }, /does not have the expected shape/],
  ];
  for (const [name, fault, message] of cases) {
    it(`${name}: exit 5 naming what was stored and how to resume; the re-run completes without loss or duplicates`, async () => {
      const { ctx } = await capturingContext();
      const root = tempDir();
      mock.inject(fault);
      const err = await expectFailure(fetchVenue(base('binance-usdm', root), ctx));
      expect(err.exitCode).toBe(5);
      expect(err.message).toMatch(message);
      expect(err.message).toMatch(/stored before stopping: .*BTC-PERP bars 1h: \d+ rows up to/);
      expect(err.hint).toMatch(/without --from to resume/);
      const faulted = mock.requests.filter((q) => q.fault !== null).length;
      expect(faulted).toBe(fault.kind === '503' ? 4 : 1); // 1 + 3 retries, or refused at once
      // what is stored is a gap-free prefix of the served bars, nothing from the bad response
      const bars = await stored(ctx, root, 'bars');
      const times = bars.map((b) => b['event_time'] as number);
      expect(new Set(times).size).toBe(times.length);
      expect(bars.length).toBeGreaterThan(0);
      expect(bars.length).toBeLessThan(95);
      const firstBar = Math.min(...(mock.data.candles.get('binance-usdm|BTCUSDT|last|1h') ?? []).map((c) => c.open_ms * 1000 + H));
      expect(times[0]).toBe(firstBar);
      times.forEach((t, i) => expect(t).toBe(firstBar + i * H));

      // resume: no --from, no fault
      mock.reset();
      const again = await fetchVenue(base('binance-usdm', root, { from: undefined }), ctx);
      expect(again.tasks.find((t) => t.dataset === 'bars')?.resumed_after).toBe(times[times.length - 1]);
      expect(await dataHash(ctx, root)).toEqual(reference['binance-usdm']);
    });
  }
});

describe('empty pages', () => {
  it('an empty page inside the range does not end the paging: every other served bar is stored once', async () => {
    const { ctx } = await capturingContext();
    const root = tempDir();
    // the 2nd candle request of the range holding data answers an empty page
    mock.inject({ venue: 'coinbase', path: /candles$/, kind: 'empty', skip: 1 });
    const r = await fetchVenue(base('coinbase', root), ctx);
    expect(r.tasks[0]?.status).toBe('done');
    const emptied = mock.requests.find((q) => q.fault === 'empty');
    const start = Number(emptied?.query['start']) * 1_000_000;
    const end = Number(emptied?.query['end']) * 1_000_000;
    const bars = await stored(ctx, root, 'bars');
    const expected = (mock.data.candles.get('coinbase|BIP-20DEC30-CDE|last|1h') ?? [])
      .map((c) => c.open_ms * 1000)
      .filter((o) => o + H >= FROM && o + H < TO && !(o >= start && o <= end));
    expect(bars.map((b) => b['open_time'])).toEqual(expected);
    expect(expected.length).toBe(95 - SMALL_LIMITS.coinbase_candles);
    // bars after the empty page were fetched
    expect(Math.max(...bars.map((b) => b['open_time'] as number))).toBeGreaterThan(end);
  });
});
