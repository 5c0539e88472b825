import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { BINANCE_TICKS_CLOCK_OFFSET_US, BinanceTickMapper, classifyBinanceTickFile, type BinanceTickFile } from '../../src/sources/ticks/binance-raw.js';
import { FIXTURES, runCli, tempDir, testContext } from '../helpers.js';

const TICKS = join(FIXTURES, 'ticks');
const BIN = join(TICKS, 'binance');
const FILES = ['spot/btcusdt_20240808.gz', 'usdm/btcusdt_20240808.gz', 'cm/btcusd_perp_20240808.gz'];
const lines = (rel: string): string[] => gunzipSync(readFileSync(join(BIN, rel))).toString('utf8').trimEnd().split('\n');
const stream = (l: string): string => /"stream":"[^"@]+@([a-zA-Z]+)/.exec(l)?.[1] ?? 'snapshot';

function mapper(rel: string): { m: BinanceTickMapper; file: BinanceTickFile } {
  const ls = lines(rel);
  const file = classifyBinanceTickFile(join(BIN, rel), ls.slice(0, 50).join('\n'))!;
  return { m: new BinanceTickMapper({ file, source: `binance-ticks:${rel}`, ingest_time: 0 }), file };
}

async function query(dir: string, dataset: 'trades' | 'quotes' | 'book', sql: string): Promise<Array<Record<string, unknown>>> {
  const ctx = await testContext();
  return ctx.db.all(sql, { files: listOf(await datasetFiles(dir, DATASETS[dataset])) });
}

