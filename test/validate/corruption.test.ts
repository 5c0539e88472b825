import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { timestampValue } from '@duckdb/node-api';
import { ValidateConfigSchema } from '../../src/domain/validate-config.js';
import { validateData, type ValidateResult } from '../../src/services/validate.js';
import { mulberry32 } from '../../src/stats/random.js';
import { ROOT, tempDir, testContext } from '../helpers.js';
import { barFile, copyDataDir, fundingFile, monthOf, rewrite, writeNew, type BarSeries } from './inject.js';

/**
 * Corruption suite: a copy of the bundled real sample gets defects of 19 kinds, several instances
 * each, at seeded-random places, written straight into its Parquet files (bypassing the writer).
 * Validate must find every instance under the right check name, and on the untouched copy flag only
 * what it flags on the sample (the real findings listed in sample.test.ts).
 */

const SAMPLE = join(ROOT, 'data', 'sample');
const H = 3_600_000_000; // one hour, µs
const M = 60_000_000; // one minute, µs
const SEED = Number(process.env['PERPKIT_CORRUPTION_SEED'] ?? 20261122);

const isoUs = (us: number): string => `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19)}.${String(us % 1_000_000).padStart(6, '0')}Z`;
const tsv = (us: number) => timestampValue(BigInt(us));

interface RowExpect {
  kind: string;
  check: string;
  dataset: string;
  venue: string;
  symbol: string;
  price?: string;
  timeframe?: string;
  event_time: number;
}
interface RangeExpect {
  kind: string;
  check: string;
  venue: string;
  symbol: string;
  from: number;
  to: number;
}

const PERPS = ['BTC-PERP', 'ETH-PERP', 'SOL-PERP'];
const last1h = (symbol: string): BarSeries => ({ venue: 'binance-usdm', symbol, price: 'last', timeframe: '1h' });
const last15m = (symbol: string): BarSeries => ({ venue: 'binance-usdm', symbol, price: 'last', timeframe: '15m' });
const mark1h = (symbol: string): BarSeries => ({ venue: 'binance-usdm', symbol, price: 'mark', timeframe: '1h' });
const spot5m = (symbol: string): BarSeries => ({ venue: 'binance-spot', symbol, price: 'last', timeframe: '5m' });

function flaggedKeys(r: ValidateResult): { rows: Set<string>; ranges: Array<{ check: string; venue: string; symbol: string; from: number; to: number }> } {
  const rows = new Set<string>();
  const ranges: Array<{ check: string; venue: string; symbol: string; from: number; to: number }> = [];
  for (const f of r.findings) {
    for (const e of f.examples) {
      const k = JSON.parse(e.row_key) as Record<string, string>;
      if (k['from'] !== undefined) {
        ranges.push({ check: f.check, venue: f.venue, symbol: f.symbol, from: Date.parse(`${k['from']}Z`) * 1000, to: Date.parse(`${k['to']}Z`) * 1000 });
      } else {
        rows.add([f.check, f.dataset, f.venue, f.symbol, k['price'] ?? '', k['timeframe'] ?? '', e.event_time].join('|'));
      }
    }
  }
  return { rows, ranges };
}

