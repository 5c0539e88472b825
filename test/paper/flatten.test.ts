import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/domain/context.js';
import { paper } from '../../src/services/paper/run.js';
import { tempDir, testContext } from '../helpers.js';
import { fastNow, startVenue, type FastClock } from './mock-venue.js';

describe('perpkit paper --flatten-on-exit', () => {
  it('on the stop signal, market orders (origin flatten_exit) close the position before the run ends; the run says interrupted', async () => {
    const dir = tempDir();
    // 50x: the run waits up to two bars (2.4 s here) for the closing fills; at 200x a loaded machine
    // could not deliver the next trade within that wall time
    const clock: FastClock = { r0: performance.timeOrigin + performance.now(), t0: Date.UTC(2026, 3, 7, 0, 0, 30) * 1000, speed: 50 };
    const venue = await startVenue({ clock, periodMs: 30, dropAfter: 1e9, skipAt: -1, silence: [0, 0] });
    const base = await testContext();
    const abort = new AbortController();
    let last = 0;
    const rclock = { nowUs: (): number => (last = Math.max(last + 1, fastNow(clock))) };
    try {
      const p = paper(
        { root: dir, strategy: 'signal', config: { strategy: { column: 'roc_1', side: 'long', entry_long: -1, entry_short: -2 }, sizing: { mode: 'fixed_notional', notional: 2_000 } }, venue: 'coinbase', symbols: ['BTC-USD'], url: venue.url, run_id: 'f1', flatten_on_exit: true, clock: rclock, tick_ms: 10, flush_ms: 200 },
        { ...base, clock: systemClock, signal: abort.signal },
      );
      const status = join(dir, 'paper', 'f1', 'status.json');
      const t0 = Date.now();
      const held = (): boolean => existsSync(status) && (JSON.parse(readFileSync(status, 'utf8')) as { positions: Array<{ qty: number }> }).positions.some((x) => x.qty > 0);
      while (!held() && Date.now() - t0 < 60_000) await new Promise((r) => setTimeout(r, 50));
      expect(held()).toBe(true);
      abort.abort(new Error('SIGTERM'));
      await expect(p).rejects.toMatchObject({ kind: 'interrupted' });
      const st = JSON.parse(readFileSync(status, 'utf8')) as { running: boolean; positions: Array<{ qty: number; pending: number }> };
      expect(st.running).toBe(false);
      expect(st.positions).toEqual([expect.objectContaining({ qty: 0, pending: 0 })]);
      const orders = await base.db.all(`SELECT origin, status FROM read_parquet('${join(dir, 'paper', 'f1', 'orders.parquet')}') WHERE origin = 'flatten_exit'`);
      expect(orders).toEqual([{ origin: 'flatten_exit', status: 'filled' }]);
    } finally {
      await venue.close();
    }
  }, 120_000);
});
