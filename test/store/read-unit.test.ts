import { describe, expect, it } from 'vitest';
import { DATASETS } from '../../src/domain/datasets.js';
import { writeRows } from '../../src/store/dataset.js';
import { latestInstruments, release, scan, tempName } from '../../src/store/read.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * The read side in-process: every scan filter against the same filter applied to the written rows in plain
 * JavaScript, boundaries included (a row exactly at each bound), and quarantined rows left out and counted.
 */
const H = 3_600_000_000;
const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;

interface Bar {
  symbol: string;
  event_time: number;
  available_time: number;
  ingest_time: number;
  open_time: number;
}
function bars(): Bar[] {
  const out: Bar[] = [];
  for (const symbol of ['BTC-PERP', 'ETH-PERP'])
    for (let i = 0; i < 6; i++) {
      const event = T0 + (i + 1) * H;
      out.push({ symbol, event_time: event, available_time: event + 2_000_000, ingest_time: T0 + i, open_time: event - H });
    }
  return out;
}
const row = (b: Bar): Record<string, unknown> => ({
  venue: 'binance-usdm',
  price: 'last',
  timeframe: '1h',
  source: 'test',
  open: 100,
  high: 101,
  low: 99,
  close: 100.5,
  volume: 1,
  quote_volume: null,
  trade_count: null,
  ...b,
});

async function setup(): Promise<{ ctx: Awaited<ReturnType<typeof testContext>>; root: string; all: Bar[] }> {
  const ctx = await testContext();
  const root = tempDir();
  const all = bars();
  await writeRows(ctx, { root, spec: DATASETS.bars }, all.map(row));
  return { ctx, root, all };
}

describe('scan', () => {
  it('each bound keeps exactly the rows of its rule (>= event_from, < available_before, < open_before, > ingested_after)', async () => {
    const { ctx, root, all } = await setup();
    const at = all[2] as Bar; // a row exactly at each bound
    const cases: Array<[Parameters<typeof scan>[3], (b: Bar) => boolean]> = [
      [{}, () => true],
      [{ event_from: at.event_time }, (b) => b.event_time >= at.event_time],
      [{ available_before: at.available_time }, (b) => b.available_time < at.available_time],
      [{ open_before: at.open_time }, (b) => b.open_time < at.open_time],
      [{ ingested_after: at.ingest_time }, (b) => b.ingest_time > at.ingest_time],
      [{ symbol: ['ETH-PERP'] }, (b) => b.symbol === 'ETH-PERP'],
      [{ symbol: ['ETH-PERP'], event_from: at.event_time, available_before: (all[4] as Bar).available_time }, (b) => b.symbol === 'ETH-PERP' && b.event_time >= at.event_time && b.available_time < (all[4] as Bar).available_time],
    ];
    for (const [o, keep] of cases) {
      const r = await scan(ctx, root, DATASETS.bars, o);
      const want = all.filter(keep).length;
      expect({ o, rows: r.rows }).toEqual({ o, rows: want });
      expect(Number(await ctx.db.scalar(`SELECT count(*) FROM "${r.table}"`))).toBe(want);
      expect(r.excluded).toBe(0);
      await release(ctx, r.table);
    }
    const s = await scan(ctx, root, DATASETS.bars, { symbol: ['BTC-PERP'] });
    expect(s.files).toBe(1);
    expect((await scan(ctx, root, DATASETS.bars)).files).toBe(2);
  });

  it('keeps the columns asked for plus the natural key (for quarantine matching), all of them with include_quarantined', async () => {
    const { ctx, root } = await setup();
    const cols = async (table: string): Promise<string[]> => (await ctx.db.all(`SELECT column_name FROM (DESCRIBE "${table}")`)).map((r) => String(r['column_name']));
    const a = await scan(ctx, root, DATASETS.bars, { columns: ['close'] });
    expect((await cols(a.table)).sort()).toEqual(['close', 'event_time', 'price', 'symbol', 'timeframe', 'venue']);
    const b = await scan(ctx, root, DATASETS.bars, { columns: ['close'], include_quarantined: true });
    expect(await cols(b.table)).toEqual(['close']);
    const c = await scan(ctx, root, DATASETS.bars);
    expect(await cols(c.table)).toEqual([...DATASETS.bars.partitionKeys, ...DATASETS.bars.columns.map((x) => x.name)]);
    await expect(scan(ctx, root, DATASETS.bars, { columns: ['close', 'nope'] })).rejects.toThrow('dataset bars has no column nope');
  });

  it('nothing stored: no files, no rows, a table name to release', async () => {
    const ctx = await testContext();
    const r = await scan(ctx, tempDir(), DATASETS.bars, { prefix: 'x' });
    expect(r).toMatchObject({ files: 0, rows: 0, excluded: 0 });
    expect(r.table).toMatch(/^x_\d+_\d+$/);
    expect(await latestInstruments(ctx, tempDir(), { venue: ['binance-usdm'] })).toEqual([]);
  });

  it('leaves out quarantined rows (matched on the natural key) and counts them, unless asked to keep them', async () => {
    const { ctx, root, all } = await setup();
    const bad = all[7] as Bar; // ETH-PERP
    await writeRows(ctx, { root, spec: DATASETS.quarantine }, [
      {
        venue: 'binance-usdm',
        symbol: bad.symbol,
        event_time: bad.event_time,
        available_time: bad.available_time,
        source: 'perpkit-validate:bars_ohlc',
        ingest_time: T0,
        dataset: 'bars',
        price: 'last',
        timeframe: '1h',
        check: 'ohlc_inconsistent',
        severity: 'error',
        reason: 'test',
        row_key: JSON.stringify({ symbol: bad.symbol, event_time: bad.event_time }),
        row_available_time: bad.available_time,
        row_source: 'test',
      },
    ]);
    const r = await scan(ctx, root, DATASETS.bars);
    expect([r.rows, r.excluded]).toEqual([all.length - 1, 1]);
    const left = await ctx.db.all(`SELECT count(*)::INT AS n FROM "${r.table}" WHERE symbol = $s AND event_time = make_timestamp($t::BIGINT)`, { s: bad.symbol, t: BigInt(bad.event_time) });
    expect(left[0]?.['n']).toBe(0);
    const k = await scan(ctx, root, DATASETS.bars, { include_quarantined: true });
    expect([k.rows, k.excluded]).toEqual([all.length, 0]);
  });

  it('release drops the temp table', async () => {
    const { ctx, root } = await setup();
    const r = await scan(ctx, root, DATASETS.bars);
    await release(ctx, r.table);
    expect(await ctx.db.all(`SELECT table_name FROM duckdb_tables() WHERE table_name = '${r.table}'`)).toEqual([]);
  });

  it('temp names are unique within the process', () => {
    const a = tempName('t');
    const b = tempName('t');
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^t_${process.pid}_\\d+$`));
  });
});
