import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isoFromMicros } from '../../src/domain/time.js';
import { ROOT, runCli, tempDir, testContext } from '../helpers.js';
import { clockEnv, startVenue, type FastClock } from './mock-venue.js';

/**
 * A paper session against a local venue replaying real Coinbase trade messages at 200 x speed
 * (1m bars close every 300 ms): a dropped connection, lost sequence numbers and a 4-bar data gap;
 * the process is killed with SIGKILL mid-run and restarted with the same run id, then stopped with
 * SIGTERM; then the replay through the backtest path must show parity, and a planted divergence
 * must be exit 3 naming it.
 */

const MIN_US = 60_000_000;

interface Ck {
  journal_entries: number;
  orders: number;
  fills: number;
}

function start(dir: string, url: string, clock: FastClock, cfg: string): { child: ChildProcess; out: { stdout: string; stderr: string } } {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin', 'run.js'), 'paper', '--strategy', 'signal', '--config', cfg, '--venue', 'coinbase', '--symbols', 'BTC-USD', '--url', url, '--data-dir', dir, '--run-id', 'p1', '--flush-interval', '200ms', '--json'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PERPKIT_PAPER_TEST_CLOCK: clockEnv(clock) } },
  );
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  return { child, out };
}

const exited = (c: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> =>
  new Promise((resolve) => (c.exitCode !== null || c.signalCode !== null ? resolve({ code: c.exitCode, signal: c.signalCode }) : c.on('exit', (code, signal) => resolve({ code, signal }))));

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!cond() && Date.now() - t0 < ms) await new Promise((r) => setTimeout(r, 50));
}

function readCk(dir: string): Ck | null {
  const p = join(dir, 'paper', 'p1', 'checkpoint.json');
  try {
    return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as Ck) : null;
  } catch {
    return null;
  }
}

