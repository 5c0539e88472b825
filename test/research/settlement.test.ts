import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { renameSync, writeFileSync } from 'node:fs';
import { settlementStudy } from '../../src/services/research/settlement.js';
import { DATASETS } from '../../src/domain/datasets.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import type { SplitFile } from '../../src/services/split.js';
import { tempDir, testContext } from '../helpers.js';
import { runCliAsync } from './fixture.js';

// Planted: the perp (not spot) is displaced by -sign(predicted funding) x 30 bp, ramped in over the
// 30 minutes before each settlement and out over the 30 after (src/sources/synthetic/README.md).
// Perp-minus-spot removes the common price noise, so the event study sees it: falling into the
// settlement when funding is positive, rising when negative, reverting after; placebo times half
// an interval away show nothing.
describe('settlement event study (H6)', () => {
  it('recovers the planted settlement displacement in perp-minus-spot by funding sign, and not at placebo times', async () => {
    const dir = tempDir();
    const root = join(dir, 'data');
    writeFileSync(join(dir, 'eff.json'), JSON.stringify({ settlement: { effect_bps: 30 } }));
    const r = await runCliAsync(['fetch', '--source', 'synthetic', '--symbols', 'BTC,ETH,SOL', '--from', '2025-01-01', '--to', '2025-01-22', '--seed', '7', '--effects', join(dir, 'eff.json'), '--data-dir', root, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const ctx = await testContext();
    const split = { venue: 'synthetic', symbols: ['BTC-PERP', 'ETH-PERP', 'SOL-PERP'] } as SplitFile;
    const from = Date.UTC(2025, 0, 1) * 1000;
    const to = Date.UTC(2025, 0, 22) * 1000;
    const s = (await settlementStudy(ctx, root, split, [[from, to]], { near_minutes: 30, far_minutes: 120 }))!;
    expect(s.bar_timeframe).toBe('1m');
    expect(s.settlements).toBeGreaterThan(35); // two settlements a day (coinbase cadence), windows inside the span
    const get = (kind: string, sign: string, m: string) => s.rows.find((x) => x.kind === kind && x.rate_sign === sign && x.measure === m)!;
    expect(get('settlement', 'positive', 'pre_rel').mean!).toBeLessThan(-0.0005);
    expect(get('settlement', 'positive', 'pre_rel').t!).toBeLessThan(-3);
    expect(get('settlement', 'positive', 'post_rel').t!).toBeGreaterThan(3);
    expect(get('settlement', 'negative', 'pre_rel').mean!).toBeGreaterThan(0);
    for (const sign of ['positive', 'negative']) expect(Math.abs(get('placebo', sign, 'pre_rel').t!)).toBeLessThan(2.5);
    // perp minus spot equals the log basis change by construction
    expect(get('settlement', 'all', 'pre_rel').mean!).toBeCloseTo(get('settlement', 'all', 'pre_basis_chg').mean!, 12);
  });

  it('prices each offset as of its time (the last bar at or before it): perp returns before and after each settlement equal a plain loop over the stored bars', async () => {
    const dir = tempDir();
    const root = join(dir, 'data');
    const r = await runCliAsync(['fetch', '--source', 'synthetic', '--symbols', 'BTC,ETH', '--from', '2025-01-01', '--to', '2025-01-05', '--seed', '3', '--data-dir', root, '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const ctx = await testContext();
    const symbols = ['BTC-PERP', 'ETH-PERP'];
    const split = { venue: 'synthetic', symbols } as SplitFile;
    const from = Date.UTC(2025, 0, 1) * 1000;
    const to = Date.UTC(2025, 0, 5) * 1000;
    const near = 30;
    const far = 120;
    // Missing bars at both near offsets of the first settlement inside the span (BTC): as of its time,
    // the price there is the bar before the hole, never the one after it.
    const M = 60_000;
    const firstInside = Number(await ctx.db.scalar(`SELECT min(epoch_ms(event_time)) FROM ${SCAN_SQL} WHERE symbol = 'BTC-PERP' AND epoch_ms(event_time) >= $lo`, { files: listOf(await datasetFiles(root, DATASETS.funding, { venue: ['synthetic'], symbol: ['BTC-PERP'] })), lo: from / 1000 + far * M }));
    const holes = [firstInside - near * M, firstInside + near * M];
    let removed = 0;
    for (const file of await datasetFiles(root, DATASETS.bars, { venue: ['synthetic'], symbol: ['BTC-PERP'], price: ['last'], timeframe: ['1m'] })) {
      const n = Number(await ctx.db.scalar('SELECT count(*) FROM read_parquet($f) WHERE list_contains($holes, epoch_ms(event_time)::VARCHAR)', { f: file, holes: listOf(holes.map(String)) }));
      if (n === 0) continue;
      removed += n;
      // a test-only rewrite of one stored file (COPY takes no bound parameters; the values are our own numbers)
      await ctx.db.exec(`COPY (SELECT * FROM read_parquet('${file}') WHERE NOT list_contains([${holes.join(', ')}], epoch_ms(event_time))) TO '${file}.tmp' (FORMAT parquet)`);
      renameSync(`${file}.tmp`, file);
    }
    expect(removed).toBe(2);
    const s = (await settlementStudy(ctx, root, split, [[from, to]], { near_minutes: near, far_minutes: far }))!;
    expect(s.bar_timeframe).toBe('1m');
    // the plain loop: every funding row is a settlement; its window must lie inside the span
    const bars = await ctx.db.all(`SELECT symbol, epoch_ms(event_time) AS t, close FROM ${SCAN_SQL} ORDER BY symbol, t`, { files: listOf(await datasetFiles(root, DATASETS.bars, { venue: ['synthetic'], symbol: symbols, price: ['last'], timeframe: ['1m'] })) });
    const funding = await ctx.db.all(`SELECT symbol, epoch_ms(event_time) AS t FROM ${SCAN_SQL} ORDER BY t, symbol`, { files: listOf(await datasetFiles(root, DATASETS.funding, { venue: ['synthetic'], symbol: symbols })) });
    const bySym = new Map<string, Array<{ t: number; close: number }>>();
    for (const b of bars) bySym.set(String(b['symbol']), [...(bySym.get(String(b['symbol'])) ?? []), { t: Number(b['t']), close: Number(b['close']) }]);
    const asOf = (sym: string, t: number): number => {
      let px = Number.NaN;
      for (const b of bySym.get(sym) ?? []) if (b.t <= t) px = b.close;
      return px;
    };
    const byEvent = new Map<number, { pre: number[]; post: number[]; preFar: number[] }>();
    for (const f of funding) {
      const t = Number(f['t']);
      if (!(t * 1000 - far * M * 1000 >= from && t * 1000 + far * M * 1000 < to)) continue;
      const sym = String(f['symbol']);
      const e = byEvent.get(t) ?? { pre: [], post: [], preFar: [] };
      const p0 = asOf(sym, t);
      e.pre.push(Math.log(p0 / asOf(sym, t - near * M)));
      e.post.push(Math.log(asOf(sym, t + near * M) / p0));
      e.preFar.push(Math.log(p0 / asOf(sym, t - far * M)));
      byEvent.set(t, e);
    }
    expect(byEvent.size).toBeGreaterThan(5);
    // the holes are there: no bar at either near offset of that settlement
    for (const h of holes) expect((bySym.get('BTC-PERP') ?? []).some((b) => b.t === h)).toBe(false);
    const avg = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    const want = (k: 'pre' | 'post' | 'preFar'): number => avg([...byEvent.values()].map((e) => avg(e[k])));
    const got = (m: string) => s.rows.find((x) => x.kind === 'settlement' && x.rate_sign === 'all' && x.measure === m)!;
    expect(got('pre_perp').events).toBe(byEvent.size);
    expect(got('pre_perp').mean!).toBeCloseTo(want('pre'), 12);
    expect(got('post_perp').mean!).toBeCloseTo(want('post'), 12);
    expect(got('pre_far_perp').mean!).toBeCloseTo(want('preFar'), 12);
    // the returns are not all zero (the synthetic prices move minute to minute)
    expect(Math.abs(want('pre'))).toBeGreaterThan(1e-6);
  });
});
