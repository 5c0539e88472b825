import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { upstreamError } from '../domain/errors.js';
import { tryLockFile } from './lockfile.js';

/**
 * Crash-safe swaps of partition folders.
 *
 * A write stages every new partition folder under <root>/.perpkit/staging/<txid>/, then writes a
 * journal <root>/.perpkit/txn/<txid>.json (atomically: temp file + rename) listing the swaps; the
 * journal is the commit point. Each swap renames the live folder to a backup and the staged folder
 * into place. If the process dies before the journal exists, nothing changed (the staging is
 * garbage, removed later); if it dies after, the next perpkit process that opens the data dir rolls
 * the journal forward. So a perpkit reader always sees, per write, either every old partition or
 * every new one, never a mix.
 */

export interface Swap {
  /** live partition folder */
  final: string;
  /** staged replacement; null deletes the live folder */
  staged: string | null;
  /** where the live folder goes before it is deleted */
  backup: string;
  /** append: `staged` is one file moved to `final` inside the live folder (no backup) */
  add?: boolean;
}

interface Journal {
  txid: string;
  swaps: Swap[];
}

export const META_DIR = '.perpkit';

const metaPath = (root: string, ...parts: string[]): string => join(root, META_DIR, ...parts);

export function newTxid(now: number): string {
  return `${now.toString(36)}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

export function stagingDir(root: string, txid: string): string {
  return metaPath(root, 'staging', txid);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Makes the swaps of one write visible. Every staged folder must be complete. */
export function commitSwaps(root: string, txid: string, swaps: Swap[]): void {
  if (swaps.length === 0) return;
  const txnDir = metaPath(root, 'txn');
  mkdirSync(txnDir, { recursive: true });
  const journal: Journal = { txid, swaps };
  const tmp = join(txnDir, `${txid}.json.tmp`);
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(journal));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  faultPoint('before-journal');
  renameSync(tmp, join(txnDir, `${txid}.json`)); // commit point
  faultPoint('after-journal');
  rollForward(root, journal, true);
}

/**
 * Test hook for the crash tests: PERPKIT_FAULT_KILL=<point> makes the writer SIGKILL itself there
 * (before-journal, after-journal, mid-swap:N, after-swap:N). Unset in normal use: no effect.
 */
function faultPoint(point: string): void {
  if (process.env['PERPKIT_FAULT_KILL'] === point) process.kill(process.pid, 'SIGKILL');
}

function rollForward(root: string, journal: Journal, writer = false): void {
  journal.swaps.forEach((s, i) => {
    if (s.add) {
      if (s.staged !== null && existsSync(s.staged)) {
        mkdirSync(dirname(s.final), { recursive: true });
        renameSync(s.staged, s.final);
        if (writer) faultPoint(`after-swap:${i}`);
      }
      return;
    }
    if (s.staged === null) {
      if (existsSync(s.final)) {
        mkdirSync(dirname(s.backup), { recursive: true });
        renameSync(s.final, s.backup);
        if (writer) faultPoint(`after-swap:${i}`);
      }
      return;
    }
    if (!existsSync(s.staged)) return; // this swap is done
    if (existsSync(s.final)) {
      mkdirSync(dirname(s.backup), { recursive: true });
      renameSync(s.final, s.backup);
      if (writer) faultPoint(`mid-swap:${i}`);
    }
    mkdirSync(dirname(s.final), { recursive: true });
    renameSync(s.staged, s.final);
    if (writer) faultPoint(`after-swap:${i}`);
  });
  rmSync(metaPath(root, 'trash', journal.txid), { recursive: true, force: true });
  rmSync(stagingDir(root, journal.txid), { recursive: true, force: true });
  rmSync(metaPath(root, 'txn', `${journal.txid}.json`), { force: true });
}

/**
 * Finishes writes that died after their commit point and removes what died before it.
 * Call with the writer lock held.
 */
export function recover(root: string): { rolled_forward: number; staging_removed: number } {
  let rolled = 0;
  let removed = 0;
  const txnDir = metaPath(root, 'txn');
  if (existsSync(txnDir)) {
    for (const f of readdirSync(txnDir).sort()) {
      const p = join(txnDir, f);
      if (f.endsWith('.json.tmp')) {
        rmSync(p, { force: true });
        continue;
      }
      if (!f.endsWith('.json')) continue;
      rollForward(root, JSON.parse(readFileSync(p, 'utf8')) as Journal);
      rolled++;
    }
  }
  for (const sub of ['staging', 'trash']) {
    const d = metaPath(root, sub);
    if (!existsSync(d)) continue;
    for (const t of readdirSync(d)) {
      rmSync(join(d, t), { recursive: true, force: true });
      removed++;
    }
  }
  return { rolled_forward: rolled, staging_removed: removed };
}

export function fsyncTree(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) fsyncTree(p);
    else fsyncPath(p);
  }
}


export interface Lock {
  release(): void;
}

/**
 * One writer per data dir (store/lockfile.ts: a lock left by a dead process on this host is taken
 * over). Waits up to waitMs for a live holder, then fails with exit 5 (retry later).
 */
export async function acquireLock(root: string, waitMs = 30_000): Promise<Lock> {
  const dir = metaPath(root);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'lock');
  const deadline = Date.now() + waitMs;
  for (;;) {
    const attempt = tryLockFile(file);
    if (attempt.lock) return attempt.lock;
    if (Date.now() > deadline) {
      throw upstreamError(`another perpkit process (${attempt.held_by}) is writing to ${root}`, {
        hint: `wait for it to finish and run again; if no such process exists, remove ${file}`,
      });
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