describe('validate corruption suite (real sample + injected defects)', () => {
  it('finds 100% of injected defects with the right check; the clean copy flags only the sample findings', async () => {
    const ctx = await testContext();
    const config = ValidateConfigSchema.parse({
      report: { examples: 1_000_000 },
      funding: { cross_sources: [{ venue: 'binance-usdm', other_venue: 'binance-alt' }] },
    });
    const rnd = mulberry32(SEED);
    const clean = tempDir();
    const dirty = tempDir();
    copyDataDir(SAMPLE, clean);
    copyDataDir(SAMPLE, dirty);
    // A second source of BTC-PERP funding (a faithful copy under another venue) in both copies.
    for (const root of [clean, dirty]) {
      const months = readdirSync(join(root, 'funding', 'venue=binance-usdm', 'symbol=BTC-PERP')).map((d) => d.slice('month='.length));
      for (const m of months) {
        await writeNew(ctx.db, fundingFile(root, 'binance-alt', 'BTC-PERP', m), `SELECT * REPLACE ('alt:' || source AS source) FROM read_parquet($f)`, {
          f: fundingFile(root, 'binance-usdm', 'BTC-PERP', m),
        });
      }
    }

    const base = await validateData({ root: clean, config }, ctx);
    // The untouched copy flags exactly the real findings of the sample (see sample.test.ts).
    expect([...new Set(base.findings.map((f) => f.check))].sort()).toEqual(['mark_index_missing', 'outlier_confirmed', 'spot_reference_missing']);
    expect(base.summary.error).toBe(0);
    const baseKeys = flaggedKeys(base);

    // Candidate places: bar times of each series, away from what the clean run flags (±3 h), from
    // each series' 200th bar on (trailing volatility warmed up), never on day 28+ of a month (so a
    // moved or deleted bar stays inside its month file), at least 12 bars from another injection.
    const flaggedTimes = new Map<string, number[]>();
    for (const k of baseKeys.rows) {
      const [, , , symbol, , , t] = k.split('|') as string[];
      const us = Date.parse(t as string) * 1000;
      flaggedTimes.set(symbol as string, [...(flaggedTimes.get(symbol as string) ?? []), us]);
    }
    const used = new Map<string, number[]>();
    const times = async (s: BarSeries): Promise<number[]> => {
      const rows = await ctx.db.all(
        `SELECT epoch_us(event_time)::BIGINT AS t FROM read_parquet($g) ORDER BY 1`,
        { g: join(dirty, 'bars', `venue=${s.venue}`, `symbol=${s.symbol}`, `price=${s.price}`, `timeframe=${s.timeframe}`, '*', '*.parquet') },
      );
      return rows.map((r) => Number(r['t']));
    };
    const seriesTimes = new Map<string, number[]>();
    const pick = async (s: BarSeries, span = 1): Promise<number> => {
      const key = `${s.venue}/${s.symbol}/${s.price}/${s.timeframe}`;
      if (!seriesTimes.has(key)) seriesTimes.set(key, await times(s));
      const all = seriesTimes.get(key) as number[];
      const tf = (all[1] as number) - (all[0] as number);
      for (let attempt = 0; attempt < 1000; attempt++) {
        const i = 200 + Math.floor(rnd() * (all.length - 200 - span - 2));
        const t = all[i] as number;
        const end = t + (span - 1) * tf;
        if (new Date(t / 1000).getUTCDate() >= 28 || new Date(end / 1000).getUTCDate() >= 28) continue;
        const near = (xs: number[] | undefined, d: number): boolean => (xs ?? []).some((x) => x >= t - d && x <= end + d);
        if (near(flaggedTimes.get(s.symbol), 3 * H) || near(used.get(s.symbol), Math.max(12 * tf, 12 * H))) continue;
        used.set(s.symbol, [...(used.get(s.symbol) ?? []), t, end]);
        return t;
      }
      throw new Error(`no place left in ${key}`);
    };
    const randomPerp = (): string => PERPS[Math.floor(rnd() * PERPS.length)] as string;
    const rows: RowExpect[] = [];
    const ranges: RangeExpect[] = [];
    const expectBar = (kind: string, check: string, s: BarSeries, t: number): void => {
      rows.push({ kind, check, dataset: 'bars', venue: s.venue, symbol: s.symbol, price: s.price, timeframe: s.timeframe, event_time: t });
    };
    const mutateBar = async (s: BarSeries, t: number, select: string): Promise<void> =>
      rewrite(ctx.db, barFile(dirty, s, monthOf(t)), select, { t: tsv(t) });
    const N = 3;

    // 1. duplicate natural key (a second copy of a bar from another "source")
    for (let i = 0; i < N; i++) {
      const s = i === 0 ? spot5m('ETH-SPOT') : last1h(randomPerp());
      const t = await pick(s);
      await mutateBar(s, t, `SELECT * FROM (SELECT * FROM __f UNION ALL SELECT * REPLACE ('copy:' || source AS source) FROM __f WHERE event_time = $t) ORDER BY event_time`);
      expectBar('duplicate rows', 'duplicate_key', s, t);
    }
    // 2. misaligned timestamp: a 1h bar stamped 7 minutes past the hour (both clocks and open_time moved)
    for (let i = 0; i < N; i++) {
      const s = last1h(randomPerp());
      const t = await pick(s);
      await mutateBar(
        s,
        t,
        `SELECT * REPLACE (CASE WHEN event_time = $t THEN event_time + INTERVAL 7 MINUTE ELSE event_time END AS event_time,
                           CASE WHEN event_time = $t THEN open_time + INTERVAL 7 MINUTE ELSE open_time END AS open_time,
                           CASE WHEN event_time = $t THEN available_time + INTERVAL 7 MINUTE ELSE available_time END AS available_time)
         FROM __f ORDER BY event_time`,
      );
      expectBar('misaligned timestamp', 'misaligned_time', s, t + 7 * M);
    }
    // 4. wrong partition: a bar filed in the next month's file
    for (let i = 0; i < N; i++) {
      const s = last1h(randomPerp());
      let t = await pick(s);
      while (monthOf(t) >= '2026-04') t = await pick(s);
      const next = monthOf(t + 31 * 24 * H - (new Date(t / 1000).getUTCDate() - 1) * 24 * H);
      await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE __moved AS SELECT * FROM read_parquet($f) WHERE event_time = $t`, {
        f: barFile(dirty, s, monthOf(t)),
        t: tsv(t),
      });
      await mutateBar(s, t, `SELECT * FROM __f WHERE event_time <> $t ORDER BY event_time`);
      await rewrite(ctx.db, barFile(dirty, s, next), `SELECT * FROM (SELECT * FROM __f UNION ALL SELECT * FROM __moved) ORDER BY event_time`);
      expectBar('row in the wrong partition', 'wrong_partition', s, t);
    }
    // 5. OHLC inconsistency: high below max(open, close)
    for (let i = 0; i < N + 1; i++) {
      const s = i === 0 ? last15m(randomPerp()) : last1h(randomPerp());
      const t = await pick(s);
      await mutateBar(s, t, `SELECT * REPLACE (CASE WHEN event_time = $t THEN greatest("open", "close") * 0.995 ELSE high END AS high) FROM __f ORDER BY event_time`);
      expectBar('high below open/close', 'ohlc_inconsistent', s, t);
    }
    // 6. non-positive price
    for (let i = 0; i < N; i++) {
      const s = i === 0 ? spot5m('SOL-SPOT') : last1h(randomPerp());
      const t = await pick(s);
      await mutateBar(s, t, `SELECT * REPLACE (CASE WHEN event_time = $t THEN 0.0 ELSE low END AS low) FROM __f ORDER BY event_time`);
      expectBar('zero price', 'nonpositive_price', s, t);
    }
    // 7. non-finite price
    for (let i = 0; i < N; i++) {
      const s = i === 0 ? mark1h(randomPerp()) : last1h(randomPerp());
      const t = await pick(s);
      await mutateBar(s, t, `SELECT * REPLACE (CASE WHEN event_time = $t THEN 'NaN'::DOUBLE ELSE "close" END AS "close") FROM __f ORDER BY event_time`);
      expectBar('NaN close', 'nonfinite_value', s, t);
    }
    // 8. negative volume
    for (let i = 0; i < N; i++) {
      const s = last15m(randomPerp());
      const t = await pick(s);
      await mutateBar(s, t, `SELECT * REPLACE (CASE WHEN event_time = $t THEN -volume - 1 ELSE volume END AS volume) FROM __f ORDER BY event_time`);
      expectBar('negative volume', 'negative_volume', s, t);
    }
    // 9. bad print: close and high (or low) 25-40% off, the other price types untouched
    for (let i = 0; i < N + 1; i++) {
      const s = i === 0 ? last15m(randomPerp()) : last1h(randomPerp());
      const t = await pick(s);
      const k = 1.25 + 0.15 * rnd();
      const up = rnd() < 0.5;
      await mutateBar(
        s,
        t,
        up
          ? `SELECT * REPLACE (CASE WHEN event_time = $t THEN "close" * ${k} ELSE "close" END AS "close",
                               CASE WHEN event_time = $t THEN greatest(high, "close" * ${k}) ELSE high END AS high) FROM __f ORDER BY event_time`
          : `SELECT * REPLACE (CASE WHEN event_time = $t THEN "close" / ${k} ELSE "close" END AS "close",
                               CASE WHEN event_time = $t THEN least(low, "close" / ${k}) ELSE low END AS low) FROM __f ORDER BY event_time`,
      );
      expectBar('bad print', 'price_outlier', s, t);
    }
    // 10. time travel: available_time before event_time
    for (let i = 0; i < N; i++) {
      const s = last1h(randomPerp());
      const t = await pick(s);
      await mutateBar(s, t, `SELECT * REPLACE (CASE WHEN event_time = $t THEN event_time - INTERVAL 30 SECOND ELSE available_time END AS available_time) FROM __f ORDER BY event_time`);
      expectBar('available before event', 'available_before_event', s, t);
    }
    // 11. event in the future of its fetch: ingest_time a day before event_time
    for (let i = 0; i < N; i++) {
      const s = i === 0 ? spot5m('BTC-SPOT') : last1h(randomPerp());
      const t = await pick(s);
      await mutateBar(s, t, `SELECT * REPLACE (CASE WHEN event_time = $t THEN event_time - INTERVAL 1 DAY ELSE ingest_time END AS ingest_time) FROM __f ORDER BY event_time`);
      expectBar('event after fetch time', 'event_in_future', s, t);
    }
    // 12. precision loss: available_time through float seconds (+1 µs)
    for (let i = 0; i < N; i++) {
      const s = last1h(randomPerp());
      const t = await pick(s);
      await mutateBar(s, t, `SELECT * REPLACE (CASE WHEN event_time = $t THEN available_time + INTERVAL 1 MICROSECOND ELSE available_time END AS available_time) FROM __f ORDER BY event_time`);
      expectBar('timestamp precision loss', 'time_precision_loss', s, t);
    }
    // 13. gap: 8 consecutive 1h bars deleted (seed threshold scaled: > 5 intervals)
    for (let i = 0; i < N; i++) {
      const s = last1h(randomPerp());
      const t = await pick(s, 8);
      await mutateBar(s, t, `SELECT * FROM __f WHERE event_time NOT BETWEEN $t AND $t + INTERVAL 7 HOUR ORDER BY event_time`);
      expectBar('8 bars missing', 'bar_gap', s, t + 8 * H);
    }
    // Funding defects, at settlements away from each other.
    const fundTimes = async (symbol: string): Promise<number[]> =>
      (
        await ctx.db.all(`SELECT epoch_us(event_time)::BIGINT AS t FROM read_parquet($g) ORDER BY 1`, {
          g: join(dirty, 'funding', 'venue=binance-usdm', `symbol=${symbol}`, '*', '*.parquet'),
        })
      ).map((r) => Number(r['t']));
    const usedF: number[] = [];
    const pickF = async (symbol: string): Promise<number> => {
      const all = await fundTimes(symbol);
      for (;;) {
        const t = all[10 + Math.floor(rnd() * (all.length - 20))] as number;
        if (usedF.some((u) => Math.abs(u - t) < 72 * H)) continue;
        usedF.push(t);
        return t;
      }
    };
    const expectF = (kind: string, check: string, symbol: string, t: number): void => {
      rows.push({ kind, check, dataset: 'funding', venue: 'binance-usdm', symbol, event_time: t });
    };
    const mutateF = async (symbol: string, t: number, select: string, venue = 'binance-usdm'): Promise<void> =>
      rewrite(ctx.db, fundingFile(dirty, venue, symbol, monthOf(t)), select, { t: tsv(t) });
    // 14. missing settlement
    for (let i = 0; i < N; i++) {
      const sym = randomPerp();
      const t = await pickF(sym);
      await mutateF(sym, t, `SELECT * FROM __f WHERE event_time <> $t ORDER BY event_time`);
      expectF('settlement deleted', 'funding_missing', sym, t + 8 * H);
    }
    // 15. implausible rate
    for (let i = 0; i < N; i++) {
      const sym = randomPerp();
      const t = await pickF(sym);
      await mutateF(sym, t, `SELECT * REPLACE (CASE WHEN event_time = $t THEN ${i % 2 ? -0.02 : 0.0125} ELSE funding_rate END AS funding_rate) FROM __f ORDER BY event_time`);
      expectF('rate out of bounds', 'funding_out_of_bounds', sym, t);
    }
    // 16. a predicted (off-schedule) rate stored as settled
    for (let i = 0; i < N; i++) {
      const sym = randomPerp();
      const t = await pickF(sym);
      const at = t + 3 * H + 17 * M;
      await mutateF(
        sym,
        t,
        `SELECT * FROM (SELECT * FROM __f UNION ALL
           SELECT * REPLACE (event_time + INTERVAL 197 MINUTE AS event_time, available_time + INTERVAL 197 MINUTE AS available_time) FROM __f WHERE event_time = $t)
         ORDER BY event_time`,
      );
      expectF('predicted rate as settled', 'funding_off_schedule', sym, at);
    }
    // 17. second source disagrees (the copy under binance-alt altered)
    for (let i = 0; i < N; i++) {
      const t = await pickF('BTC-PERP');
      await mutateF('BTC-PERP', t, `SELECT * REPLACE (CASE WHEN event_time = $t THEN funding_rate + 0.0002 ELSE funding_rate END AS funding_rate) FROM __f ORDER BY event_time`, 'binance-alt');
      expectF('sources disagree', 'funding_cross_source', 'BTC-PERP', t);
    }
    // 18. spot reference missing: 6 hours of spot bars (1h and 5m) deleted inside the overlap
    const usedSpot: number[] = [];
    for (let i = 0; i < 2; i++) {
      const sym = ['BTC', 'ETH', 'SOL'][Math.floor(rnd() * 3)] as string;
      let t0: number;
      do t0 = Date.parse('2026-03-16T00:00:00Z') * 1000 + Math.floor(rnd() * 600) * H;
      while (usedSpot.some((u) => Math.abs(u - t0) < 24 * H) || new Date(t0 / 1000).getUTCDate() >= 28);
      usedSpot.push(t0);
      for (const tf of ['1h', '5m']) {
        const s: BarSeries = { venue: 'binance-spot', symbol: `${sym}-SPOT`, price: 'last', timeframe: tf };
        await rewrite(ctx.db, barFile(dirty, s, monthOf(t0)), `SELECT * FROM __f WHERE NOT (open_time >= $t AND open_time < $t + INTERVAL 6 HOUR) ORDER BY event_time`, { t: tsv(t0) });
      }
      ranges.push({ kind: 'spot bars deleted (6 h)', check: 'spot_reference_missing', venue: 'binance-usdm', symbol: `${sym}-PERP`, from: t0, to: t0 + 6 * H });
    }
    // 19. mark missing: 4 hours of mark bars deleted
    for (let i = 0; i < 2; i++) {
      const s = mark1h(randomPerp());
      const t = await pick(s, 4);
      await mutateBar(s, t, `SELECT * FROM __f WHERE event_time NOT BETWEEN $t AND $t + INTERVAL 3 HOUR ORDER BY event_time`);
      ranges.push({ kind: 'mark bars deleted (4 h)', check: 'mark_index_missing', venue: 'binance-usdm', symbol: s.symbol, from: t - H, to: t + 3 * H });
    }

    // 3. non-monotonic: a bar moved to the end of its file (last: the other injections rewrite files sorted)
    for (let i = 0; i < N; i++) {
      const s = i === 0 ? mark1h(randomPerp()) : last1h(randomPerp());
      const t = await pick(s);
      await mutateBar(s, t, `SELECT * FROM __f ORDER BY event_time = $t, event_time`);
      expectBar('out-of-order row', 'non_monotonic_time', s, t);
    }
    const r = await validateData({ root: dirty, config }, ctx);
    const got = flaggedKeys(r);
    const table = new Map<string, { check: string; injected: number; detected: number; missed: string[] }>();
    for (const e of rows) {
      const k = [e.check, e.dataset, e.venue, e.symbol, e.price ?? '', e.timeframe ?? '', isoUs(e.event_time)].join('|');
      const row = table.get(e.kind) ?? { check: e.check, injected: 0, detected: 0, missed: [] };
      row.injected++;
      if (got.rows.has(k)) row.detected++;
      else row.missed.push(k);
      table.set(e.kind, row);
    }
    for (const e of ranges) {
      const row = table.get(e.kind) ?? { check: e.check, injected: 0, detected: 0, missed: [] };
      row.injected++;
      if (got.ranges.some((g) => g.check === e.check && g.venue === e.venue && g.symbol === e.symbol && g.from <= e.from && g.to >= e.to)) row.detected++;
      else row.missed.push(`${e.check} ${e.symbol} ${isoUs(e.from)}..${isoUs(e.to)}`);
      table.set(e.kind, row);
    }
    if (process.env['PERPKIT_PRINT_DETECTION']) {
      console.log([...table.entries()].map(([k, v]) => `| ${k} | ${v.injected} | ${v.detected} | ${v.check} |`).join('\n'));
    }
    expect(table.size).toBeGreaterThanOrEqual(12);
    for (const [kind, v] of table) {
      expect(v.missed, kind).toEqual([]);
      expect(v.injected, kind).toBeGreaterThanOrEqual(2);
    }
    // Row defects are quarantined; the run fails (exit 3 in the CLI).
    expect(r.failed).toBe(true);
    expect(r.quarantine.by_check['ohlc_inconsistent']).toBe(4);
    expect(r.quarantine.by_check['price_outlier']).toBe(4);
  });
});
