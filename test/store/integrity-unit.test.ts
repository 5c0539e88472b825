import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PerpkitError } from '../../src/domain/errors.js';
import {
  allParquetFiles,
  checkParquetFile,
  corruptFileFromEngineError,
  corruptFilesError,
  findCorruptFiles,
  MIN_PARQUET_BYTES,
  probeParquetFiles,
  quarantinedFileRecords,
  quarantineFiles,
} from '../../src/store/integrity.js';
import { ROOT, tempDir, testContext } from '../helpers.js';

/**
 * The Parquet byte check at each of its boundaries (12 bytes, a footer length of 0, of exactly size - 12 and one
 * more), the refusal's message for one, several and more than five files with and without a data dir, DuckDB's
 * messages mapped (each pattern) or not, the probe's abort, the file walk's hidden and unreadable folders, and
 * quarantineFiles' empty and vanished cases. Files are a few bytes written by hand.
 */
/** A file of `size` bytes with both magics and the given footer length. */
function fake(path: string, size: number, footer: number): string {
  const b = Buffer.alloc(size);
  b.write('PAR1', 0, 'ascii');
  b.writeUInt32LE(footer, size - 8);
  b.write('PAR1', size - 4, 'ascii');
  writeFileSync(path, b);
  return path;
}

describe('checkParquetFile: the boundaries', () => {
  it('size, magics and footer length, each at its edge', () => {
    const d = tempDir();
    expect(MIN_PARQUET_BYTES).toBe(12);
    expect(checkParquetFile(join(d, 'none.parquet'))).toEqual({ file: join(d, 'none.parquet'), size: 0, reason: 'cannot be read (ENOENT)' });
    writeFileSync(join(d, 'eleven'), 'PAR1xxxPAR1');
    expect(checkParquetFile(join(d, 'eleven'))).toEqual({ file: join(d, 'eleven'), size: 11, reason: 'is too small to be a Parquet file (11 bytes)' });
    // 12 bytes with magics: passes the size check; a footer length of 0 does not fit
    expect(checkParquetFile(fake(join(d, 'a'), 12, 0))?.reason).toBe('is damaged (footer length 0 does not fit in 12 bytes)');
    expect(checkParquetFile(fake(join(d, 'b'), 40, 28))).toBeNull();
    expect(checkParquetFile(fake(join(d, 'c'), 40, 29))?.reason).toBe('is damaged (footer length 29 does not fit in 40 bytes)');
    expect(checkParquetFile(fake(join(d, 'e'), 40, 1))).toBeNull();
    const bad = fake(join(d, 'f'), 40, 1);
    writeFileSync(bad, Buffer.concat([Buffer.from('PAR0'), Buffer.alloc(32), Buffer.from('PAR1')]));
    expect(checkParquetFile(bad)?.reason).toBe('is not a Parquet file (no PAR1 magic at the start)');
    writeFileSync(bad, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(32), Buffer.from('PAR2')]));
    expect(checkParquetFile(bad)?.reason).toBe('is truncated or damaged (no PAR1 magic at the end; 40 bytes)');
    expect(findCorruptFiles([join(d, 'b'), join(d, 'c'), join(d, 'e')]).map((p) => p.file)).toEqual([join(d, 'c')]);
  });

  it('closes every file it opens', () => {
    const d = tempDir();
    const files = [fake(join(d, 'ok'), 40, 1), fake(join(d, 'bad'), 40, 99)];
    const open = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 20; i++) findCorruptFiles(files);
    expect(readdirSync('/proc/self/fd').length).toBe(open);
  });
});

