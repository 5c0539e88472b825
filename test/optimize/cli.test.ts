/**
 * perpkit optimize through the real CLI on the bundled sample (features + labels from 2026-03-01,
 * a holdout split): the outputs of the contract (summary.json, cells/windows/equity Parquet, cost
 * stress, capacity, stress), a ledger trial per (window, cell), and the equalities that make it
 * safe to scale out: 2 workers = 1 worker, shards + merge = one run, resume after kill -9 = an
 * uninterrupted run. Each run is in its own copy of the data dir (own ledger, so equal trial counts).
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWithCli, ROOT, runCli, testContext } from '../helpers.js';

let T = '';
/** the single-worker run of the small grid: the reference of the shard and resume equalities */
let single: Summary | null = null;
let base = '';
const copy = (name: string): string => {
  const d = join(T, name);
  cpSync(base, d, { recursive: true });
  return d;
};
/** A small grid (4 cells) and short windows keep the equality runs quick. */
const SMALL = ['--strategy', 'regime', '--split', 'demo', '--train', '12d', '--test', '8d', '--warmup', '8d', '--quiet'];

interface Summary {
  run_id: string;
  n_windows: number;
  n_cells: number;
  windows: Array<Record<string, unknown>>;
  oos: Record<string, number | null>;
  pbo: { pbo: number; logits: number[]; prob_oos_loss: number; blocks: number } | null;
  dsr: { dsr: number | null; trials: number; trials_sharpe_variance: number };
  warnings: Array<{ sign: string; fired: boolean }>;
  expectations: Array<{ metric: string; class: string }>;
  outputs: Record<string, { rows: number; sha256: string }>;
  cost_stress: Record<string, number | null> | null;
  capacity: { half_edge_notional: number | null } | null;
  funding: Record<string, number | null> | null;
  stress: Array<{ scenario: string; kind: string }> | null;
}
/** What must be equal between two runs of the same definition (ids, times and dirs aside). */
const essence = (s: Summary): unknown => ({ windows: s.windows, oos: s.oos, pbo: s.pbo, dsr: s.dsr, warnings: s.warnings, outputs: s.outputs, n: [s.n_windows, s.n_cells] });

beforeAll(async () => {
  T = mkdtempSync(join(tmpdir(), 'perpkit-opt-'));
  base = join(T, 'base');
  cpSync(join(ROOT, 'data', 'sample'), base, { recursive: true });
  await buildWithCli([
    ['features', '--from', '2026-03-01'],
    ['features', '--labels', '--from', '2026-03-01', '--horizons', '1h'],
    ['split', '--name', 'demo', '--scheme', 'holdout', '--buffer', '2d'],
  ].map((args) => [...args, '--data-dir', base, '--quiet']));
  writeFileSync(join(T, 'grid.yaml'), 'sma_fast: [10, 20]\nsma_slow: [50, 100]\n');
}, 240_000);

afterAll(() => {
  if (T) rmSync(T, { recursive: true, force: true });
});

