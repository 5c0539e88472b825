import { describe, expect, it } from 'vitest';
import { readColumns } from '../../src/services/features/panel.js';
import { testContext } from '../helpers.js';

describe('readColumns: query rows into typed arrays', () => {
  it('copies DOUBLE columns with NULL as NaN across chunks, and reads other numeric types value by value', async () => {
    const ctx = await testContext();
    const n = 5000;
    const [a, b, c] = await readColumns(
      ctx.db,
      `SELECT i::DOUBLE AS a, CASE WHEN i % 7 = 3 OR i = 4999 THEN NULL ELSE i * 0.25 END AS b, CASE WHEN i % 5 = 0 THEN NULL ELSE i END::INTEGER AS c
       FROM range(0, $n::BIGINT) r(i) ORDER BY i`,
      { n: BigInt(n) },
      3,
    );
    expect(a?.length).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(a?.[i]).toBe(i);
      const nb = i % 7 === 3 || i === 4999;
      if (nb) expect(Number.isNaN(b?.[i])).toBe(true);
      else expect(b?.[i]).toBe(i * 0.25);
      if (i % 5 === 0) expect(Number.isNaN(c?.[i])).toBe(true);
      else expect(c?.[i]).toBe(i);
    }
  });
});
