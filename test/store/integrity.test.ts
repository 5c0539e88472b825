import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { isPerpkitError, PerpkitError } from '../../src/domain/errors.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import {
  allParquetFiles,
  checkParquetFile,
  corruptFileFromEngineError,
  probeParquetFiles,
  quarantinedFileRecords,
  quarantineFiles,
} from '../../src/store/integrity.js';
import { ROOT, tempDir, testContext, treeHash } from '../helpers.js';

const SAMPLE = join(ROOT, 'data', 'sample');
/** A real partition of the bundled sample: Binance USD-M BTC-PERP 8h funding, 2026-03. */
const PART = 'funding/venue=binance-usdm/symbol=BTC-PERP/month=2026-03/part-0.parquet';

function sampleCopy(): string {
  const dir = tempDir();
  cpSync(join(SAMPLE, 'funding'), join(dir, 'funding'), { recursive: true });
  return dir;
}

async function refusal(p: Promise<unknown>): Promise<PerpkitError> {
  try {
    await p;
  } catch (err) {
    if (isPerpkitError(err)) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('Parquet integrity check', () => {
  it('passes every file of the bundled sample', () => {
    const files = allParquetFiles(SAMPLE);
    expect(files.length).toBe(282);
    expect(files.map(checkParquetFile).filter((x) => x !== null)).toEqual([]);
  });

  it('names 0-byte, truncated, tiny and non-Parquet files', () => {
    const dir = sampleCopy();
    const f = join(dir, PART);
    const size = readFileSync(f).length;
    truncateSync(f, size - 1);
    expect(checkParquetFile(f)?.reason).toContain('no PAR1 magic at the end');
    truncateSync(f, 0);
    expect(checkParquetFile(f)).toMatchObject({ size: 0, reason: 'is empty (0 bytes)' });
    writeFileSync(f, 'PAR1PAR1');
    expect(checkParquetFile(f)?.reason).toContain('too small');
    writeFileSync(f, 'date,open,high,low,close\n2026-03-01,1,2,3,4\n');
    expect(checkParquetFile(f)?.reason).toContain('no PAR1 magic at the start');
    // Both magics intact but a footer length larger than the file: damaged.
    const buf = Buffer.alloc(64);
    buf.write('PAR1', 0, 'ascii');
    buf.writeUInt32LE(1000, 56);
    buf.write('PAR1', 60, 'ascii');
    writeFileSync(f, buf);
    expect(checkParquetFile(f)?.reason).toContain('footer length 1000');
  });

  it('datasetFiles refuses a damaged file with exit 3, naming it and "perpkit validate"; nothing changes', async () => {
    const dir = sampleCopy();
    truncateSync(join(dir, PART), 100);
    const before = treeHash(dir);
    const err = await refusal(datasetFiles(dir, DATASETS.funding));
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(PART);
    expect(err.message).toContain('truncated');
    expect(err.hint).toContain(`perpkit validate --data-dir ${dir}`);
    // A filter that leaves the damaged partition out still reads.
    const eth = await datasetFiles(dir, DATASETS.funding, { symbol: ['ETH-PERP'] });
    expect(eth.length).toBeGreaterThan(10);
    expect(treeHash(dir)).toBe(before);
  });

  it("maps DuckDB's own error for a damaged file to the same refusal", async () => {
    const ctx = await testContext();
    const dir = sampleCopy();
    const f = join(dir, PART);
    truncateSync(f, 100);
    let raw: unknown;
    try {
      await ctx.db.all(`SELECT count(*) FROM ${SCAN_SQL}`, { files: listOf([f]) });
    } catch (err) {
      raw = err;
    }
    expect(String((raw as Error).message)).toContain('No magic bytes');
    const mapped = corruptFileFromEngineError(raw, dir);
    expect(mapped?.exitCode).toBe(3);
    expect(mapped?.message).toContain(PART);
    expect(mapped?.message).not.toContain('magic bytes found');
    truncateSync(f, 0);
    try {
      await ctx.db.all(`SELECT count(*) FROM ${SCAN_SQL}`, { files: listOf([f]) });
    } catch (err) {
      raw = err;
    }
    expect(corruptFileFromEngineError(raw, dir)?.message).toContain('0 bytes');
    expect(corruptFileFromEngineError(new Error('Binder Error: column x not found'), dir)).toBeNull();
  });

  it('quarantineFiles moves a damaged file aside with a record; nothing is deleted', async () => {
    const dir = sampleCopy();
    const f = join(dir, PART);
    truncateSync(f, 100);
    const bytes = readFileSync(f);
    const problems = allParquetFiles(dir).map(checkParquetFile).filter((x) => x !== null);
    expect(problems.map((p) => p.file)).toEqual([f]);
    const moved = await quarantineFiles(dir, problems, Date.parse('2026-11-22T12:00:00Z'));
    expect(moved).toEqual([
      { file: PART, moved_to: `.perpkit/quarantine-files/20261122T120000Z/${PART}`, size: 100, reason: expect.stringContaining('truncated'), time: '2026-11-22T12:00:00.000Z' },
    ]);
    expect(existsSync(f)).toBe(false);
    expect(readFileSync(join(dir, moved[0]?.moved_to as string))).toEqual(bytes);
    expect(quarantinedFileRecords(dir)).toEqual(moved);
    // The rest of the dataset reads again, and the moved file is not listed as data.
    expect((await datasetFiles(dir, DATASETS.funding)).length).toBe(allParquetFiles(join(SAMPLE, 'funding')).length - 1);
    expect(allParquetFiles(dir).some((x) => x.includes('quarantine-files'))).toBe(false);
    // Same file damaged again later: a second record, the first copy kept.
    writeFileSync(f, '');
    const again = await quarantineFiles(dir, [{ file: f, size: 0, reason: 'is empty (0 bytes)' }], Date.parse('2026-11-22T12:00:00Z'));
    expect(again[0]?.moved_to).toBe(`.perpkit/quarantine-files/20261122T120000Z-1/${PART}`);
    expect(quarantinedFileRecords(dir)).toHaveLength(2);
  });

  it('probeParquetFiles finds damage between intact ends: a garbled footer (cheap probe) or data page (deep probe)', async () => {
    const ctx = await testContext();
    const dir = sampleCopy();
    const footer = join(dir, PART);
    const page = join(dir, PART.replace('BTC-PERP', 'ETH-PERP'));
    const good = join(dir, PART.replace('BTC-PERP', 'SOL-PERP'));
    const f = readFileSync(footer);
    const len = f.readUInt32LE(f.length - 8);
    for (let i = f.length - 8 - len + 10; i < f.length - 18; i++) f[i] = (f[i] as number) ^ 0x5a;
    writeFileSync(footer, f);
    const p = readFileSync(page);
    for (let i = 8; i < 200; i++) p[i] = (p[i] as number) ^ 0x5a;
    writeFileSync(page, p);
    // Both pass the byte check: the magics and the footer length are intact.
    expect([footer, page, good].map(checkParquetFile)).toEqual([null, null, null]);
    expect((await probeParquetFiles(ctx.db, [footer, page, good], false)).map((x) => x.file)).toEqual([footer]);
    const deep = await probeParquetFiles(ctx.db, [footer, page, good], true);
    expect(deep.map((x) => [x.file, x.reason])).toEqual([
      [footer, 'is damaged (a data page cannot be decoded)'],
      [page, 'is damaged (a data page cannot be decoded)'],
    ]);
  });
});