describe('Binance raw-stream recordings', () => {
  it('classifies venue and symbol from folder and name (spot, USD-M, COIN-M)', async () => {
    expect(FILES.map((f) => mapper(f).file).map((f) => [f.venue, f.symbol, f.venue_symbol])).toEqual([
      ['binance-spot', 'BTC-SPOT', 'BTCUSDT'],
      ['binance-usdm', 'BTC-PERP', 'BTCUSDT'],
      ['binance-coinm', 'BTC-PERP', 'BTCUSD_PERP'],
    ]);
    expect(classifyBinanceTickFile('/x/BTC_USDT-1h.csv.gz', 'date,open')).toBeNull();
  });

  it('fetch --source files: trades per file = trade messages, quotes = bookTicker messages; idempotent', async () => {
    const dir = tempDir();
    const r = (await runCli(['fetch', '--source', 'files', '--path', BIN, '--data-dir', dir, '--json']));
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { ticks: { files: Array<{ path: string; rows: Record<string, number>; binance: { gaps: unknown[]; malformed: number; clock_clamped: number } }> } };
    for (const f of FILES) {
      const rep = doc.ticks.files.find((x) => x.path.endsWith(f))!;
      const kinds = lines(f).map(stream);
      expect(rep.rows['trades'], f).toBe(kinds.filter((k) => k === 'trade').length);
      expect(rep.rows['quotes'], f).toBe(kinds.filter((k) => k === 'bookTicker').length);
      expect(rep.binance.gaps, f).toEqual([]);
      expect(rep.binance.malformed).toBe(0);
      expect(rep.binance.clock_clamped).toBe(0);
    }
    const again = (await runCli(['fetch', '--source', 'files', '--path', BIN, '--data-dir', dir, '--json']));
    const w = (JSON.parse(again.stdout) as { writes: Array<{ rows_added: number; rows_replaced: number }> }).writes;
    expect(w.every((x) => x.rows_added === 0 && x.rows_replaced === 0)).toBe(true);
  });

  it('stores trades per venue from the files, with the clock correction and COIN-M sizes in base units', async () => {
    const dir = tempDir();
    expect((await runCli(['fetch', '--source', 'files', '--path', BIN, '--data-dir', dir, '--quiet'])).code).toBe(0);
    const counts = await query(dir, 'trades', `SELECT venue, symbol, count(*)::DOUBLE AS n FROM ${SCAN_SQL} GROUP BY ALL ORDER BY ALL`);
    expect(counts).toEqual(
      FILES.map((f, i) => ({
        venue: ['binance-spot', 'binance-usdm', 'binance-coinm'][i],
        symbol: ['BTC-SPOT', 'BTC-PERP', 'BTC-PERP'][i],
        n: lines(f).filter((l) => stream(l) === 'trade').length,
      })).sort((a, b) => String(a.venue).localeCompare(String(b.venue))),
    );
    // first COIN-M trade: 4 contracts of 100 USD at 61804.8 = 400/61804.8 BTC; available = receive + 1.28 s
    const first = lines('cm/btcusd_perp_20240808.gz').find((l) => stream(l) === 'trade')!;
    const recvUs = Number(BigInt(first.split(' ')[0]!) / 1000n);
    const [t] = await query(dir, 'trades', `SELECT size, price, side, epoch_us(available_time)::DOUBLE AS a, epoch_us(event_time)::DOUBLE AS e FROM ${SCAN_SQL} WHERE venue = 'binance-coinm' AND trade_id = '849714402'`);
    expect(t).toEqual({ size: 400 / 61804.8, price: 61804.8, side: 'buy', a: recvUs + BINANCE_TICKS_CLOCK_OFFSET_US, e: 1723161257679000 });
    // spot bookTicker has no exchange time: event_time = corrected receive time, flagged in source
    const [q] = await query(dir, 'quotes', `SELECT count(*)::DOUBLE AS n, count(*) FILTER (WHERE event_time = available_time)::DOUBLE AS same FROM ${SCAN_SQL} WHERE venue = 'binance-spot' AND source LIKE '%#event_time=receive'`);
    expect(q!['n']).toBe(lines('spot/btcusdt_20240808.gz').filter((l) => stream(l) === 'bookTicker').length);
    expect(q!['same']).toBe(q!['n']);
  });

  it('top of book after the depth diffs equals the bookTicker stream at matching update ids', async () => {
    for (const f of FILES) {
      const { m } = mapper(f);
      const tops = new Map<number, ReturnType<typeof m.book.top>>();
      const tickers = new Map<number, { b: number; B: number; a: number; A: number }>();
      for (const l of lines(f)) {
        if (stream(l) === 'bookTicker') {
          const d = (JSON.parse(l.slice(l.indexOf(' ') + 1)) as { data: Record<string, string | number> }).data;
          tickers.set(Number(d['u']), { b: Number(d['b']), B: Number(d['B']), a: Number(d['a']), A: Number(d['A']) });
        }
      }
      m.onApplied = (u, book) => {
        if (tickers.has(u)) tops.set(u, book.top());
      };
      for (const l of lines(f)) m.line(l);
      expect(m.stats.gaps, f).toEqual([]);
      expect(tops.size, `${f}: matching update ids`).toBeGreaterThan(20);
      const usd = f.startsWith('cm/') ? 100 : null;
      for (const [u, top] of tops) {
        const t = tickers.get(u)!;
        expect([top.bid_price, top.ask_price], `${f} u=${u}`).toEqual([t.b, t.a]);
        expect(top.bid_size).toBeCloseTo(usd ? (t.B * usd) / t.b : t.B, 12);
        expect(top.ask_size).toBeCloseTo(usd ? (t.A * usd) / t.a : t.A, 12);
      }
    }
  });

  it('a broken depth sequence is reported and written as a gap row, not papered over', async () => {
    const ls = lines('usdm/btcusdt_20240808.gz');
    const snap = ls.findIndex((l) => stream(l) === 'snapshot');
    const victim = ls.findIndex((l, i) => i > snap + 200 && stream(l) === 'depth');
    const removed = JSON.parse(ls[victim]!.slice(ls[victim]!.indexOf(' ') + 1)) as { data: { u: number; pu: number } };
    const src = tempDir();
    mkdirSync(join(src, 'usdm'));
    writeFileSync(join(src, 'usdm', 'btcusdt_20240808.gz'), gzipSync(ls.filter((_, i) => i !== victim).join('\n') + '\n'));
    const dir = tempDir();
    const r = (await runCli(['fetch', '--source', 'files', '--path', src, '--data-dir', dir, '--json']));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('depth sequence broken 1 time(s)');
    const rep = (JSON.parse(r.stdout) as { ticks: { files: Array<{ binance: { gaps: Array<{ expected: number }>; unsynced_diffs: number } }> } }).ticks.files[0]!;
    expect(rep.binance.gaps).toHaveLength(1);
    // the book stood at the update before the missing one: its u is the missing diff's pu
    expect(rep.binance.gaps[0]!.expected).toBe(removed.data.pu);
    expect(rep.binance.unsynced_diffs).toBeGreaterThan(0);
    const gaps = await query(dir, 'book', `SELECT first_update_id::DOUBLE AS pu FROM ${SCAN_SQL} WHERE update_type = 'gap'`);
    expect(gaps).toHaveLength(1);
  });
});