describe('corruptFilesError', () => {
  const p = (i: number): { file: string; size: number; reason: string } => ({ file: `/data/bars/f${i}.parquet`, size: i, reason: `is bad ${i}` });
  it('one file, inside the data dir: its relative path, the validate command with --data-dir', () => {
    const e = corruptFilesError([p(1)], '/data');
    expect(e).toBeInstanceOf(PerpkitError);
    expect(e.kind).toBe('validation');
    expect(e.message).toBe('a Parquet file in /data cannot be read:\n  bars/f1.parquet is bad 1');
    expect(e.hint).toBe(
      'run "perpkit validate --data-dir /data": it moves damaged files aside into /data/.perpkit/quarantine-files (nothing is deleted); then re-fetch or rebuild what they held',
    );
    expect(e.details).toEqual({ corrupt_files: [{ file: '/data/bars/f1.parquet', size: 1, reason: 'is bad 1' }] });
  });
  it('several files without a data dir: full paths, five shown and a count of the rest', () => {
    const e = corruptFilesError([1, 2, 3, 4, 5, 6, 7].map(p));
    expect(e.message.split('\n')).toEqual([
      '7 Parquet files in the data dir cannot be read:',
      '  /data/bars/f1.parquet is bad 1',
      '  /data/bars/f2.parquet is bad 2',
      '  /data/bars/f3.parquet is bad 3',
      '  /data/bars/f4.parquet is bad 4',
      '  /data/bars/f5.parquet is bad 5',
      '  ... and 2 more',
    ]);
    expect(e.hint).toBe(
      'run "perpkit validate": it moves damaged files aside into <data-dir>/.perpkit/quarantine-files (nothing is deleted); then re-fetch or rebuild what they held',
    );
    expect(corruptFilesError([1, 2, 3, 4, 5].map(p), '/data').message.split('\n')).toHaveLength(6);
    // a file outside the data dir (or a sibling folder sharing its prefix) is shown whole
    expect(corruptFilesError([{ ...p(1), file: '/data2/x.parquet' }], '/data').message).toContain('  /data2/x.parquet is bad 1');
  });
});

describe("corruptFileFromEngineError: DuckDB's messages", () => {
  it('maps each named pattern to the file, and the unnamed ones to a generic refusal; other errors are not mapped', () => {
    const d = tempDir();
    const f = fake(join(d, 'x.parquet'), 40, 1); // intact by the byte check
    const named = [
      `IO Error: No magic bytes found at end of file '${f}'`,
      `Invalid Input Error: File '${f}' too small to be a Parquet file`,
      `Corrupted file '${f}'`,
      `corrupt Parquet file '${f}'`,
      `Error reading parquet file '${f}': invalid page header`,
    ];
    for (const msg of named) {
      const e = corruptFileFromEngineError(new Error(msg), d);
      expect(e?.message).toBe('a Parquet file in ' + d + ' cannot be read:\n  x.parquet is damaged (DuckDB could not decode it)');
      expect(e?.details).toEqual({ corrupt_files: [{ file: f, size: 40, reason: 'is damaged (DuckDB could not decode it)' }] });
    }
    // a named file that is gone: size 0; one the byte check refuses: its reason
    expect(corruptFileFromEngineError(new Error(`Corrupt file '${join(d, 'gone.parquet')}'`), d)?.details).toEqual({
      corrupt_files: [{ file: join(d, 'gone.parquet'), size: 0, reason: 'cannot be read (ENOENT)' }],
    });
    for (const msg of ["Couldn't deserialize thrift", "don't know what type: 99", 'TProtocolException: x', 'failed to decompress page', 'Parquet data is invalid']) {
      const e = corruptFileFromEngineError(new Error(msg), d);
      expect(e?.message).toBe(`a Parquet file in ${d} is damaged inside (DuckDB could not decode it)`);
      expect(e?.hint).toBe(`run "perpkit validate --data-dir ${d}" to find and set aside damaged files`);
    }
    expect(corruptFileFromEngineError(new Error('TProtocolException'))?.hint).toBe('run "perpkit validate" to find and set aside damaged files');
    expect(corruptFileFromEngineError(new Error('TProtocolException'))?.message).toBe('a Parquet file in the data dir is damaged inside (DuckDB could not decode it)');
    expect(corruptFileFromEngineError(new PerpkitError('validation', `No magic bytes found at end of file '${f}'`))).toBeNull();
    expect(corruptFileFromEngineError(`No magic bytes found at end of file '${f}'`)).toBeNull();
    expect(corruptFileFromEngineError(new Error('Parquet reader: out of memory'))).toBeNull();
  });
});

