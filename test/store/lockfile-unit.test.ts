import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { pidAlive, tryLockFile } from '../../src/store/lockfile.js';
import { tempDir } from '../helpers.js';

/**
 * Lock files beyond test/store/lockfile.test.ts: a write error other than "exists" is not a held lock, a holder
 * text that names no process (garbage, or an old "pid host" body without a time) is respected, not taken over,
 * and a release after the file is gone is quiet.
 */
describe('tryLockFile edges', () => {
  it('throws the error of a failed write that is not EEXIST (a folder that does not exist)', () => {
    expect(() => tryLockFile(join(tempDir(), 'no', 'such', 'x.lock'))).toThrow(/ENOENT/);
  });

  it('a holder without a readable pid, or without a time while staleMs is given, keeps its lock', () => {
    const file = join(tempDir(), 'x.lock');
    writeFileSync(file, `garbage ${hostname()} 0\n`);
    expect(tryLockFile(file, { nowMs: 10 })).toEqual({ held_by: `garbage ${hostname()} 0` });
    writeFileSync(file, `${process.ppid} ${hostname()}\n`);
    expect(tryLockFile(file, { nowMs: 1e15, staleMs: 1 })).toEqual({ held_by: `${process.ppid} ${hostname()}` });
    expect(readFileSync(file, 'utf8')).toBe(`${process.ppid} ${hostname()}\n`);
  });

  it('release of a lock whose file is already gone does nothing', () => {
    const file = join(tempDir(), 'x.lock');
    const a = tryLockFile(file);
    rmSync(file);
    expect(() => a.lock?.release()).not.toThrow();
    expect(existsSync(file)).toBe(false);
  });

  it('pidAlive: this process is alive', () => {
    expect(pidAlive(process.pid)).toBe(true);
  });
});
