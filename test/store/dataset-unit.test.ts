import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS, type DatasetSpec } from '../../src/domain/datasets.js';
import { isPerpkitError, type PerpkitError } from '../../src/domain/errors.js';
import { writeTable } from '../../src/store/dataset.js';
import { tempDir, testContext } from '../helpers.js';

/**
 * The validation of a SQL-staged table (the bulk import path, writeTable): every column rule of the spec with its
 * boundary (> 0 refuses 0, >= 0 takes 0, a non-finite value is one violation, not two), allowed values, partition
 * slugs, NULLs, missing and unknown columns, values that do not cast, and the exact message and details. Refused
 * writes touch no file, so these tests cost a DuckDB session and a few small queries each.
 */
type Ctx = Awaited<ReturnType<typeof testContext>>;

const FUNDING: Record<string, string> = {
  venue: `'binance-usdm'`,
  symbol: `'BTC-PERP'`,
  event_time: `TIMESTAMP '2026-03-14 08:00:00'`,
  available_time: `TIMESTAMP '2026-03-14 08:00:05'`,
  source: `'test'`,
  ingest_time: `TIMESTAMP '2026-03-14 09:00:00'`,
  funding_rate: `0.0001::DOUBLE`,
  funding_interval_hours: `8.0::DOUBLE`,
  mark_price: `42000.0::DOUBLE`,
};

