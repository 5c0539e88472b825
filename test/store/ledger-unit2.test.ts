import { describe, expect, it } from 'vitest';
import { writeRows } from '../../src/store/dataset.js';
import { datasetFiles, listOf } from '../../src/store/dataset.js';
import { ledgerSpec } from '../../src/store/ledger.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * The trial ledger's stored schema is a contract: ledgers written by earlier versions are read by report, research
 * and optimize, and the trial count of Deflated Sharpe and PBO depends on no row ever being merged away. This pins
 * what a write stores (column names and types in the Parquet file, one month folder per event month), which
 * columns refuse NULL, and the natural key (rows differing in any key column are all kept).
 */
const T = Date.parse('2026-11-22T12:00:00Z') * 1000;
function entry(o: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    event_time: T,
    available_time: T,
    source: 'perpkit',
    ingest_time: T,
    kind: 'evaluation',
    command: 'backtest',
    args: '{}',
    config_hash: 'c',
    data_hashes: '{}',
    split_name: 's',
    segment: 'g',
    detail: 'd',
    ...o,
  };
}

const NOT_NULL = ['event_time', 'available_time', 'source', 'ingest_time', 'kind', 'command', 'args', 'config_hash', 'data_hashes'];
const NULLABLE = ['split_name', 'segment', 'detail'];

describe('ledger schema', () => {
  it('stores every column with its type, in one folder per month of event_time', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: ledgerSpec() }, [entry(), entry({ event_time: T + 40 * 86_400_000_000, available_time: T + 40 * 86_400_000_000 })]);
    const files = await datasetFiles(root, ledgerSpec());
    expect(files.map((f) => f.slice(root.length).split('/').slice(1, -1).join('/')).sort()).toEqual(['ledger/month=2026-11', 'ledger/month=2027-01']);
    const cols = await ctx.db.all(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet($f))`, { f: files[0] as string });
    const types = Object.fromEntries(cols.map((c) => [c['column_name'], c['column_type']]));
    expect(types).toMatchObject({
      ...Object.fromEntries(['event_time', 'available_time', 'ingest_time'].map((c) => [c, 'TIMESTAMP'])),
      ...Object.fromEntries([...NOT_NULL.slice(4), ...NULLABLE, 'source'].map((c) => [c, 'VARCHAR'])),
    });
    expect(Object.keys(types).filter((c) => c !== 'month').sort()).toEqual([...NOT_NULL, ...NULLABLE].sort());
  });

  for (const c of NOT_NULL) {
    it(`refuses a NULL ${c}`, async () => {
      await expect(writeRows(await testContext(), { root: tempDir(), spec: ledgerSpec() }, [entry({ [c]: null })])).rejects.toThrow(c);
    });
  }

  it('takes NULL in split_name, segment and detail', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: ledgerSpec() }, [entry(Object.fromEntries(NULLABLE.map((c) => [c, null])))]);
    expect(Number(await ctx.db.scalar(`SELECT count(*) FROM read_parquet($f)`, { f: listOf(await datasetFiles(root, ledgerSpec())) }))).toBe(1);
  });

  it('keeps rows that differ in any one column of the natural key (time, kind, command, args), all at once and appended', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const rows = [entry(), entry({ event_time: T + 1, available_time: T + 1 }), entry({ kind: 'access' }), entry({ command: 'split' }), entry({ args: '{"a":1}' })];
    await writeRows(ctx, { root, spec: ledgerSpec() }, rows);
    await writeRows(ctx, { root, spec: ledgerSpec() }, [entry({ args: '{"a":2}' })]);
    expect(Number(await ctx.db.scalar(`SELECT count(*) FROM read_parquet($f)`, { f: listOf(await datasetFiles(root, ledgerSpec())) }))).toBe(rows.length + 1);
  });
});
