import { describe, expect, it } from 'vitest';
import { parseUtc } from '../../src/domain/time.js';
import { parseDurationMs } from '../../src/domain/config.js';
import { isSlug, rowSchema, DATASETS, timeframeSeconds } from '../../src/domain/datasets.js';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDuration, parseFraction, parseInteger, parseList, parseNumber, parseSymbols, parseTime, parseTimeRange, parseTimeframe } from '../../src/cli/parse.js';
import { defaultsMarkdown, defaultsTable, SYNTHETIC_DEFAULTS } from '../../src/domain/defaults.js';
import { DEFAULT_SOURCE_DELAYS } from '../../src/domain/config.js';
import { DEFAULT_VENUE_FETCH_CONFIG, RATE_LIMITS_PER_S } from '../../src/domain/venue-config.js';

describe('parsing', () => {
  it('parses UTC times to epoch microseconds', () => {
    expect(parseUtc('2026-03-14')).toBe(Date.parse('2026-03-14T00:00:00Z') * 1000);
    expect(parseUtc('2026-03-14T12:30')).toBe(Date.parse('2026-03-14T12:30:00Z') * 1000);
    expect(parseUtc('2026-03-14T12:30:00+02:00')).toBe(Date.parse('2026-03-14T10:30:00Z') * 1000);
    expect(() => parseUtc('yesterday')).toThrow(/bad time/);
    expect(() => parseUtc('2026-13-45')).toThrow(/bad time/);
  });
  it('parses durations', () => {
    expect(parseDurationMs('2s')).toBe(2000);
    expect(parseDurationMs('500ms')).toBe(500);
    expect(parseDurationMs('1.5m')).toBe(90_000);
    expect(() => parseDurationMs('2 sec')).toThrow(/bad duration/);
  });
  it('accepts safe partition slugs only', () => {
    for (const ok of ['BTC-PERP', 'binance-usdm', 'XBT_USD', 'a.b']) expect(isSlug(ok)).toBe(true);
    for (const bad of ['', '../x', '..', 'a/b', '.hidden', 'a b', 'x'.repeat(65), 'a..b']) expect(isSlug(bad)).toBe(false);
  });
  it('timeframes', () => {
    expect(timeframeSeconds('15m')).toBe(900);
    expect(() => timeframeSeconds('7x')).toThrow(/unknown timeframe/);
  });
  it('row schemas reject time travel and unknown columns', () => {
    const s = rowSchema(DATASETS.funding);
    const row = { venue: 'v', symbol: 's', event_time: 10, available_time: 10, source: 'x', ingest_time: 10, funding_rate: 0.0001 };
    expect(s.safeParse(row).success).toBe(true);
    expect(s.safeParse({ ...row, available_time: 9 }).success).toBe(false);
    expect(s.safeParse({ ...row, extra: 1 }).success).toBe(false);
    expect(s.safeParse({ ...row, funding_rate: Number.POSITIVE_INFINITY }).success).toBe(false);
  });
});

describe('src/cli/parse.ts: every flag value parsed one way, one error style', () => {
  const usage = (fn: () => unknown, flag: string): void => {
    let err: unknown;
    try {
      fn();
    } catch (e) {
      err = e;
    }
    expect(err, `expected --${flag} to be refused`).toMatchObject({ kind: 'usage', exitCode: 2, details: { flag } });
    expect((err as Error).message).toMatch(new RegExp(`^--${flag} must be .+, got `));
  };

  it('numbers: decimal only, finite, within the stated range', () => {
    expect(parseNumber('x', '0.5', { min: 0, max: 1 })).toBe(0.5);
    expect(parseNumber('x', ' 2e3 ')).toBe(2000);
    expect(parseNumber('x', undefined)).toBeUndefined();
    for (const bad of ['', ' ', 'abc', 'NaN', 'Infinity', '-Infinity', '0x10', '1e', '1,5', '2..', '--1']) usage(() => parseNumber('x', bad), 'x');
    usage(() => parseNumber('confidence', '1.5', { min: 0, max: 1, minExclusive: true, maxExclusive: true }), 'confidence');
    usage(() => parseNumber('confidence', '1', { min: 0, max: 1, minExclusive: true, maxExclusive: true }), 'confidence');
    usage(() => parseNumber('confidence', '0', { min: 0, max: 1, minExclusive: true, maxExclusive: true }), 'confidence');
    expect(() => parseNumber('confidence', '1.5', { min: 0, max: 1, minExclusive: true, maxExclusive: true })).toThrow('--confidence must be a number in (0, 1), got "1.5"');
    usage(() => parseInteger('seed', '1.5', { min: 0 }), 'seed');
    usage(() => parseInteger('seed', '-1', { min: 0 }), 'seed');
    expect(parseInteger('seed', '4294967295', { min: 0, max: 0xffffffff })).toBe(4294967295);
    usage(() => parseInteger('seed', '4294967296', { min: 0, max: 0xffffffff }), 'seed');
    expect(parseFraction('train', '0')).toBe(0);
    expect(parseFraction('train', '1')).toBe(1);
    usage(() => parseFraction('train', '1.01'), 'train');
    usage(() => parseFraction('confidence', '1', true), 'confidence');
  });

  it('durations, timeframes, times and time ranges', () => {
    expect(parseDuration('d', '1.5m')).toBe(90_000);
    usage(() => parseDuration('d', '0s'), 'd');
    expect(parseDuration('d', '0s', { allowZero: true })).toBe(0);
    for (const bad of ['', '5', '-1s', '1 s', '5y', 'soon']) usage(() => parseDuration('d', bad), 'd');
    usage(() => parseDuration('d', '2h', { maxMs: 3_600_000 }), 'd');
    expect(parseTimeframe('timeframe', '15m')).toBe('15m');
    for (const bad of ['7m', '', '1H', '60s', 'abc']) usage(() => parseTimeframe('timeframe', bad), 'timeframe');
    expect(parseTime('from', '2026-03-14')).toBe(Date.parse('2026-03-14T00:00:00Z') * 1000);
    for (const bad of ['1800-01-01', '2100-01-01', '2026-02-30', '2026-13-01', 'yesterday', '']) usage(() => parseTime('from', bad), 'from');
    expect(parseTimeRange('2026-03-14', '2026-03-15')).toEqual({ from: parseUtc('2026-03-14'), to: parseUtc('2026-03-15') });
    expect(parseTimeRange(undefined, '2026-03-15')).toEqual({ to: parseUtc('2026-03-15') });
    expect(() => parseTimeRange('2026-03-15', '2026-03-14')).toThrow(/--from must be before --to/);
    expect(() => parseTimeRange('2026-03-14', '2026-03-14')).toThrow(/--from must be before --to/);
  });

  it('lists and symbols: an empty list is an error, never "all"; symbols can never be paths', () => {
    expect(parseList('a, b,,a', 'x')).toEqual(['a', 'b']);
    expect(parseList(undefined, 'x')).toBeUndefined();
    for (const bad of ['', ',', ' , ']) usage(() => parseList(bad, 'datasets'), 'datasets');
    usage(() => parseList('bars,nope', 'datasets', ['bars', 'funding']), 'datasets');
    expect(() => parseList('', undefined)).toThrow(/empty list/);
    expect(parseSymbols('symbols', 'BTC,ETH-PERP')).toEqual(['BTC', 'ETH-PERP']);
    for (const bad of ['', '../x', 'a/b', 'BTC PERP', '..', 'BTC*']) usage(() => parseSymbols('symbols', bad), 'symbols');
  });
});

