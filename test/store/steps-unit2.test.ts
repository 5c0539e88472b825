import { describe, expect, it } from 'vitest';
import { loadStep, runStep, StepError } from '../../src/store/steps.js';
import { testContext } from '../helpers.js';

/**
 * The step runner's messages and timing beyond test/store/steps-unit.test.ts: a query file with no reads/creates
 * header at all is refused with the header message, several missing or unknown parameters are listed comma-separated,
 * the error's name, the progress line, and a returned time that is the step's own duration.
 */
describe('step runner details', () => {
  it('refuses a query file whose header has neither a reads nor a creates line', () => {
    expect(() => loadStep('store/summary')).toThrow('step store/summary: its header must declare "-- reads: t1, t2" and "-- creates: t" (one table)');
  });

  it('lists several missing and several unknown parameters, comma-separated; the error is a StepError by name', async () => {
    const ctx = await testContext();
    const err = (await runStep(ctx, 'features/rollup', { sym: 'A', x: 1, y: 2 }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(StepError);
    expect(err.name).toBe('StepError');
    expect(err.message).toBe('step features/rollup (queries/features/rollup.sql): no value for $secs, $parts; unknown parameters x, y');
  });

  it('reports a progress line naming the step and returns its own duration', async () => {
    const ctx = await testContext();
    const lines: string[] = [];
    const log = { ...ctx.log, progress: (m: string) => void lines.push(m) };
    await ctx.db.exec(
      `CREATE TEMP TABLE label_src AS SELECT * FROM (VALUES ('A', TIMESTAMP '2026-01-01 00:00:00', 10.0::DOUBLE, TIMESTAMP '2026-01-01 00:00:01', 3600000::BIGINT, 'bars_1h'))
        t(symbol, px_time, price, available_time, tol_ms, source)`,
    );
    const a = performance.now();
    const ms = await runStep({ ...ctx, log }, 'features/label_px');
    const b = performance.now();
    expect(lines).toEqual(['step features/label_px']);
    expect(ms).toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(b - a);
  });
});