describe('probeParquetFiles, allParquetFiles, quarantineFiles', () => {
  it('the probe stops on an aborted signal and passes other errors on', async () => {
    const ctx = await testContext();
    const ac = new AbortController();
    ac.abort(new Error('aborted here'));
    await expect(probeParquetFiles(ctx.db, ['/nonexistent.parquet'], false, ac.signal)).rejects.toThrow('aborted here');
    expect(await probeParquetFiles(ctx.db, [], true, ac.signal)).toEqual([]);
    await expect(probeParquetFiles(ctx.db, ['/nonexistent/x.parquet'], false)).rejects.toThrow(/No files found|does not exist|IO Error/);
  });

  it('walks every folder but hidden ones, Parquet files only, sorted; nothing for a missing root', () => {
    const d = tempDir();
    mkdirSync(join(d, 'b', 'c'), { recursive: true });
    mkdirSync(join(d, '.perpkit', 'staging'), { recursive: true });
    writeFileSync(join(d, 'b', 'c', 'z.parquet'), 'x');
    writeFileSync(join(d, 'b', 'a.parquet'), 'x');
    writeFileSync(join(d, 'b', '.hidden.parquet'), 'x');
    writeFileSync(join(d, 'b', 'notes.txt'), 'x');
    writeFileSync(join(d, '.perpkit', 'staging', 's.parquet'), 'x');
    mkdirSync(join(d, 'dir.parquet'));
    expect(allParquetFiles(d)).toEqual([join(d, 'b', 'a.parquet'), join(d, 'b', 'c', 'z.parquet')]);
    // sorted as paths, not in walk order: "b-x.parquet" sorts before the folder "b/"
    writeFileSync(join(d, 'b-x.parquet'), 'x');
    expect(allParquetFiles(d)).toEqual([join(d, 'b-x.parquet'), join(d, 'b', 'a.parquet'), join(d, 'b', 'c', 'z.parquet')]);
    expect(allParquetFiles(join(d, 'missing'))).toEqual([]);
  });

  it('quarantines nothing for no problems (no lock, no folder), skips a file gone meanwhile, reads no records as []', async () => {
    const d = tempDir();
    expect(await quarantineFiles(d, [], 0)).toEqual([]);
    expect(existsSync(join(d, '.perpkit'))).toBe(false);
    expect(quarantinedFileRecords(d)).toEqual([]);
    const f = join(d, 'bars', 'x.parquet');
    mkdirSync(join(d, 'bars'));
    writeFileSync(f, 'x');
    const moved = await quarantineFiles(
      d,
      [
        { file: join(d, 'bars', 'gone.parquet'), size: 1, reason: 'r' },
        { file: f, size: 1, reason: 'is bad' },
      ],
      Date.parse('2026-01-02T03:04:05.678Z'),
    );
    expect(moved).toEqual([{ file: 'bars/x.parquet', moved_to: '.perpkit/quarantine-files/20260102T030405Z/bars/x.parquet', size: 1, reason: 'is bad', time: '2026-01-02T03:04:05.678Z' }]);
    expect(quarantinedFileRecords(d)).toEqual(moved);
    // the same file again, twice, in the same second: the next free folders -1 and -2
    for (const n of [1, 2]) {
      writeFileSync(f, 'x');
      const again = await quarantineFiles(d, [{ file: f, size: 1, reason: 'is bad' }], Date.parse('2026-01-02T03:04:05.999Z'));
      expect(again[0]?.moved_to).toBe(`.perpkit/quarantine-files/20260102T030405Z-${n}/bars/x.parquet`);
    }
    expect(quarantinedFileRecords(d)).toHaveLength(3);
  });

  it("the cheap probe names a file whose footer DuckDB cannot decode, with the footer's reason", async () => {
    const ctx = await testContext();
    const d = tempDir();
    const part = 'funding/venue=binance-usdm/symbol=BTC-PERP/month=2026-03/part-0.parquet';
    mkdirSync(join(d, 'x'));
    cpSync(join(ROOT, 'data', 'sample', part), join(d, 'x', 'f.parquet'));
    const f = readFileSync(join(d, 'x', 'f.parquet'));
    const len = f.readUInt32LE(f.length - 8);
    for (let i = f.length - 8 - len + 10; i < f.length - 18; i++) f[i] = (f[i] as number) ^ 0x5a;
    writeFileSync(join(d, 'x', 'f.parquet'), f);
    expect(await probeParquetFiles(ctx.db, [join(d, 'x', 'f.parquet')], false)).toEqual([
      { file: join(d, 'x', 'f.parquet'), size: f.length, reason: 'is damaged (its footer cannot be decoded)' },
    ]);
  });
});
