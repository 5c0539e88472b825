import { describe, expect, it, vi } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allParquetFiles, checkParquetFile, quarantinedFileRecords, QUARANTINE_FILES_DIR, QUARANTINE_RECORDS } from '../../src/store/integrity.js';
import { tempDir } from '../helpers.js';

/**
 * The fs failures the byte check and the file walk cannot meet when the tests run as root (store-read survivors
 * of the mutation run): a file that stats but cannot be opened, an fs error without a code, a folder that cannot
 * be listed inside the walk. node:fs is wrapped so that paths named in `fail` throw; every other path goes to
 * the real call. Also a records file with blank lines (a hand edit, CRLF endings) read back.
 */
const fail = new Map<string, { call: 'statSync' | 'openSync' | 'readdirSync'; code?: string }>();
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const guard =
    <A extends unknown[], R>(call: 'statSync' | 'openSync' | 'readdirSync', fn: (...a: A) => R) =>
    (...a: A): R => {
      const f = fail.get(String(a[0]));
      if (f && f.call === call) {
        const err = new Error(`${call} failed`) as NodeJS.ErrnoException;
        if (f.code) err.code = f.code;
        throw err;
      }
      return fn(...a);
    };
  return {
    ...real,
    statSync: guard('statSync', real.statSync as (...a: unknown[]) => unknown),
    openSync: guard('openSync', real.openSync as (...a: unknown[]) => unknown),
    readdirSync: guard('readdirSync', real.readdirSync as (...a: unknown[]) => unknown),
  };
});

/** A 40-byte file with both magics and footer length 1: whole by the byte check. */
function whole(path: string): string {
  const b = Buffer.alloc(40);
  b.write('PAR1', 0, 'ascii');
  b.writeUInt32LE(1, 32);
  b.write('PAR1', 36, 'ascii');
  writeFileSync(path, b);
  return path;
}

describe('checkParquetFile when fs fails', () => {
  it('a file that stats but cannot be opened: its size and the error code, or "error" without one', () => {
    const d = tempDir();
    const a = whole(join(d, 'a.parquet'));
    const b = whole(join(d, 'b.parquet'));
    fail.set(a, { call: 'openSync', code: 'EACCES' });
    fail.set(b, { call: 'openSync' });
    try {
      expect(checkParquetFile(a)).toEqual({ file: a, size: 40, reason: 'cannot be opened (EACCES)' });
      expect(checkParquetFile(b)).toEqual({ file: b, size: 40, reason: 'cannot be opened (error)' });
    } finally {
      fail.clear();
    }
    expect(checkParquetFile(a)).toBeNull();
  });

  it('a stat error without a code is named "error"', () => {
    const d = tempDir();
    const a = whole(join(d, 'a.parquet'));
    fail.set(a, { call: 'statSync' });
    try {
      expect(checkParquetFile(a)).toEqual({ file: a, size: 0, reason: 'cannot be read (error)' });
    } finally {
      fail.clear();
    }
  });
});

describe('allParquetFiles when a folder cannot be listed', () => {
  it('skips that folder and returns the files of the others', () => {
    const d = tempDir();
    mkdirSync(join(d, 'a'));
    mkdirSync(join(d, 'b'));
    writeFileSync(join(d, 'a', 'x.parquet'), 'x');
    writeFileSync(join(d, 'b', 'y.parquet'), 'x');
    fail.set(join(d, 'a'), { call: 'readdirSync', code: 'EACCES' });
    try {
      expect(allParquetFiles(d)).toEqual([join(d, 'b', 'y.parquet')]);
    } finally {
      fail.clear();
    }
    expect(allParquetFiles(d)).toEqual([join(d, 'a', 'x.parquet'), join(d, 'b', 'y.parquet')]);
  });
});

describe('quarantinedFileRecords', () => {
  it('skips blank and whitespace-only lines of a hand-edited records file (CRLF endings too)', () => {
    const d = tempDir();
    mkdirSync(join(d, QUARANTINE_FILES_DIR), { recursive: true });
    const rec = (i: number): object => ({ file: `f${i}`, moved_to: `m${i}`, size: i, reason: 'r', time: '2026-01-01T00:00:00.000Z' });
    writeFileSync(join(d, QUARANTINE_FILES_DIR, QUARANTINE_RECORDS), `${JSON.stringify(rec(1))}\r\n  \n\t\n${JSON.stringify(rec(2))}\n\r\n`);
    expect(quarantinedFileRecords(d)).toEqual([rec(1), rec(2)]);
  });
});
