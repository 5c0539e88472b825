import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { statsService } from '../../src/services/stats.js';
import { FIXTURES, testContext } from '../helpers.js';

/** The --risk-free path of `perpkit stats --returns`: the annual rate reaches the Sharpe ratio de-annualised. */
describe('stats --returns with a risk-free rate', () => {
  it('subtracts 1.04^(1/8760) - 1 per hourly return, compared with a plain computation over the CSV', async () => {
    const file = join(FIXTURES, 'stats', 'btc_usdt_1h_returns.csv');
    const r = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => Number(l.split(',')[2]));
    const n = r.length;
    const m = r.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(r.reduce((a, x) => a + (x - m) ** 2, 0) / (n - 1));
    const plain = (rf: number): number => ((m - rf) / sd) * Math.sqrt(8760);
    const ctx = await testContext();
    const res = await statsService({ kind: 'returns', file, column: 'returns', periodsPerYear: 8760, riskFreeAnnual: 0.04 }, ctx);
    if (res.kind !== 'returns') throw new Error('not a returns result');
    expect(res.metrics.observations).toBe(n);
    expect(res.metrics.risk_free_annual).toBe(0.04);
    expect(res.metrics.sharpe).toBeCloseTo(plain(Math.pow(1.04, 1 / 8760) - 1), 9);
    const zero = await statsService({ kind: 'returns', file, column: 'returns', periodsPerYear: 8760 }, ctx);
    if (zero.kind !== 'returns') throw new Error('not a returns result');
    expect(zero.metrics.sharpe).toBeCloseTo(plain(0), 9);
    // 4% a year is worth 0.073 of annualised Sharpe on this volatile series; the annual rate per hour would be -1000s
    expect((zero.metrics.sharpe as number) - (res.metrics.sharpe as number)).toBeCloseTo(0.0727, 4);
  });
});
