import { describe, expect, it } from 'vitest';
import { loadStep, runStep, StepError } from '../../src/store/steps.js';
import { testContext } from '../helpers.js';

/**
 * The step runner in-process with real step files of queries/: header parsing, the parameter and input
 * checks (each refusal names the step and its file), the table it creates, and the timings it adds up.
 */
describe('step runner', () => {
  it('reads the declared inputs and output of a step file', () => {
    const s = loadStep('features/labels');
    expect(s.reads).toEqual(['label_grid', 'label_px', 'label_horizons', 'label_costs']);
    expect(s.creates).toBe('label_out');
    expect(s.params).toEqual(['exec_latency_ms']);
    expect(loadStep('features/label_px')).toMatchObject({ reads: ['label_src'], creates: 'label_px', params: [] });
  });

  it('refuses a query without a reads/creates header', () => {
    expect(() => loadStep('read/latest_instruments')).toThrow('step read/latest_instruments: its header must declare "-- reads: t1, t2" and "-- creates: t" (one table)');
  });

  it('runs a step into its table, adding its time to the timings', async () => {
    const ctx = await testContext();
    await ctx.db.exec(
      `CREATE TEMP TABLE label_src AS SELECT * FROM (VALUES
        ('A', TIMESTAMP '2026-01-01 00:00:00', 10.0::DOUBLE, TIMESTAMP '2026-01-01 00:00:01', 3600000::BIGINT, 'bars_1h'),
        ('A', TIMESTAMP '2026-01-01 00:00:00', 11.0, TIMESTAMP '2026-01-01 00:00:01', 900000::BIGINT, 'bars_15m'),
        ('A', TIMESTAMP '2026-01-01 00:15:00', 12.0, TIMESTAMP '2026-01-01 00:15:01', 900000::BIGINT, 'bars_15m'))
        t(symbol, px_time, price, available_time, tol_ms, source)`,
    );
    const timings: Record<string, number> = { 'features/label_px': 1000 };
    const ms = await runStep(ctx, 'features/label_px', {}, timings);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(timings['features/label_px']).toBeCloseTo(1000 + ms, 6);
    const rows = await ctx.db.all('SELECT price, source FROM label_px ORDER BY px_time');
    expect(rows).toEqual([
      { price: 11, source: 'bars_15m' },
      { price: 12, source: 'bars_15m' },
    ]);
    // no timings object: still runs
    await runStep(ctx, 'features/label_px');
  });

  it('refuses missing and unknown parameters, naming both, before running anything', async () => {
    const ctx = await testContext();
    const err = await runStep(ctx, 'features/labels', { nope: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).step).toBe('features/labels');
    expect((err as Error).message).toBe('step features/labels (queries/features/labels.sql): no value for $exec_latency_ms; unknown parameters nope');
    await expect(runStep(ctx, 'features/labels', {})).rejects.toThrow(/: no value for \$exec_latency_ms$/);
    await expect(runStep(ctx, 'features/label_px', { x: 1 })).rejects.toThrow(/\.sql\): unknown parameters x$/);
  });

  it('refuses a step whose input tables do not exist, naming them; a view counts as an input', async () => {
    const ctx = await testContext();
    await ctx.db.exec('CREATE TEMP TABLE label_grid AS SELECT 1 AS x');
    await ctx.db.exec('CREATE TEMP VIEW label_px AS SELECT 1 AS x');
    await expect(runStep(ctx, 'features/labels', { exec_latency_ms: 0n })).rejects.toThrow(
      'step features/labels (queries/features/labels.sql): input table(s) label_horizons, label_costs do not exist; the step before it did not run',
    );
  });

  it('wraps an SQL error of the step with the step name, keeping the cause', async () => {
    const ctx = await testContext();
    await ctx.db.exec('CREATE TEMP TABLE label_src AS SELECT 1 AS x');
    const err = await runStep(ctx, 'features/label_px').then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StepError);
    expect((err as Error).message).toMatch(/^step features\/label_px \(queries\/features\/label_px\.sql\): .*symbol/);
    expect((err as Error).cause).toBeInstanceOf(Error);
  });
});
