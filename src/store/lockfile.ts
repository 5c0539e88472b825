import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Exclusive lock files, one implementation for every lock of perpkit (the store's writer lock, the
 * model registry's retraining lock, a paper run's lock). The file is created exclusively and holds
 * "pid host time-ms"; a lock left by a process that is gone (same host), or older than staleMs when
 * given, is taken over. Release removes the file only if it is still ours.
 */
export interface LockHandle {
  release(): void;
}

export type LockAttempt = { lock: LockHandle; held_by?: undefined } | { lock?: undefined; held_by: string };

export function tryLockFile(file: string, opts: { nowMs?: number; staleMs?: number } = {}): LockAttempt {
  const nowMs = opts.nowMs ?? Date.now();
  const body = `${process.pid} ${hostname()} ${nowMs}\n`;
  let holder = '';
  // two attempts: a stale lock removed in between, or a holder that released between our calls
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, body, { flag: 'wx' });
      return {
        lock: {
          release: () => {
            try {
              if (readFileSync(file, 'utf8') === body) rmSync(file, { force: true });
            } catch {
              // already gone
            }
          },
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      holder = readFileSync(file, 'utf8').trim();
    } catch {
      continue; // released between our two calls
    }
    const [pidText, host, atText] = holder.split(' ');
    const pid = Number(pidText);
    const dead = host === hostname() && Number.isInteger(pid) && !pidAlive(pid);
    const old = opts.staleMs !== undefined && atText !== undefined && nowMs - Number(atText) > opts.staleMs;
    if (!dead && !old) return { held_by: holder };
    rmSync(file, { force: true }); // left by a dead process, or stale
  }
  return { held_by: holder || 'unknown (lock contention)' };
}

/** Whether a process with this id is alive on this host (EPERM: alive, someone else's). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
