import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { monitor, slope } from '../../src/services/monitor.js';
import { spearman } from '../../src/stats/descriptive.js';
import { normalGenerator } from '../../src/stats/random.js';
import { runCli, tempDir } from '../helpers.js';

/**
 * Synthetic paper runs (the files a paper run writes: paper.json, journal.jsonl, status.json) of
 * one symbol on 1h bars whose next-bar return is k x signal + noise: a stable control (k constant)
 * and a planted decay (k falls to 0 for the last 40% of the run).
 */

const H = 3_600_000_000;
const T0 = Date.UTC(2026, 0, 1) * 1000;

function writeRun(root: string, id: string, k: (i: number) => number, n = 3000, seed = 7, statusAgeBars = 0.5): { signal: number[]; fwd: number[] } {
  const dir = join(root, 'paper', id);
  mkdirSync(dir, { recursive: true });
  const gauss = normalGenerator(seed);
  const signal: number[] = [];
  const close: number[] = [100];
  for (let i = 0; i < n; i++) {
    signal.push(gauss());
    // the return of bar i+1 answers the signal known at the close of bar i
    close.push(close[i]! * Math.exp(0.001 * (k(i) * signal[i]! + gauss())));
  }
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const ot = T0 + i * H;
    const t = ot + H + 2_000_000;
    lines.push(JSON.stringify({ k: 'bar', s: 0, t, ot, ct: ot + H, o: close[i], h: close[i], l: close[i], c: close[i], v: 1, n: 1, f: t }));
    lines.push(JSON.stringify({ k: 'dec', s: 0, t, v: [signal[i], i % 2], lat: 5 }));
  }
  writeFileSync(join(dir, 'journal.jsonl'), `${lines.join('\n')}\n`);
  const spec = { run_id: id, kind: 'paper', venue: 'coinbase', symbols: ['BTC-PERP'], columns: ['sig', 'parity'], strategy: { spec: 'signal', name: 'signal', params: { column: 'sig' } }, tf_us: H, start: T0, end: T0 + 1e12, instruments: [] };
  writeFileSync(join(dir, 'paper.json'), JSON.stringify(spec));
  const lastClose = T0 + n * H;
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ run_id: id, now: lastClose + statusAgeBars * H, counters: { funding_missing: 0, reconnects: 2, gaps: 1 } }));
  const fwd = signal.map((_, i) => Math.log(close[i + 1]! / close[i]!));
  return { signal, fwd };
}

describe('perpkit monitor', () => {
  it('flags a planted decay, not the stable control; IC per period equals a plain Spearman of signal vs the next bar return', async () => {
    const root = tempDir();
    const ctl = writeRun(root, 'control', () => 0.3);
    writeRun(root, 'decay', (i) => (i < 1800 ? 0.3 : 0));
    const c = monitor({ root, run: 'control' });
    expect(c.status).toBe('healthy');
    expect(c.alerts).toEqual([]);
    expect(c.observations).toBe(3000);
    expect(c.periods).toHaveLength(60);
    // period 0: observations 0..49; the last decision has no next bar (NaN, skipped)
    const plain = spearman(Float64Array.from(ctl.signal.slice(0, 50)), Float64Array.from(ctl.fwd.slice(0, 50)));
    expect(c.periods[0]!.ic['sig']).toBeCloseTo(plain, 12);
    const p59 = spearman(Float64Array.from(ctl.signal.slice(2950, 2999)), Float64Array.from(ctl.fwd.slice(2950, 2999)));
    expect(c.periods[59]!.ic['sig']).toBeCloseTo(p59, 12);
    expect(c.rules.rolling_ic!).toBeGreaterThan(0.15);
    // the uninformative feature has no IC to speak of
    expect(Math.abs(c.features['parity']!.historical_ic!)).toBeLessThan(0.05);
    expect(c.data_health).toMatchObject({ status: 'healthy', reconnects: 2, sequence_gaps: 1 });

    const d = monitor({ root, run: 'decay' });
    expect(d.status).not.toBe('healthy');
    expect(d.alerts.some((a) => /IC below minimum|IC decay/.test(a))).toBe(true);
    expect(d.rules.rolling_ic!).toBeLessThan(0.1);
    expect(d.rules.ic_change_pct!).toBeLessThan(-0.5);

    // against a baseline (the control's IC history), the decay is flagged too
    const b = monitor({ root, run: 'decay', baseline: 'control' });
    expect(b.rules.historical_from).toBe('baseline');
    expect(b.rules.historical_ic).toBeCloseTo(c.rules.historical_ic!, 12);
    expect(b.status).not.toBe('healthy');

    // CLI: exit codes for cron and a top-level status
    const okRun = (await runCli(['monitor', '--run', 'control', '--data-dir', root, '--json']));
    expect(okRun.code, okRun.stderr).toBe(0);
    expect((JSON.parse(okRun.stdout) as { status: string }).status).toBe('healthy');
    const bad = (await runCli(['monitor', '--run', 'decay', '--data-dir', root, '--json']));
    expect(bad.code, bad.stderr).toBe(3);
    expect(['warning', 'critical']).toContain((JSON.parse(bad.stdout) as { status: string }).status);
    const text = (await runCli(['monitor', '--run', 'decay', '--data-dir', root]));
    expect(text.code).toBe(3);
    expect(text.stdout).toMatch(/ALERT/);
  }, 120_000);

  it('data health: a stale stream is a warning; a negative IC trend is flagged', async () => {
    const root = tempDir();
    writeRun(root, 'stale', () => 0.3, 1000, 7, 10);
    const s = monitor({ root, run: 'stale' });
    expect(s.data_health.status).toBe('warning');
    expect(s.data_health.streams[0]).toMatchObject({ symbol: 'BTC-PERP', stale: true, age_bars: 10, missing_bars: 0 });
    expect(s.status).toBe('warning');
    // k falls linearly from 0.6 to 0.1: IC above the minimum and not down 50% from its mean, but trending down
    writeRun(root, 'trend', (i) => 0.6 - (0.5 * i) / 3000, 3000, 11);
    const t = monitor({ root, run: 'trend' });
    expect(t.rules.ic_trend!).toBeLessThan(0);
    expect(t.alerts.some((a) => a.startsWith('negative IC trend'))).toBe(true);
  });

  it('slope: OLS slope and t of a plain line', async () => {
    expect(slope([1, 2, 3, 4])!.b).toBeCloseTo(1, 12);
    const r = slope([0, 1, 0, 1, 0, 1])!;
    // by hand: x mean 2.5, sxx 17.5, sxy 1.5 -> b 3/35
    expect(r.b).toBeCloseTo(3 / 35, 12);
    expect(slope([1, 2])).toBeNull();
  });
});
