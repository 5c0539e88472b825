import { describe, expect, it } from 'vitest';
import { parseUtc } from '../../src/domain/time.js';
import { parseDurationMs } from '../../src/domain/config.js';
import { isSlug, rowSchema, DATASETS, timeframeSeconds } from '../../src/domain/datasets.js';

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
