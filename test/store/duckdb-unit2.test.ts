import { afterEach, describe, expect, it } from 'vitest';
import { listValue } from '@duckdb/node-api';
import { DuckSession } from '../../src/store/duckdb.js';
import { parseQuery, renderQuery, runQuery } from '../../src/store/queries.js';

/**
 * Gaps of the store-read mutation run: close() really closes the session, and the loader's messages list
 * several names separated by ", " and nothing after the last part (asserted whole, not as substrings).
 */
const sessions: DuckSession[] = [];
afterEach(() => {
  while (sessions.length) sessions.pop()?.close();
});

describe('DuckSession.close', () => {
  it('closes the connection: a query after it fails', async () => {
    const db = await DuckSession.open();
    expect(await db.scalar('SELECT 1::INTEGER')).toBe(1);
    db.close();
    await expect(db.all('SELECT 1')).rejects.toThrow();
  });
});

describe('the loader names every item of a problem, separated by ", "', () => {
  const q = parseQuery('t/q', `-- x\n-- idents: a\n-- lists: l1, l2\nSELECT {{a}}`);

  it('several unknown identifiers, several missing lists', () => {
    expect(() => renderQuery(q, { idents: { a: 'x', b: 'y', c: 'z' }, lists: { l1: [], l2: [] } })).toThrow(/^query t\/q: unknown identifiers b, c$/);
    expect(() => renderQuery(q, { idents: { a: 'x' } })).toThrow(/^query t\/q: no list for l1, l2$/);
  });

  it('several unknown parameters; missing parameters alone end the message', async () => {
    const db = await DuckSession.open();
    sessions.push(db);
    await expect(runQuery(db, 'store/summary', { bars: true, files: listValue([]), x: 1, y: 2 })).rejects.toThrow(/^query store\/summary: unknown parameters x, y$/);
    await expect(runQuery(db, 'store/summary', {})).rejects.toThrow(/^query store\/summary: missing parameters bars, files$/);
  });
});