describe('Tardis CSVs', () => {
  it('imports trades, quotes, book snapshots, incremental L2 and derivative tickers with venue mapping and size units', async () => {
    const dir = tempDir();
    const r = (await runCli(['fetch', '--source', 'files', '--path', join(TICKS, 'tardis'), '--data-dir', dir, '--json']));
    expect(r.code, r.stderr).toBe(0);
    const trades = await query(dir, 'trades', `SELECT venue, symbol, count(*)::DOUBLE AS n FROM ${SCAN_SQL} GROUP BY ALL ORDER BY ALL`);
    expect(trades).toEqual([
      { venue: 'binance-usdm', symbol: 'BTC-PERP', n: 500 },
      { venue: 'bitmex', symbol: 'BTC-PERP', n: 10 },
    ]);
    // BitMEX XBTUSD: 2152 contracts of 1 USD at 8531.5 -> BTC; clocks = timestamp / local_timestamp
    const [bx] = await query(dir, 'trades', `SELECT size, epoch_us(event_time)::DOUBLE AS e, epoch_us(available_time)::DOUBLE AS a FROM ${SCAN_SQL} WHERE trade_id = 'ccc3c1fa-212c-e8b0-1706-9b9c4f3d5ecf'`);
    expect(bx).toEqual({ size: 2152 / 8531.5, e: 1583020803145000, a: 1583020803307160 });
    const quotes = await query(dir, 'quotes', `SELECT venue, count(*)::DOUBLE AS n FROM ${SCAN_SQL} GROUP BY ALL ORDER BY ALL`);
    expect(quotes).toEqual([
      { venue: 'binance-usdm', n: 500 },
      { venue: 'huobi-dm-swap', n: 10 },
    ]);
    const book = await query(dir, 'book', `SELECT venue, update_type, count(*)::DOUBLE AS n FROM ${SCAN_SQL} GROUP BY ALL ORDER BY ALL`);
    const inc = readFileSync(join(TICKS, 'tardis', 'deribit_incremental_book_L2_BTC-PERPETUAL.csv'), 'utf8').trim().split('\n').slice(1);
    expect(book).toEqual([
      { venue: 'binance-usdm', update_type: 'snapshot', n: 10 * 50 },
      ...(inc.some((l) => l.includes(',false,')) ? [{ venue: 'deribit', update_type: 'diff', n: inc.filter((l) => l.includes(',false,')).length }] : []),
      { venue: 'deribit', update_type: 'snapshot', n: inc.filter((l) => l.includes(',true,')).length },
    ]);
    const ctx = await testContext();
    const files = await datasetFiles(dir, DATASETS.derivative_ticker);
    const tick = await ctx.db.all(
      `SELECT venue, symbol, predicted_funding_rate, open_interest, mark_price, epoch_us(next_funding_time)::DOUBLE AS nf FROM ${SCAN_SQL} ORDER BY venue, event_time LIMIT 100`,
      { files: listOf(files) },
    );
    const deribit = tick.filter((t) => t['venue'] === 'deribit');
    expect(deribit).toHaveLength(3);
    // Deribit open interest is in USD: stored in BTC at the mark price
    expect(deribit[0]).toMatchObject({ symbol: 'BTC-PERP', predicted_funding_rate: 0.00000459, mark_price: 65220.13 });
    expect(deribit[0]!['open_interest']).toBeCloseTo(705041730 / 65220.13, 6);
    const okx = tick.filter((t) => t['venue'] === 'okx-futures');
    expect(okx).toHaveLength(8);
    // unknown contract: open interest left out (and reported), funding kept with its settlement time
    expect(okx[0]).toMatchObject({ symbol: 'BTC-USD_UM_XPERP-310404', open_interest: null, predicted_funding_rate: -0.0003972900658902, nf: 1786320000000000 });
    expect(r.stderr).toContain('contract size perpkit does not know');
  });
});
