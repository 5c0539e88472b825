import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DATASETS } from '../../src/domain/datasets.js';
import { datasetFiles, listOf, SCAN_SQL } from '../../src/store/dataset.js';
import { ROOT, tempDir, testContext } from '../helpers.js';
import { at, startMockWs } from './mock-ws.js';

describe('record CLI', () => {
  it('SIGTERM under load: exit 130, every message received before the signal is on disk', async () => {
    const mock = await startMockWs({ venue: 'coinbase', subscribes: 2, script: () => [{ flood: { count: 400_000, make: (i) => at.trades([i]) } }] });
    const dir = tempDir();
    try {
      const child = spawn(
        process.execPath,
        [join(ROOT, 'bin', 'run.js'), 'record', '--venue', 'coinbase', '--symbols', 'BTC-USD', '--channels', 'market_trades', '--url', mock.url, '--out-dir', dir, '--flush-interval', '1s', '--json'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const t0 = Date.now();
      while (mock.flooded < 20_000 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 50));
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code, stderr).toBe(130);
      const doc = JSON.parse(stdout) as { error: { code: number; details: { messages: number; rows: { trades: number }; heartbeats: number } } };
      expect(doc.error.code).toBe(130);
      const received = doc.error.details.messages - doc.error.details.heartbeats - 1; // minus the subscriptions ack
      expect(received).toBeGreaterThan(1000);
      const ctx = await testContext();
      const files = await datasetFiles(dir, DATASETS.trades);
      const [row] = await ctx.db.all(`SELECT count(*)::DOUBLE AS n, count(DISTINCT trade_id)::DOUBLE AS d, min(trade_id::BIGINT)::DOUBLE AS lo, max(trade_id::BIGINT)::DOUBLE AS hi FROM ${SCAN_SQL}`, {
        files: listOf(files),
      });
      // every trade frame received is stored once, and they are the first ones sent, without holes
      expect(row).toEqual({ n: received, d: received, lo: 1_000_000, hi: 1_000_000 + received - 1 });
      expect(doc.error.details.rows.trades).toBe(received);
    } finally {
      await mock.close();
    }
  });
});
