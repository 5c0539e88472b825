import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers.js';

/**
 * Opt-in live smoke test (PERPKIT_LIVE=1; skipped by default, needs the network): a few minutes of
 * paper trading on Coinbase Advanced Trade's public feed (BTC-USD trades, 1m bars), then the
 * replay must show parity. PERPKIT_LIVE_MINUTES sets the length (default 4).
 */
const LIVE = process.env['PERPKIT_LIVE'] === '1';
const MINUTES = Number(process.env['PERPKIT_LIVE_MINUTES'] ?? 4);

describe.skipIf(!LIVE)('perpkit paper on the live Coinbase feed (PERPKIT_LIVE=1)', () => {
  it(`runs ${MINUTES} minutes, writes the outputs and replays with parity`, async () => {
    const dir = tempDir();
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ strategy: { column: 'roc_1' }, sizing: { mode: 'fixed_notional', notional: 1_000 } }));
    const run = (await runCli(['paper', '--strategy', 'signal', '--config', cfg, '--venue', 'coinbase', '--symbols', 'BTC-USD', '--run-id', 'live', '--duration', `${MINUTES}m`, '--flush-interval', '10s', '--data-dir', dir, '--json']));
    expect(run.code, run.stderr).toBe(0);
    const r = JSON.parse(run.stdout) as { bars: number; decisions: number; stopped_by: string };
    expect(r.stopped_by).toBe('duration');
    expect(r.bars).toBeGreaterThanOrEqual(MINUTES - 2);
    expect(r.decisions).toBe(r.bars);
    for (const f of ['orders', 'fills', 'positions', 'equity', 'funding_payments', 'events']) expect(existsSync(join(dir, 'paper', 'live', `${f}.parquet`))).toBe(true);
    const rp = (await runCli(['paper', '--replay', 'live', '--data-dir', dir, '--json']));
    expect(rp.code, rp.stdout + rp.stderr).toBe(0);
    expect((JSON.parse(rp.stdout) as { parity: boolean }).parity).toBe(true);
  }, (MINUTES + 3) * 60_000);
});