/** A stage table of one row per element of `rows` (column SQL expressions over FUNDING's; null drops a column). */
async function stage(ctx: Ctx, rows: Array<Record<string, string | null>>, base = FUNDING): Promise<string> {
  const selects = rows.map((o) => {
    const cols = { ...base, ...o };
    return `SELECT ${Object.entries(cols)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${v} AS "${k}"`)
      .join(', ')}`;
  });
  await ctx.db.exec(`CREATE OR REPLACE TEMP TABLE st AS ${selects.join(' UNION ALL ')}`);
  return 'st';
}

async function refusal(ctx: Ctx, root: string, spec: DatasetSpec, table: string): Promise<PerpkitError> {
  try {
    await writeTable(ctx, { root, spec }, table);
  } catch (err) {
    if (!isPerpkitError(err)) throw err;
    expect(existsSync(join(root, spec.name))).toBe(false);
    return err;
  }
  throw new Error('write was not refused');
}

describe('writeTable validation: the column rules and their boundaries', () => {
  it('names each failed check once, with its row count and first bad value, in column order; nothing is written', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const t = await stage(ctx, [
      { funding_rate: 'NULL::DOUBLE' },
      { mark_price: '0.0::DOUBLE' },
      { mark_price: `'-inf'::DOUBLE` },
      { funding_interval_hours: `'nan'::DOUBLE`, available_time: `TIMESTAMP '2026-03-14 07:59:59'` },
      {},
    ]);
    const err = await refusal(ctx, root, DATASETS.funding, t);
    expect(err.kind).toBe('validation');
    expect(err.message).toBe(
      [
        'funding: refused 5 row(s); nothing was written:',
        '  column funding_rate: missing value (NULL): 1 row(s), e.g. NULL',
        '  column funding_interval_hours: not a finite number (NaN or infinity): 1 row(s), e.g. "nan"',
        '  column mark_price: not a finite number (NaN or infinity): 1 row(s), e.g. "-inf"',
        '  column mark_price: must be > 0: 1 row(s), e.g. "0.0"',
        '  column available_time: available_time is earlier than event_time: 1 row(s), e.g. "2026-03-14 07:59:59"',
      ].join('\n'),
    );
    expect(err.hint).toMatch(/fix the input/);
    expect(err.details).toMatchObject({ dataset: 'funding', rows_in: 5 });
    expect((err.details?.['violations'] as unknown[]).length).toBe(5);
  });

  it('takes 0 where values must be >= 0 and NULL where a column is nullable, and writes', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const oi: Record<string, string> = { ...FUNDING, open_interest: '0.0::DOUBLE', open_interest_value: 'NULL::DOUBLE' };
    delete oi['funding_rate'];
    delete oi['funding_interval_hours'];
    delete oi['mark_price'];
    const t = await stage(ctx, [{}], oi);
    const r = await writeTable(ctx, { root, spec: DATASETS.open_interest }, t);
    expect(r).toMatchObject({ rows_in: 1, rows_added: 1, partitions_written: 1 });
    // a column with no sign rule takes a negative value (a funding rate paid by shorts)
    const fr = await stage(ctx, [{ funding_rate: '-0.0003::DOUBLE' }]);
    expect(await writeTable(ctx, { root: tempDir(), spec: DATASETS.funding }, fr)).toMatchObject({ rows_added: 1 });
    const neg = await stage(ctx, [{ open_interest: '-0.5::DOUBLE' }, { open_interest: '-1.0::DOUBLE' }], oi);
    const err = await refusal(ctx, tempDir(), DATASETS.open_interest, neg);
    expect(err.message).toContain('  column open_interest: must be >= 0: 2 row(s), e.g. "-0.5"');
  });

  it('allowed values and partition slugs: refused with the rule, NULL only where nullable', async () => {
    const ctx = await testContext();
    const trade: Record<string, string> = { ...FUNDING, trade_id: `'1'`, price: '100.0::DOUBLE', size: '1.0::DOUBLE', side: `'buy'` };
    delete trade['funding_rate'];
    delete trade['funding_interval_hours'];
    delete trade['mark_price'];
    const t = await stage(
      ctx,
      [{ side: `'hold'` }, { side: 'NULL::VARCHAR' }, { symbol: `'BTC..PERP'` }, { symbol: `'-x'` }, { venue: 'NULL::VARCHAR' }, {}],
      trade,
    );
    const err = await refusal(ctx, tempDir(), DATASETS.trades, t);
    expect(err.message.split('\n').slice(1)).toEqual([
      '  column venue: missing value (NULL): 1 row(s), e.g. NULL',
      '  column symbol: not a safe partition value (letters, digits, - _ . only; no ".."): 2 row(s), e.g. "-x"',
      '  column side: must be one of buy, sell: 1 row(s), e.g. "hold"',
    ]);
  });

  it('names missing and unknown columns (a batch ordinal __ord is neither)', async () => {
    const ctx = await testContext();
    const both = await stage(ctx, [{ mark_price: null, extra: '1' }]);
    const e1 = await refusal(ctx, tempDir(), DATASETS.funding, both);
    expect(e1.message).toBe('funding: missing column(s) mark_price; unknown column(s) extra; nothing was written');
    expect(e1.details).toEqual({ dataset: 'funding', missing_columns: ['mark_price'], unknown_columns: ['extra'] });
    const missing = await stage(ctx, [{ mark_price: null, source: null, __ord: '0::BIGINT' }]);
    expect((await refusal(ctx, tempDir(), DATASETS.funding, missing)).message).toBe(
      'funding: missing column(s) source, mark_price; nothing was written',
    );
    const extra = await stage(ctx, [{ extra: '1', __ord: '0::BIGINT' }]);
    expect((await refusal(ctx, tempDir(), DATASETS.funding, extra)).message).toBe('funding: unknown column(s) extra; nothing was written');
  });

  it('values that do not cast are reported alone; values that cast are checked by the column rules', async () => {
    const ctx = await testContext();
    const bad = await stage(ctx, [{ funding_rate: `'abc'`, mark_price: `'0'` }, { funding_rate: `'0.1'`, mark_price: `'1'`, available_time: `TIMESTAMP '2026-03-14 07:00:00'` }]);
    const e1 = await refusal(ctx, tempDir(), DATASETS.funding, bad);
    expect(e1.message.split('\n').slice(1)).toEqual(['  column funding_rate: not a DOUBLE: 1 row(s), e.g. "abc"']);
    // text that casts: the rules run on the cast values (0 is not > 0) and on the columns that were typed already
    const cast = await stage(ctx, [{ funding_rate: `'0.1'`, mark_price: `'0'` }, { funding_rate: `'0.2'`, mark_price: `'5'`, available_time: `TIMESTAMP '2026-03-14 07:00:00'` }]);
    const e2 = await refusal(ctx, tempDir(), DATASETS.funding, cast);
    expect(e2.message.split('\n').slice(1)).toEqual([
      '  column mark_price: must be > 0: 1 row(s), e.g. "0.0"',
      '  column available_time: available_time is earlier than event_time: 1 row(s), e.g. "2026-03-14 07:00:00"',
    ]);
    // and a cast stage that passes is written with the column types of the spec
    const root = tempDir();
    const ok = await stage(ctx, [{ funding_rate: `'0.25'`, funding_interval_hours: `'8'` }]);
    expect(await writeTable(ctx, { root, spec: DATASETS.funding }, ok)).toMatchObject({ rows_added: 1 });
    const [back] = await ctx.db.all(`SELECT funding_rate, funding_interval_hours FROM read_parquet($g)`, { g: `${root}/funding/**/*.parquet` });
    expect(back).toEqual({ funding_rate: 0.25, funding_interval_hours: 8 });
  });

  it('a NULL event_time is one violation (missing), not also an available_time one', async () => {
    const ctx = await testContext();
    const t = await stage(ctx, [{ event_time: 'NULL::TIMESTAMP' }, { available_time: 'NULL::TIMESTAMP' }]);
    const err = await refusal(ctx, tempDir(), DATASETS.funding, t);
    expect(err.message.split('\n').slice(1)).toEqual([
      '  column event_time: missing value (NULL): 1 row(s), e.g. NULL',
      '  column available_time: missing value (NULL): 1 row(s), e.g. NULL',
    ]);
  });

  it('writes a date-partitioned dataset to date=YYYY-MM-DD folders', async () => {
    const ctx = await testContext();
    const root = tempDir();
    const trade: Record<string, string> = { ...FUNDING, trade_id: `'1'`, price: '100.0::DOUBLE', size: '1.0::DOUBLE', side: `'buy'` };
    delete trade['funding_rate'];
    delete trade['funding_interval_hours'];
    delete trade['mark_price'];
    const t = await stage(ctx, [{}, { event_time: `TIMESTAMP '2026-03-15 00:00:00'`, available_time: `TIMESTAMP '2026-03-15 00:00:01'` }], trade);
    const r = await writeTable(ctx, { root, spec: DATASETS.trades }, t);
    expect(r).toMatchObject({ rows_added: 2, partitions_written: 2 });
    expect(readdirSync(join(root, 'trades', 'venue=binance-usdm', 'symbol=BTC-PERP')).sort()).toEqual(['date=2026-03-14', 'date=2026-03-15']);
  });
});