describe('perpkit paper against a mock venue', () => {
  it('runs, survives kill -9 (no duplicate or lost orders), stops on SIGTERM with 130, and its replay shows parity; a planted divergence is exit 3', async () => {
    const dir = tempDir();
    const cfg = join(dir, 'cfg.json');
    writeFileSync(cfg, JSON.stringify({ strategy: { column: 'roc_1' }, sizing: { mode: 'fixed_notional', notional: 10_000 } }));
    const clock: FastClock = { r0: performance.timeOrigin + performance.now(), t0: Date.UTC(2026, 3, 7, 0, 0, 30) * 1000, speed: 200 };
    const venue = await startVenue({ clock, periodMs: 30, dropAfter: 60, skipAt: 30, silence: [150, 190] });
    const run = join(dir, 'paper', 'p1');
    try {
      // ---- first process, killed with SIGKILL ----
      const a = start(dir, venue.url, clock, cfg);
      await waitFor(() => (readCk(dir)?.orders ?? 0) >= 4 && venue.sent >= 120, 60_000);
      const ck1 = readCk(dir)!;
      expect(ck1.orders, a.out.stderr).toBeGreaterThanOrEqual(4);
      copyFileSync(join(run, 'orders.parquet'), join(dir, 'orders-before-kill.parquet'));
      a.child.kill('SIGKILL');
      expect((await exited(a.child)).signal).toBe('SIGKILL');

      // ---- restart: same run id ----
      const b = start(dir, venue.url, clock, cfg);
      await waitFor(() => (readCk(dir)?.journal_entries ?? 0) > ck1.journal_entries + 40 && venue.sent >= 260, 60_000);
      b.child.kill('SIGTERM');
      const bx = await exited(b.child);
      expect(bx.code, b.out.stderr).toBe(130);
      expect(b.out.stderr).toMatch(/resumed from the journal \(\d+ entries.*checkpoint: \d+ orders, matching/);
      const err = JSON.parse(b.out.stdout) as { error: { code: number; message: string; details: { orders: number; bars: number } } };
      expect(err.error.code).toBe(130);

      const ctx = await testContext();
      const orderRows = (file: string): Promise<Array<Record<string, unknown>>> =>
        ctx.db.all(`SELECT order_id, symbol, epoch_us(created_time)::DOUBLE AS created, type, qty, reduce_only, origin FROM read_parquet('${file}') ORDER BY order_id`);
      const before = await orderRows(join(dir, 'orders-before-kill.parquet'));
      const after = await orderRows(join(run, 'orders.parquet'));
      // nothing lost: every order written before the kill is there, the same; nothing twice: ids 0..n-1, one per decision at most
      expect(after.slice(0, before.length)).toEqual(before);
      expect(after.map((o) => o['order_id'])).toEqual(after.map((_, i) => i));
      expect(after.length).toBe(err.error.details.orders);
      expect(after.length).toBeGreaterThan(before.length);
      const journal = readFileSync(join(run, 'journal.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { k: string; s: number; t: number; ot: number; v: Array<number | null> });
      const bars = journal.filter((e) => e.k === 'bar');
      const decs = journal.filter((e) => e.k === 'dec');
      expect(new Set(bars.map((e) => e.ot)).size).toBe(bars.length);
      expect(new Set(decs.map((e) => e.t)).size).toBe(decs.length);
      // one decision per closed bar, at the bar's availability
      expect(decs.map((e) => e.t)).toEqual(bars.map((e) => e.t));
      // the silence: one gap of at least 3 bars between consecutive bars
      const gaps = bars.slice(1).map((e, i) => (e.ot - bars[i]!.ot) / MIN_US);
      expect(Math.max(...gaps)).toBeGreaterThanOrEqual(3);
      const status = JSON.parse(readFileSync(join(run, 'status.json'), 'utf8')) as { running: boolean; counters: { reconnects: number; gaps: number; orders: number } };
      expect(status.running).toBe(false);
      expect(status.counters.orders).toBe(after.length);
      // the dropped connection (the second process saw the lost sequence numbers or not, by timing)
      expect(venue.connections).toBeGreaterThanOrEqual(3);
      // orders are paper only: market orders of the strategy
      expect(new Set(after.map((o) => o['origin']))).toEqual(new Set(['strategy']));

      // ---- --status from another shell ----
      const st = (await runCli(['paper', '--status', 'p1', '--data-dir', dir, '--json']));
      expect(st.code, st.stderr).toBe(0);
      const sj = JSON.parse(st.stdout) as { alive: boolean; counters: { orders: number; bars: number } };
      expect(sj.alive).toBe(false);
      expect(sj.counters.orders).toBe(after.length);

      // ---- replay: parity ----
      const rp = (await runCli(['paper', '--replay', 'p1', '--data-dir', dir, '--json']));
      expect(rp.code, rp.stdout + rp.stderr).toBe(0);
      const rj = JSON.parse(rp.stdout) as { parity: boolean; compared: { bars: number; decisions: number; orders: number; fills: number }; max_fill_diff_bps: number };
      expect(rj.parity).toBe(true);
      expect(rj.compared.bars).toBe(bars.length);
      expect(rj.compared.decisions).toBe(decs.length);
      expect(rj.compared.orders).toBe(after.length);
      expect(rj.compared.fills).toBeGreaterThan(0);
      expect(rj.max_fill_diff_bps).toBeLessThanOrEqual(5);

      // ---- the monitor on this paper run: every decision is an observation; exit code follows the status ----
      const mon = (await runCli(['monitor', '--run', 'p1', '--data-dir', dir, '--window', '5', '--json']));
      const mj = JSON.parse(mon.stdout) as { status: string; observations: number; signal: string; data_health: { reconnects: number } };
      expect(mj.observations).toBe(decs.length);
      expect(mj.signal).toBe('roc_1');
      expect(mj.data_health.reconnects).toBe(status.counters.reconnects);
      expect(mon.code).toBe(mj.status === 'healthy' ? 0 : 3);

      // ---- a planted divergence: one decision's feature value changed in the journal ----
      const lines = readFileSync(join(run, 'journal.jsonl'), 'utf8').trim().split('\n');
      const k = lines.findIndex((l, i) => i > lines.length / 2 && l.includes('"k":"dec"') && !l.includes('[null]'));
      const e = JSON.parse(lines[k]!) as { t: number; v: number[] };
      e.v[0] = e.v[0]! + 0.5;
      lines[k] = JSON.stringify(e);
      writeFileSync(join(run, 'journal.jsonl'), `${lines.join('\n')}\n`);
      const bad = (await runCli(['paper', '--replay', 'p1', '--data-dir', dir]));
      expect(bad.code, bad.stderr).toBe(3);
      expect(bad.stderr).toContain(`first at ${isoFromMicros(e.t)} BTC-USD: decision: decision input roc_1: paper ${e.v[0]}`);
    } finally {
      await venue.close();
    }
  }, 180_000);
});
