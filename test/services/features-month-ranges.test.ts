import { describe, expect, it } from 'vitest';
import { monthRanges } from '../../src/services/features/compute.js';

/** The feature engine hands the store one UTC calendar month of decisions at a time (one partition per batch). */
const us = (iso: string): number => Date.parse(iso) * 1000;
const M = 60_000_000;

describe('monthRanges', () => {
  it('cuts ascending decision times at UTC month starts; a decision exactly at a month start opens the new month', () => {
    // 1m decisions + 5 s latency from Jan 31 23:57:05 to Feb 1 00:02:05, then one exactly at Mar 1 00:00
    const dec = Float64Array.from([...Array.from({ length: 6 }, (_, k) => us('2026-01-31T23:57:05Z') + k * M), us('2026-03-01T00:00:00Z')]);
    expect(monthRanges(dec, 0, dec.length)).toEqual([
      [0, 3],
      [3, 6],
      [6, 7],
    ]);
    expect(new Date(dec[3]! / 1000).toISOString()).toBe('2026-02-01T00:00:05.000Z');
  });

  it('covers exactly [r0, r1), across a year end, and nothing for an empty range', () => {
    const dec = Float64Array.from(Array.from({ length: 100 }, (_, k) => us('2025-12-31T22:00:00Z') + k * 3 * M));
    // 22:00 + 40 x 3 min = 00:00 exactly: index 40 is the first of January
    expect(monthRanges(dec, 5, 90)).toEqual([
      [5, 40],
      [40, 90],
    ]);
    expect(monthRanges(dec, 40, 41)).toEqual([[40, 41]]);
    expect(monthRanges(dec, 39, 40)).toEqual([[39, 40]]);
    expect(monthRanges(dec, 7, 7)).toEqual([]);
    // every row of the range is in exactly one run, in order
    const runs = monthRanges(dec, 0, 100);
    expect(runs.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => a + i))).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });
});
