import { describe, expect, it } from 'vitest';
import { DuckSession } from '../../src/store/duckdb.js';

const threadsOf = async (db: DuckSession): Promise<number> => Number(await db.scalar(`SELECT current_setting('threads')`));

describe('DuckSession.withThreads', () => {
  it('runs fn on the given count and restores the count before, also when fn throws', async () => {
    const db = await DuckSession.open({ threads: 2 });
    try {
      expect(await db.withThreads(1, () => threadsOf(db))).toBe(1);
      expect(await threadsOf(db)).toBe(2);
      await expect(db.withThreads(1, async () => {
        throw new Error('boom');
      })).rejects.toThrow('boom');
      expect(await threadsOf(db)).toBe(2);
      // nested: the inner call finds the count it wants and leaves it alone
      const seen = await db.withThreads(1, async () => [await db.withThreads(1, () => threadsOf(db)), await threadsOf(db)]);
      expect(seen).toEqual([1, 1]);
      expect(await threadsOf(db)).toBe(2);
    } finally {
      db.close();
    }
  });

  it('does not change the setting when the count is already the one asked for', async () => {
    const db = await DuckSession.open({ threads: 1 });
    try {
      const sets: string[] = [];
      const exec = db.exec.bind(db);
      db.exec = async (sql, params) => {
        sets.push(sql);
        return exec(sql, params);
      };
      expect(await db.withThreads(1, () => threadsOf(db))).toBe(1);
      expect(sets).toEqual([]);
      expect(await db.withThreads(3, () => threadsOf(db))).toBe(3);
      expect(sets).toEqual(['SET threads = 3', 'SET threads = 1']);
    } finally {
      db.close();
    }
  });

  it('refuses a count that is not a positive integer', async () => {
    const db = await DuckSession.open();
    try {
      for (const bad of [0, -1, 1.5, Number.NaN]) await expect(db.withThreads(bad, async () => 1)).rejects.toThrow(/not a thread count/);
    } finally {
      db.close();
    }
  });
});
