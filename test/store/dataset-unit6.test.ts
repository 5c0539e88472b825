import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DATASETS } from '../../src/domain/datasets.js';
import { writeRows } from '../../src/store/dataset.js';
import { tempDir, testContext } from '../helpers.js';

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

const H = 3_600_000_000;
const T0 = Date.parse('2026-03-14T00:00:00Z') * 1000;
function bar(i: number, o: Record<string, unknown> = {}): Record<string, unknown> {
  const event = T0 + (i + 1) * H;
  return {
    venue: 'binance-usdm', symbol: 'BTC-PERP', price: 'last', timeframe: '1h', event_time: event, available_time: event, source: 'test',
    ingest_time: T0, open_time: event - H, open: 100, high: 102, low: 99, close: 100 + i, volume: 5, quote_volume: null, trade_count: null, ...o,
  };
}

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
