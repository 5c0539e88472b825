import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DATASETS } from '../../src/domain/datasets.js';
import { writeRows } from '../../src/store/dataset.js';
import { tempDir, testContext } from '../helpers.js';
import { bar } from './bar-fixture.js';

/**
 * commitWrite's durability in-process (store-write-8 survivor 538): node:fs is wrapped, as in txn-fsync-unit,
 * so that every fsync and rename is logged. A write fsyncs each staged Parquet file before the swap that moves
 * its partition into place.
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
      return fd;
    },
    fsyncSync: (fd: number) => {
      real.fsyncSync(fd);
      log.push(`fsync ${fds.get(fd)}`);
    },
    closeSync: (fd: number) => {
      real.closeSync(fd);
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


describe('commitWrite: durability of the swaps', () => {
  it('fsyncs each staged Parquet file before the swap that moves its partition into place', async () => {
    const ctx = await testContext();
    const root = tempDir();
    await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0)]);
    log.length = 0;
    await writeRows(ctx, { root, spec: DATASETS.bars }, [bar(0, { close: 1 })]);
    const synced = log.findIndex((l) => /^fsync .*\/\.perpkit\/staging\/.*\/month=2026-03\/part-0\.parquet$/.test(l));
    const swapped = log.findIndex((l) => /^rename .*\/\.perpkit\/staging\/.*\/month=2026-03 -> /.test(l));
    expect(synced).toBeGreaterThanOrEqual(0);
    expect(swapped).toBeGreaterThan(synced);
  });

});
