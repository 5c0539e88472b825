import { beforeEach, describe, expect, it, vi } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { commitSwaps, fsyncTree, META_DIR, stagingDir } from '../../src/store/txn.js';
import { tempDir } from '../helpers.js';

/**
 * Durability of the partition swaps: a power loss cannot be produced in a test, so this checks the calls that
 * make the data durable instead. node:fs is wrapped so that every open, fsync, close and rename of the store's
 * code is logged: each staged file is opened, fsynced and closed; the journal is fsynced before the rename that
 * commits it; no descriptor is left open.
 */
const log: string[] = [];
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs')>();
  const fds = new Map<number, string>();
  return {
    ...real,
    openSync: (p: string, flags: string, ...rest: unknown[]) => {
      const fd = (real.openSync as (...a: unknown[]) => number)(p, flags, ...rest);
      fds.set(fd, String(p));
      log.push(`open ${flags} ${p}`);
      return fd;
    },
    fsyncSync: (fd: number) => {
      real.fsyncSync(fd);
      log.push(`fsync ${fds.get(fd)}`);
    },
    closeSync: (fd: number) => {
      real.closeSync(fd);
      log.push(`close ${fds.get(fd)}`);
      fds.delete(fd);
    },
    renameSync: (a: string, b: string) => {
      real.renameSync(a, b);
      log.push(`rename ${a} -> ${b}`);
    },
  };
});

beforeEach(() => {
  log.length = 0;
});

describe('fsync of the staged tree and the journal', () => {
  it('fsyncTree opens (read-only), fsyncs and closes every file of a nested tree, and nothing else', () => {
    const d = tempDir();
    mkdirSync(join(d, 'x', 'y'), { recursive: true });
    writeFileSync(join(d, 'a'), '1');
    writeFileSync(join(d, 'x', 'b'), '2');
    writeFileSync(join(d, 'x', 'y', 'c'), '3');
    log.length = 0;
    fsyncTree(d);
    const files = ['a', join('x', 'b'), join('x', 'y', 'c')].map((f) => join(d, f));
    expect([...log].sort()).toEqual(files.flatMap((f) => [`open r ${f}`, `fsync ${f}`, `close ${f}`]).sort());
    // per file: open, then fsync, then close
    for (const f of files) expect([log.indexOf(`open r ${f}`), log.indexOf(`fsync ${f}`), log.indexOf(`close ${f}`)]).toEqual([...Array(3).keys()].map((k) => log.indexOf(`open r ${f}`) + k));
  });

  it('the journal is written, fsynced and closed before the rename that commits it', () => {
    const root = tempDir();
    const st = stagingDir(root, 'tx');
    mkdirSync(join(st, 'A'), { recursive: true });
    writeFileSync(join(st, 'A', 'part-0.parquet'), 'new');
    log.length = 0;
    commitSwaps(root, 'tx', [{ final: join(root, 'bars', 'symbol=A'), staged: join(st, 'A'), backup: join(root, META_DIR, 'trash', 'tx', 'A') }]);
    const tmp = join(root, META_DIR, 'txn', 'tx.json.tmp');
    expect(log.slice(0, 4)).toEqual([`open w ${tmp}`, `fsync ${tmp}`, `close ${tmp}`, `rename ${tmp} -> ${join(root, META_DIR, 'txn', 'tx.json')}`]);
    expect(fs.existsSync(join(root, 'bars', 'symbol=A', 'part-0.parquet'))).toBe(true);
  });
});