describe('perpkit optimize (CLI, real sample)', () => {
  it('default grid with cost and scenario stress: the contract outputs, a ledger trial per (window, cell), every warning', async () => {
    const dir = copy('full');
    const r = await runCli(['optimize', '--strategy', 'regime', '--split', 'demo', '--train', '14d', '--test', '7d', '--cost-stress', '--stress', '--workers', '2', '--data-dir', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as Summary & { schema: string; grid: Record<string, unknown[]>; scheme: Record<string, string>; stability: { params: Record<string, { values_by_window: unknown[] }> } };
    expect(s.schema).toBe('perpkit.optimize/1');
    expect(s.grid).toEqual({ sma_fast: [10, 20, 30], sma_slow: [50, 100, 150], high_vol_ratio: [1.25, 1.75] });
    expect(s.n_cells).toBe(18);
    expect(s.n_windows).toBe(5);
    expect(s.scheme).toMatchObject({ kind: 'walk-forward', windows: 'rolling', train: '14d', test: '7d', purge: '1h', runs: 'continuous' });
    const out = join(dir, 'optimize', s.run_id);
    // the sealed test segment is never walked into: every window ends by the validation segment's end
    const split = JSON.parse(readFileSync(join(dir, 'splits', 'demo.json'), 'utf8')) as { segments: Array<{ name: string; intervals: string[][] }> };
    const valEnd = split.segments.find((x) => x.name === 'validation')!.intervals.at(-1)![1]!;
    const testStart = split.segments.find((x) => x.name === 'test')!.intervals[0]![0]!;
    for (const w of s.windows) expect(Date.parse(w['test_end'] as string) <= Date.parse(valEnd) && Date.parse(w['test_end'] as string) < Date.parse(testStart)).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')).run_id).toBe(s.run_id);
    // every §10.3 sign and every §12.2 row is reported
    expect(s.warnings.map((w) => w.sign)).toHaveLength(11);
    expect(s.expectations.map((e) => e.metric)).toEqual(['sharpe', 'max_drawdown', 'hit_rate', 'annual_return', 'trade_frequency_per_day']);
    // each window's training part ends before (purge) its test part, which the stitched curve covers only
    const ctx = await testContext();
    const [cells] = await ctx.db.all(`SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE part = 'train')::INTEGER AS tr, count(DISTINCT "window")::INTEGER AS w, sum(chosen)::INTEGER AS chosen FROM read_parquet($p)`, { p: join(out, 'cells.parquet') });
    expect(cells).toEqual({ n: 5 * 18 * 2, tr: 5 * 18, w: 5, chosen: 2 * 5 });
    expect(s.outputs['cells.parquet']!.rows).toBe(180);
    // the chosen cell of each window has the highest training objective (independent check in SQL)
    const best = await ctx.db.all(
      `SELECT "window", arg_max(cell, objective) AS best, max(objective) AS top FROM read_parquet($p) WHERE part = 'train' GROUP BY "window" ORDER BY "window"`,
      { p: join(out, 'cells.parquet') },
    );
    s.windows.forEach((w, i) => expect(w['is_objective'] === null ? null : Number(best[i]!['top'])).toBeCloseTo(w['is_objective'] as number, 9));
    const bad = await ctx.db.all(
      `SELECT count(*)::INTEGER AS n FROM read_parquet($e) e JOIN read_parquet($w) w USING ("window")
       WHERE NOT (e.event_time >= w.test_start AND e.event_time < w.test_end) OR (e.event_time >= w.train_start AND e.event_time < w.test_start)`,
      { e: join(out, 'equity.parquet'), w: join(out, 'windows.parquet') },
    );
    expect(bad[0]!['n']).toBe(0);
    const [eq] = await ctx.db.all(`SELECT count(*)::INTEGER AS n, exp(sum(ln(1 + ret))) - 1 AS tot FROM read_parquet($e)`, { e: join(out, 'equity.parquet') });
    expect(eq!['n']).toBe(s.oos['observations']);
    expect(Number(eq!['tot'])).toBeCloseTo(s.oos['total_return']!, 9);
    // cost stress: every Coinbase tier and Binance VIP 0 x 4 slippage multiples; capacity at 1x, 10x, 100x
    const [cs] = await ctx.db.all(`SELECT count(*)::INTEGER AS n, count(DISTINCT fee_tier)::INTEGER AS tiers, list(DISTINCT slippage_mult ORDER BY slippage_mult) AS m FROM read_parquet($p)`, { p: join(out, 'cost_stress.parquet') });
    expect(cs).toMatchObject({ n: 40, tiers: 10 });
    expect(Array.from(cs!['m'] as number[])).toEqual([0.5, 1, 2, 3]);
    // a costlier tier never earns more at the same slippage (coinbase-0 is the dearest, -8 the cheapest)
    const [mono] = await ctx.db.all(
      `SELECT bool_and(a.net_return <= b.net_return + 1e-9) AS ok FROM read_parquet($p) a JOIN read_parquet($p) b USING (slippage_mult) WHERE a.fee_tier = 'coinbase-0' AND b.fee_tier = 'coinbase-8'`,
      { p: join(out, 'cost_stress.parquet') },
    );
    expect(mono!['ok']).toBe(true);
    const cap = await ctx.db.all(`SELECT multiple FROM read_parquet($p) ORDER BY multiple`, { p: join(out, 'capacity.parquet') });
    expect(cap.map((x) => x['multiple'])).toEqual([1, 10, 100]);
    expect(Object.keys(s.cost_stress!).sort()).toEqual(['base_fee_tier', 'break_even_bps', 'gross_edge_per_trade_bps', 'round_trip_cost_bps', 'span']);
    expect(s.funding).toHaveProperty('pnl_without_funding');
    expect(s.stress!.map((x) => x.scenario)).toEqual(['unstressed', 'flash_crash', 'depeg', 'outage', 'funding_spike']);
    const [st] = await ctx.db.all(`SELECT count(*)::INTEGER AS n, typeof(any_value(kill_switch)) AS ks FROM read_parquet($p)`, { p: join(out, 'stress.parquet') });
    expect(st).toEqual({ n: 5, ks: 'BOOLEAN' });
    expect((s as unknown as { strategy: { name: string } }).strategy.name).toBe('regime');
    // a ledger trial per (window, cell); DSR counts them
    const ledger = await ctx.db.all(`SELECT count(*)::INTEGER AS n FROM read_parquet($p) WHERE command = 'optimize' AND kind = 'evaluation'`, { p: join(dir, 'ledger', '**', '*.parquet') });
    expect(ledger[0]!['n']).toBe(90);
    expect(s.dsr.trials).toBe(90);
    // a second identical command is refused: the run exists
    const again = await runCli(['optimize', '--strategy', 'regime', '--split', 'demo', '--train', '14d', '--test', '7d', '--cost-stress', '--stress', '--data-dir', dir]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already complete/);
  }, 300_000);

  it('an unknown --runs mode is refused with the modes it takes', async () => {
    const r = await runCli(['optimize', ...SMALL, '--runs', 'sometimes', '--data-dir', base]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/continuous/);
    expect(r.stderr).toMatch(/per-window/);
  });

  it('shards 1/2 (2 workers) + 2/2 (1 worker) merged give what one single-worker run gives', async () => {
    const one = copy('one');
    const a = await runCli(['optimize', ...SMALL, '--grid', join(T, 'grid.yaml'), '--workers', '1', '--data-dir', one, '--json']);
    expect(a.code, a.stderr).toBe(0);
    single = JSON.parse(a.stdout) as Summary;
    expect(single.n_cells).toBe(4);
    const sh = copy('shards');
    const r2 = await runCli(['optimize', ...SMALL, '--grid', join(T, 'grid.yaml'), '--workers', '1', '--shard', '2/2', '--run-id', 'wf', '--data-dir', sh]);
    expect(r2.code, r2.stderr).toBe(0);
    expect(r2.stdout).toMatch(/--merge wf/);
    // merging before every shard is done is refused, naming the missing one
    const early = await runCli(['optimize', '--merge', 'wf', '--data-dir', sh]);
    expect(early.code).toBe(4);
    expect(early.stderr).toMatch(/shard\(s\) 1-of-2 of wf/);
    const r1 = await runCli(['optimize', ...SMALL, '--grid', join(T, 'grid.yaml'), '--workers', '2', '--shard', '1/2', '--run-id', 'wf', '--data-dir', sh]);
    expect(r1.code, r1.stderr).toBe(0);
    expect(readdirSync(join(sh, 'optimize', 'wf', 'shards')).sort()).toEqual(['1-of-2', '2-of-2']);
    const m = await runCli(['optimize', '--merge', 'wf', '--data-dir', sh, '--json']);
    expect(m.code, m.stderr).toBe(0);
    const merged = JSON.parse(m.stdout) as Summary & { shards: number };
    expect(merged.shards).toBe(2);
    expect(essence(merged)).toEqual(essence(single));
    expect(existsSync(join(sh, 'optimize', 'wf', 'summary.json'))).toBe(true);
  }, 300_000);

  it('resumes after kill -9: finished cells are kept, the result equals an uninterrupted run', async () => {
    const want = single;
    expect(want, 'the single run of the previous test').not.toBeNull();
    const dir = copy('crash');
    const k = await runCli(['optimize', ...SMALL, '--grid', join(T, 'grid.yaml'), '--workers', '1', '--data-dir', dir], { env: { PERPKIT_OPTIMIZE_CRASH_AFTER: '2' } });
    expect(k.signal).toBe('SIGKILL');
    const stage = readdirSync(join(dir, 'optimize')).find((d) => d.endsWith('.tmp'))!;
    // continuous runs: a job is a cell, checkpointed as its windows' tasks; killed after 2 of the 4 cells
    const lines = readFileSync(join(dir, 'optimize', stage, 'cells.jsonl'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2 * want!.n_windows);
    const r = await runCli(['optimize', ...SMALL.filter((x) => x !== '--quiet'), '--grid', join(T, 'grid.yaml'), '--workers', '1', '--data-dir', dir, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming: 2 of 4 cell\(s\) already done/);
    const got = JSON.parse(r.stdout) as Summary;
    expect(essence(got)).toEqual(essence(want!));
    // the resumed run's checkpoint holds each task once
    const all = readFileSync(join(dir, 'optimize', got.run_id, 'cells.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { task: number }).task);
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(got.n_windows * got.n_cells);
  }, 300_000);
});
