/**
 * perpkit backtest on the real bundled sample: features + labels from 2026-03-01, a holdout split,
 * then the regime strategy on its validation segment; outputs, manifest, ledger trial, bit-identical
 * rerun, and the exit codes of bad input.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PerpkitError } from '../../src/domain/errors.js';
import { rerunBacktest, runBacktest } from '../../src/services/backtest.js';
import { buildWithCli, ROOT, testContext } from '../helpers.js';

/** The real CLI, asynchronously (long synchronous spawns starve vitest's worker RPC on a loaded machine). */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env['PERPKIT_DATA_DIR'];
    const p = spawn(process.execPath, [join(ROOT, 'bin', 'run.js'), ...args], { cwd: ROOT, env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir = '';
let runId = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'perpkit-bt-'));
  cpSync(join(ROOT, 'data', 'sample'), dir, { recursive: true });
  await buildWithCli([
    ['features', '--from', '2026-03-01'],
    ['features', '--labels', '--from', '2026-03-01', '--horizons', '1h'],
    ['split', '--name', 'demo', '--scheme', 'holdout', '--buffer', '2d'],
  ].map((args) => [...args, '--data-dir', dir, '--quiet']));
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('perpkit backtest (CLI, real sample)', () => {
  it('runs the regime strategy on the validation segment: metrics table, outputs, manifest, ledger trial', async () => {
    const r = await cli(['backtest', '--strategy', 'regime', '--split', 'demo', '--segment', 'validation', '--data-dir', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Sharpe \(24\/7\)/);
    expect(r.stdout).toMatch(/costs: fees\s+\d/);
    expect(r.stderr).toMatch(/events in \d+ ms/);
    runId = /^run\s+(\S+)/m.exec(r.stdout)?.[1] ?? '';
    expect(runId).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{8}$/);
    const out = join(dir, 'runs', runId);
    for (const f of ['orders', 'fills', 'positions', 'equity', 'funding_payments', 'events']) expect(existsSync(join(out, `${f}.parquet`)), f).toBe(true);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    expect(m).toMatchObject({ split: 'demo', segment: 'validation', seed: 42, funding_missing: 'error', execution_timeframe: '15m', mark_timeframe: '1h' });
    expect(Object.keys(m.data_hashes).sort()).toEqual(['bars', 'features', 'funding', 'instruments', 'mark']);
    expect(m.strategy.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(m.counters.decisions).toBeGreaterThan(100);
    expect(m.outputs.fills.rows).toBeGreaterThan(0);
    const ledger = JSON.parse((await cli(['datasets', '--datasets', 'ledger', '--data-dir', dir, '--json'])).stdout).datasets;
    expect(ledger[0].rows).toBeGreaterThanOrEqual(1);
    // the metrics agree with the outputs they summarise
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).metrics;
    const ctx = await testContext();
    const [f] = await ctx.db.all(
      `SELECT sum(fee) FILTER (WHERE liquidation = 0) AS fees, sum(slippage_cost) AS slip, count(*)::INTEGER AS n,
              bool_and(price BETWEEN bar_low AND bar_high) AS inside,
              string_agg(DISTINCT source, ',' ORDER BY source) AS sources FROM read_parquet($p)`,
      { p: join(out, 'fills.parquet') },
    );
    expect(f?.['n']).toBe(metrics.fills);
    expect(Number(f?.['fees'])).toBeCloseTo(metrics.costs.fees, 6);
    expect(Number(f?.['slip'])).toBeCloseTo(metrics.costs.slippage, 6);
    expect(f?.['inside']).toBe(true);
    // no trades in the sample: every fill executed on a bar (or is a liquidation)
    expect(String(f?.['sources'])).toMatch(/^bar(,liquidation)?$/);
    const [e] = await ctx.db.all(
      `SELECT last(equity ORDER BY time) AS eq, max(abs(equity - cash - unrealised - accrued_funding)) AS gap FROM read_parquet($p)`,
      { p: join(out, 'equity.parquet') },
    );
    expect(Number(e?.['eq'])).toBeCloseTo(metrics.final_equity, 6);
    expect(Number(e?.['gap'])).toBeLessThan(1e-6);
    expect(metrics.total_return).toBeCloseTo(metrics.final_equity / metrics.initial_equity - 1, 9);
    const [fu] = await ctx.db.all(`SELECT coalesce(sum(amount), 0) AS s FROM read_parquet($p)`, { p: join(out, 'funding_payments.parquet') });
    expect(Number(fu?.['s'])).toBeCloseTo(metrics.costs.funding, 6);
  });

  it('--rerun gives bit-identical outputs (and --json prints one document)', async () => {
    expect(runId).not.toBe('');
    const r = await cli(['backtest', '--rerun', runId, '--data-dir', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.identical).toBe(true);
    expect(doc.differences).toEqual([]);
    expect(doc.run_id).not.toBe(runId);
    expect(doc.manifest.rerun_of).toBe(runId);
    const a = JSON.parse(readFileSync(join(dir, 'runs', runId, 'manifest.json'), 'utf8'));
    expect(doc.manifest.outputs).toEqual(a.outputs);
    expect(typeof doc.metrics.sharpe === 'number' || doc.metrics.sharpe === null).toBe(true);
  });

  it('a --fee-tier changes the fees: Binance VIP 9 (0 % / 0.017 %) costs less than VIP 0', async () => {
    const a = JSON.parse(readFileSync(join(dir, 'runs', runId, 'metrics.json'), 'utf8')).metrics.costs.fees as number;
    const r = await cli(['backtest', '--split', 'demo', '--fee-tier', 'VIP9', '--data-dir', dir, '--json', '--quiet']);
    expect(r.code, r.stderr).toBe(0);
    const b = JSON.parse(r.stdout).metrics.costs.fees as number;
    expect(b).toBeGreaterThan(0);
    expect(b).toBeLessThan(a);
  });

  it('bad input: clear message and the right exit code', async () => {
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'slippage:\n  mode: bogus\n');
    const sig = join(dir, 'signal.yaml');
    writeFileSync(sig, 'strategy:\n  column: no_such_feature\n');
    const cases: Array<[string[], number, RegExp]> = [
      [['--split', 'demo', '--config', cfg], 2, /invalid config: slippage\.mode/],
      [['--split', 'nosuch'], 4, /no split nosuch/],
    ];
    const runs = await Promise.all(cases.map(([args]) => cli(['backtest', ...args, '--data-dir', dir])));
    cases.forEach(([args, code, msg], i) => {
      const r = runs[i]!;
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(msg);
      expect(r.stdout).toBe('');
    });
    // the same service errors in-process (spawning a CLI per case is slow on shared machines)
    const ctx = await testContext();
    const svc: Array<[() => Promise<unknown>, number, RegExp]> = [
      [() => runBacktest({ root: dir, strategy: 'nope', split: 'demo', segment: 'validation' }, ctx), 2, /unknown strategy "nope"/],
      [() => runBacktest({ root: dir, strategy: 'regime', split: 'demo', segment: 'validation', config: { fees: { tier: 'VIP99' } } }, ctx), 2, /fee tier "VIP99" does not exist/],
      [() => runBacktest({ root: dir, strategy: 'regime', split: 'demo', segment: 'test' }, ctx), 2, /sealed/],
      [() => runBacktest({ root: dir, strategy: 'regime', split: 'demo', segment: 'validation', config: { strategy: { sma_fast: 80 } } }, ctx), 2, /strategy\.sma_fast/],
      [() => rerunBacktest({ root: dir, run_id: 'no-such-run' }, ctx), 4, /no run no-such-run/],
      // the sample stores no trades: --execution trades cannot be honoured (auto falls back to bars)
      [() => runBacktest({ root: dir, strategy: 'regime', split: 'demo', segment: 'validation', config: { execution: { source: 'trades' } } }, ctx), 4, /--execution trades: no trades stored for \S+-PERP/],
      [() => runBacktest({ root: dir, strategy: 'regime', split: 'demo', segment: 'validation', config: { execution: { source: 'ticks' } } }, ctx), 2, /execution\.source/],
    ];
    for (const [call, code, msg] of svc) {
      const err = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PerpkitError);
      expect((err as PerpkitError).exitCode).toBe(code);
      expect((err as PerpkitError).message).toMatch(msg);
    }
    const j = await cli(['backtest', '--split', 'demo', '--strategy', 'signal', '--config', sig, '--data-dir', dir, '--json']);
    expect(j.code).toBe(4);
    expect(JSON.parse(j.stdout).error.message).toMatch(/no column no_such_feature/);
  });
  it('a missing funding print while a position is open is exit 3, unless --funding-missing zero (recorded and warned)', async () => {
    const d2 = mkdtempSync(join(tmpdir(), 'perpkit-bt-nofund-'));
    try {
      cpSync(dir, d2, { recursive: true });
      // drop every funding month of the validation window
      const m = JSON.parse(readFileSync(join(d2, 'runs', runId, 'manifest.json'), 'utf8'));
      const months = new Set([m.window.start.slice(0, 7), m.window.end.slice(0, 7)]);
      let removed = 0;
      for (const sym of readdirSync(join(d2, 'funding', 'venue=binance-usdm'))) {
        for (const mo of months) {
          const p = join(d2, 'funding', 'venue=binance-usdm', sym, `month=${mo}`);
          if (existsSync(p)) {
            rmSync(p, { recursive: true });
            removed++;
          }
        }
      }
      expect(removed).toBeGreaterThan(0);
      const r = await cli(['backtest', '--split', 'demo', '--data-dir', d2]);
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toMatch(/funding print missing for \S+-PERP at 20\d\d-/);
      expect(r.stderr).toContain('--funding-missing');
      const z = await cli(['backtest', '--split', 'demo', '--funding-missing', 'zero', '--data-dir', d2, '--json']);
      expect(z.code, z.stderr).toBe(0);
      const doc = JSON.parse(z.stdout);
      expect(doc.manifest.funding_missing).toBe('zero');
      expect(doc.manifest.counters.funding_missing).toBeGreaterThan(0);
      expect(z.stderr).toMatch(/funding print\(s\) were missing/);
    } finally {
      rmSync(d2, { recursive: true, force: true });
    }
  });
});