describe('defaults: one table, documented in the README', () => {
  const readme = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'README.md'), 'utf8');
  /** The README table rows whose first cell is `setting`: the cells after it. */
  const readmeRow = (setting: string): string[] | undefined => {
    for (const line of readme.split('\n')) {
      const cells = line.split('|').map((c) => c.trim());
      if (cells[1] === setting) return cells.slice(2, -1);
    }
    return undefined;
  };

  it('the record settings table of the README shows the values of src/domain/defaults.ts', () => {
    const rows = defaultsTable().filter((d) => d.where === 'record');
    expect(rows.length).toBe(5);
    for (const d of rows) {
      const cells = readmeRow(d.setting);
      expect(cells, `README row "${d.setting}"`).toBeDefined();
      expect(cells![0], d.setting).toBe(d.value);
      if (d.flag) expect(cells![1], d.setting).toBe(d.flag.split(', ').map((f) => `\`${f}\``).join(', '));
    }
  });

  it('the README states the fetch retry budget, timeouts, rate limits and publication delays of the defaults', () => {
    const flat = readme.replace(/\s+/g, ' ');
    const v = DEFAULT_VENUE_FETCH_CONFIG;
    expect(flat).toContain(`retried up to ${v.retry.max_retries} times (\`--max-retries\`) with exponential backoff from ${v.retry.base_delay_ms / 1000} s (capped at ${v.retry.max_delay_ms / 1000} s, with jitter), honouring Retry-After up to ${v.retry.max_retry_after_ms / 1000} s; each attempt times out after ${v.retry.timeout_ms / 1000} s`);
    expect(flat).toContain(`Coinbase ${RATE_LIMITS_PER_S.coinbase}/s, Coinbase International ${RATE_LIMITS_PER_S['coinbase-intx']}/s, Binance USD-M ${RATE_LIMITS_PER_S['binance-usdm']}/s, Binance spot ${RATE_LIMITS_PER_S['binance-spot']}/s`);
    expect(flat).toContain(`| exchange REST (\`--venue\`) | close + ${v.delays.bars_ms / 1000} s | settlement + ${v.delays.funding_ms / 1000} s; trades + ${v.delays.trades_ms / 1000} s; Binance OI history + ${v.delays.open_interest_ms / 60_000} min |`);
    expect(flat).toContain(`| Binance files (\`--source files\`) | close + ${DEFAULT_SOURCE_DELAYS.binance_bar_delay_ms / 1000} s (\`--bar-delay\`) | settlement + ${DEFAULT_SOURCE_DELAYS.binance_funding_delay_ms / 1000} s (\`--funding-delay\`) |`);
    expect(flat).toContain(`(it starts ${v.initial_lookback_ms / 86_400_000} day back if nothing is stored yet)`);
    expect(flat).toContain(`at most ${SYNTHETIC_DEFAULTS.max_tick_days} days`);
  });

  it('the full defaults table is in the README (between <!-- defaults --> markers)', () => {
    const m = /<!-- defaults -->\n([\s\S]*?)\n<!-- \/defaults -->/.exec(readme);
    expect(m?.[1], `README.md needs this table between <!-- defaults --> and <!-- /defaults -->:\n${defaultsMarkdown()}`).toBe(defaultsMarkdown());
  });
});
