import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isPerpkitError } from '../../src/domain/errors.js';
import { pidAlive } from '../../src/store/lockfile.js';
import { acquireLock, commitSwaps, META_DIR, newTxid, recover, stagingDir, type Swap } from '../../src/store/txn.js';
import { tempDir } from '../helpers.js';

/**
 * The partition swaps in-process (the crash test drives them through the CLI with SIGKILL, which a mutation
 * run cannot use): what a commit leaves on disk, what recover() finishes or removes, and the writer lock.
 */
const meta = (root: string, ...p: string[]): string => join(root, META_DIR, ...p);
/** A folder holding one file with the given text. */
function folder(dir: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'part-0.parquet'), text);
  return dir;
}
const text = (dir: string): string => readFileSync(join(dir, 'part-0.parquet'), 'utf8');

describe('commitSwaps', () => {
  it('replaces, deletes and adds, then leaves no journal, staging or trash', () => {
    const root = tempDir();
    const txid = newTxid(1_700_000_000_000);
    const live = folder(join(root, 'bars', 'symbol=A'), 'old A');
    const gone = folder(join(root, 'bars', 'symbol=B'), 'old B');
    const appendTo = folder(join(root, 'bars', 'symbol=C'), 'old C');
    const staged = folder(join(stagingDir(root, txid), 'A'), 'new A');
    mkdirSync(stagingDir(root, txid), { recursive: true });
    writeFileSync(join(stagingDir(root, txid), 'c-part'), 'appended C');
    const swaps: Swap[] = [
      { final: live, staged, backup: meta(root, 'trash', txid, 'A') },
      { final: gone, staged: null, backup: meta(root, 'trash', txid, 'B') },
      { final: join(appendTo, 'part-1.parquet'), staged: join(stagingDir(root, txid), 'c-part'), backup: meta(root, 'trash', txid, 'C'), add: true },
      // a new partition: no live folder yet
      { final: join(root, 'bars', 'symbol=D'), staged: folder(join(stagingDir(root, txid), 'D'), 'new D'), backup: meta(root, 'trash', txid, 'D') },
    ];
    commitSwaps(root, txid, swaps);
    expect(text(live)).toBe('new A');
    expect(existsSync(gone)).toBe(false);
    expect(readdirSync(appendTo).sort()).toEqual(['part-0.parquet', 'part-1.parquet']);
    expect(readFileSync(join(appendTo, 'part-1.parquet'), 'utf8')).toBe('appended C');
    expect(text(join(root, 'bars', 'symbol=D'))).toBe('new D');
    expect(existsSync(stagingDir(root, txid))).toBe(false);
    expect(existsSync(meta(root, 'trash', txid))).toBe(false);
    expect(readdirSync(meta(root, 'txn'))).toEqual([]);
  });

  it('does nothing for no swaps (no journal folder)', () => {
    const root = tempDir();
    commitSwaps(root, 'x', []);
    expect(existsSync(meta(root))).toBe(false);
  });

  it('transaction ids are unique, in time order for different times, and name the process', () => {
    const a = newTxid(1000);
    const b = newTxid(1000);
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^${(1000).toString(36)}-${process.pid.toString(36)}-[0-9a-z]{1,6}$`));
  });
});

describe('recover', () => {
  it('rolls forward a journal left after its commit point, removes temp journals and stale staging', () => {
    const root = tempDir();
    const txid = 'tx1';
    // the writer died after the journal was written and after the first of two swaps
    const a = folder(join(root, 'd', 'p=A'), 'new A'); // done
    const b = folder(join(root, 'd', 'p=B'), 'old B');
    const stagedB = folder(join(stagingDir(root, txid), 'B'), 'new B');
    folder(meta(root, 'trash', txid, 'A'), 'old A'); // A's backup
    const journal = {
      txid,
      swaps: [
        { final: a, staged: join(stagingDir(root, txid), 'A'), backup: meta(root, 'trash', txid, 'A') },
        { final: b, staged: stagedB, backup: meta(root, 'trash', txid, 'B') },
      ],
    };
    mkdirSync(meta(root, 'txn'), { recursive: true });
    writeFileSync(meta(root, 'txn', `${txid}.json`), JSON.stringify(journal));
    // a journal that never reached its commit point, a stray file, and staging of a write that died before it
    writeFileSync(meta(root, 'txn', 'tx0.json.tmp'), '{');
    writeFileSync(meta(root, 'txn', 'notes.txt'), 'x');
    folder(stagingDir(root, 'tx2'), 'never committed');
    const r = recover(root);
    expect(r).toEqual({ rolled_forward: 1, staging_removed: 1 });
    expect(text(a)).toBe('new A');
    expect(text(b)).toBe('new B');
    expect(readdirSync(meta(root, 'txn'))).toEqual(['notes.txt']);
    expect(readdirSync(meta(root, 'staging'))).toEqual([]);
    expect(existsSync(meta(root, 'trash', txid))).toBe(false);
  });

  it('counts leftover trash too, and is a no-op on a data dir without .perpkit', () => {
    const root = tempDir();
    expect(recover(root)).toEqual({ rolled_forward: 0, staging_removed: 0 });
    folder(meta(root, 'trash', 'old1'), 'x');
    folder(meta(root, 'trash', 'old2'), 'x');
    folder(stagingDir(root, 'old3'), 'x');
    expect(recover(root)).toEqual({ rolled_forward: 0, staging_removed: 3 });
    expect(readdirSync(meta(root, 'trash'))).toEqual([]);
  });

  it('finishes a delete swap and an append swap from the journal', () => {
    const root = tempDir();
    const txid = 'tx9';
    const del = folder(join(root, 'd', 'p=X'), 'x');
    const into = folder(join(root, 'd', 'p=Y'), 'y0');
    mkdirSync(stagingDir(root, txid), { recursive: true });
    writeFileSync(join(stagingDir(root, txid), 'y1'), 'y1');
    mkdirSync(meta(root, 'txn'), { recursive: true });
    const swaps: Swap[] = [
      { final: del, staged: null, backup: meta(root, 'trash', txid, 'X') },
      { final: join(into, 'part-1.parquet'), staged: join(stagingDir(root, txid), 'y1'), backup: '', add: true },
      // an append already moved: its staged file is gone, nothing to do
      { final: join(into, 'part-2.parquet'), staged: join(stagingDir(root, txid), 'y2'), backup: '', add: true },
    ];
    writeFileSync(meta(root, 'txn', `${txid}.json`), JSON.stringify({ txid, swaps }));
    expect(recover(root).rolled_forward).toBe(1);
    expect(existsSync(del)).toBe(false);
    // the same journal again (a second crash during recovery): every swap is already done, nothing fails
    writeFileSync(meta(root, 'txn', `${txid}.json`), JSON.stringify({ txid, swaps }));
    expect(recover(root).rolled_forward).toBe(1);
    expect(readdirSync(into).sort()).toEqual(['part-0.parquet', 'part-1.parquet']);
  });
});

describe('writer lock', () => {
  it('pidAlive: this process is alive, a pid far above the kernel limit is not', () => {
    expect(pidAlive(process.pid)).toBe(true);
    expect(pidAlive(2 ** 30)).toBe(false);
  });

  it('is exclusive: a second acquire waits, then fails with exit 5 naming the holder; release frees it', async () => {
    const root = tempDir();
    const lock = await acquireLock(root, 0);
    const file = meta(root, 'lock');
    expect(readFileSync(file, 'utf8')).toMatch(new RegExp(`^${process.pid} ${hostname()} \\d+\n$`));
    const err = await acquireLock(root, 0).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isPerpkitError(err)).toBe(true);
    if (!isPerpkitError(err)) return;
    expect(err.exitCode).toBe(5);
    expect(err.message).toMatch(new RegExp(`another perpkit process \\(${process.pid} ${hostname()} \\d+\\) is writing to ${root}`));
    expect(err.hint).toContain(`remove ${file}`);
    lock.release();
    expect(existsSync(file)).toBe(false);
    const again = await acquireLock(root, 0);
    again.release();
  });

  it('waits for a live holder to release the lock within waitMs', async () => {
    const root = tempDir();
    const first = await acquireLock(root, 0);
    setTimeout(() => first.release(), 300);
    const second = await acquireLock(root, 30_000);
    expect(readFileSync(meta(root, 'lock'), 'utf8')).toMatch(new RegExp(`^${process.pid} ${hostname()} \\d+\n$`));
    second.release();
  });

  it('does not take over a lock of a dead pid on another host, nor release a lock it does not hold', async () => {
    const root = tempDir();
    mkdirSync(meta(root), { recursive: true });
    writeFileSync(meta(root, 'lock'), `${2 ** 30} some-other-host\n`);
    await expect(acquireLock(root, 0)).rejects.toThrow(/another perpkit process/);
    // a lock taken over by another process after ours was released is not removed by our release
    writeFileSync(meta(root, 'lock'), `${2 ** 30} ${hostname()}\n`);
    const lock = await acquireLock(root, 0); // dead holder on this host: taken over
    writeFileSync(meta(root, 'lock'), `1 ${hostname()}\n`);
    lock.release();
    expect(readFileSync(meta(root, 'lock'), 'utf8')).toBe(`1 ${hostname()}\n`);
  });
});
