import { describe, expect, it } from 'vitest';
import { barsTable } from '../../src/services/features/inputs.js';
import { execQuery } from '../../src/store/queries.js';
import { runStep } from '../../src/store/steps.js';
import { testContext } from '../helpers.js';
import type { ServiceContext } from '../../src/domain/context.js';

/**
 * features/rollup_one (the 1:1 staging of bars stored at the decision timeframe) must give exactly
 * the rows of features/rollup at $parts = 1: every bar alone in its bucket passes through unchanged,
 * and a bucket holding bars of two event times is left out. Irregular bars are planted on purpose:
 * a bar opening off the bucket start, and one whose close is not open + the bar length, each alone
 * and each sharing a bucket with a regular bar.
 */
const M = 60_000_000; // one minute, µs
const T0 = Date.UTC(2025, 0, 1) * 1000;

interface Row { open_us: number; event_us: number; avail_us: number; open: number; high: number; low: number; close: number; volume: number }

const regular = (k: number, px = 100 + k): Row => ({ open_us: T0 + k * M, event_us: T0 + (k + 1) * M, avail_us: T0 + (k + 1) * M + 5_000_000, open: px, high: px + 1, low: px - 1, close: px + 0.5, volume: k + 1 });

async function load(ctx: ServiceContext, t: string, rows: Row[]): Promise<void> {
  await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE ${t} (event_time TIMESTAMP, available_time TIMESTAMP, open_time TIMESTAMP, open DOUBLE, high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE)`);
  for (const r of rows) {
    await ctx.db.exec(`INSERT INTO ${t} VALUES (make_timestamp($e::BIGINT), make_timestamp($a::BIGINT), make_timestamp($o::BIGINT), $open, $high, $low, $close, $volume)`, {
      e: BigInt(r.event_us),
      a: BigInt(r.avail_us),
      o: BigInt(r.open_us),
      open: r.open,
      high: r.high,
      low: r.low,
      close: r.close,
      volume: r.volume,
    });
  }
}

/** Both ways, sorted the same; the staged rows of each. */
async function both(ctx: ServiceContext, rows: Row[]): Promise<{ grouped: unknown[]; direct: unknown[] }> {
  await load(ctx, 'bars_fixture', rows);
  await barsTable(ctx, 'staged_a');
  await barsTable(ctx, 'staged_b');
  await runStep(ctx, 'features/rollup', { sym: 'X-PERP', secs: 60n, parts: 1n }, undefined, { idents: { src: 'bars_fixture' } });
  await execQuery(ctx.db, 'features/append', {}, { idents: { into: 'staged_a', src: 'rollup_out' } });
  await execQuery(ctx.db, 'common/drop_table', {}, { idents: { t: 'rollup_out' } });
  await execQuery(ctx.db, 'features/rollup_one', { sym: 'X-PERP', secs: 60n }, { idents: { into: 'staged_b', src: 'bars_fixture' } });
  const read = async (t: string): Promise<unknown[]> =>
    (await ctx.db.all(`SELECT symbol, epoch_us(event_time) AS e, epoch_us(available_time) AS a, epoch_us(open_time) AS o, open, high, low, close, volume FROM ${t} ORDER BY event_time`)).map((r) => ({ ...r }));
  return { grouped: await read('staged_a'), direct: await read('staged_b') };
}

describe('features/rollup_one: bars at the decision timeframe staged without the roll-up grouping', () => {
  it('passes regular bars and lone irregular bars through, and leaves out buckets shared by two event times, as features/rollup at 1:1', async () => {
    const ctx = await testContext();
    const rows: Row[] = [];
    // a gap at 7; the bar closing at 13 is published 3 h late (its available_time passes through as stored)
    for (let k = 0; k < 20; k++) if (k !== 7) rows.push(k === 12 ? { ...regular(k), avail_us: regular(k).event_us + 3 * 60 * M } : regular(k));
    // off the bucket start, sharing bucket 3 with a regular bar: both left out
    rows.push({ ...regular(3, 50), open_us: T0 + 3 * M + 30_000_000, event_us: T0 + 4 * M + 30_000_000, avail_us: T0 + 4 * M + 31_000_000 });
    // close not at open + 1m (open on the bucket start), sharing bucket 10 with a regular bar: both left out
    rows.push({ ...regular(10, 60), event_us: T0 + 10 * M + 30_000_000, avail_us: T0 + 10 * M + 31_000_000 });
    // irregular bars alone in their buckets: passed through unchanged
    rows.push({ ...regular(7, 70), open_us: T0 + 7 * M + 10_000_000, event_us: T0 + 8 * M - 1 });
    rows.push({ ...regular(25, 80), event_us: T0 + 25 * M + 20_000_000 });
    const { grouped, direct } = await both(ctx, rows);
    expect(direct).toEqual(grouped);
    const events = (direct as Array<{ e: bigint | number }>).map((r) => Number(r.e));
    // 19 regular + 2 lone irregular - the two regular bars in shared buckets
    expect(direct).toHaveLength(19);
    for (const k of [3, 10]) expect(events).not.toContain(T0 + (k + 1) * M);
    expect(events).toContain(T0 + 8 * M - 1);
    expect(events).toContain(T0 + 25 * M + 20_000_000);
    const late = (direct as Array<{ e: bigint | number; a: bigint | number }>).find((r) => Number(r.e) === T0 + 13 * M);
    expect(Number(late?.a)).toBe(T0 + 13 * M + 3 * 60 * M);
  });

  it('agrees with features/rollup on random series with irregular bars', async () => {
    const ctx = await testContext();
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let trial = 0; trial < 6; trial++) {
      const rows: Row[] = [];
      const used = new Set<number>();
      for (let k = 0; k < 60; k++) {
        if (rnd() < 0.1) continue;
        let r = regular(k, 100 + rnd());
        const u = rnd();
        if (u < 0.1) r = { ...r, open_us: r.open_us + Math.floor(rnd() * 50) * 1_000_000 + 1_000_000, event_us: r.event_us + Math.floor(rnd() * 50) * 1_000_000 + 1_000_000 };
        else if (u < 0.2) r = { ...r, event_us: r.event_us - Math.floor(rnd() * 50) * 1_000_000 - 1_000_000 };
        if (used.has(r.event_us)) continue; // event_time is unique in a stored series
        used.add(r.event_us);
        rows.push(r);
      }
      const { grouped, direct } = await both(ctx, rows);
      expect(direct).toEqual(grouped);
    }
  });
});
