import { describe, expect, it } from 'vitest';
import { classifyError } from '../../src/cli/error-map.js';
import { StepError } from '../../src/store/steps.js';

describe('engine errors raised inside a step keep their exit class', () => {
  const engine = new Error('Invalid Input Error: No magic bytes found at end of file "/d/bars/x.parquet"');

  it('classifies the engine error a StepError wraps, as it would unwrapped', () => {
    const direct = classifyError(engine);
    expect(direct?.kind).toBe('validation');
    const wrapped = new StepError('import/binance_candles', engine.message, { cause: engine });
    // the step's name in front of the message hides the engine's class from the line-start match
    expect(wrapped.message.startsWith('step import/binance_candles')).toBe(true);
    const got = classifyError(wrapped);
    expect(got?.kind).toBe('validation');
    expect(got?.message).toBe(direct?.message);
  });

  it('leaves a StepError without an engine cause unclassified (a perpkit bug, exit 1)', () => {
    expect(classifyError(new StepError('features/x', 'input table(s) a do not exist; the step before it did not run'))).toBeNull();
  });
});
