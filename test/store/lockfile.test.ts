import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pidAlive, tryLockFile } from '../../src/store/lockfile.js';
import { acquireLock } from '../../src/store/txn.js';
import { tempDir } from '../helpers.js';

/** The id of a process that has exited (a short child, waited for). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  const pid = Number(r.stdout);
  expect(pidAlive(pid)).toBe(false);
  return pid;
}

describe('lock files', () => {
  it('one holder at a time; the second attempt names the holder; release frees it', () => {
    const file = join(tempDir(), 'x.lock');
    const a = tryLockFile(file, { nowMs: 1_000 });
    expect(a.lock).toBeDefined();
    expect(readFileSync(file, 'utf8')).toBe(`${process.pid} ${hostname()} 1000\n`);
    const b = tryLockFile(file, { nowMs: 2_000 });
    expect(b.lock).toBeUndefined();
    expect(b.held_by).toBe(`${process.pid} ${hostname()} 1000`);
    a.lock?.release();
    expect(existsSync(file)).toBe(false);
    expect(tryLockFile(file).lock).toBeDefined();
  });

  it('a lock left by a process that is gone is taken over; a live one on another host is not', () => {
    const file = join(tempDir(), 'x.lock');
    writeFileSync(file, `${deadPid()} ${hostname()} 0\n`);
    expect(tryLockFile(file, { nowMs: 5 }).lock).toBeDefined();
    expect(readFileSync(file, 'utf8')).toBe(`${process.pid} ${hostname()} 5\n`);
    const other = join(tempDir(), 'y.lock');
    writeFileSync(other, `${deadPid()} some-other-host 0\n`); // cannot tell whether it lives there
    expect(tryLockFile(other).held_by).toMatch(/ some-other-host 0$/);
  });

  it('staleMs: a live holder older than it is taken over, younger is not (the boundary is exclusive)', () => {
    const file = join(tempDir(), 'x.lock');
    writeFileSync(file, `${process.ppid} ${hostname()} 1000\n`); // a live process: our parent
    expect(tryLockFile(file, { nowMs: 1_000 + 60_000, staleMs: 60_000 }).held_by).toBeDefined();
    expect(tryLockFile(file, { nowMs: 1_000 + 60_001, staleMs: 60_000 }).lock).toBeDefined();
  });

  it('release removes only its own lock (a lock taken over since is left alone)', () => {
    const file = join(tempDir(), 'x.lock');
    const a = tryLockFile(file, { nowMs: 1 });
    writeFileSync(file, `${process.ppid} ${hostname()} 2\n`); // someone took it over
    a.lock?.release();
    expect(readFileSync(file, 'utf8')).toBe(`${process.ppid} ${hostname()} 2\n`);
  });

  it("the store's writer lock waits for a live holder and then fails with exit 5 naming it", async () => {
    const root = tempDir();
    const first = await acquireLock(root);
    const err = await acquireLock(root, 300).catch((e: unknown) => e as { exitCode?: number; message: string });
    expect(err).toMatchObject({ exitCode: 5, message: expect.stringContaining(`another perpkit process (${process.pid} ${hostname()}`) });
    first.release();
    (await acquireLock(root, 300)).release();
  });
});
