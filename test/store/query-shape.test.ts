import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckSession } from '../../src/store/duckdb.js';
import { bindLists, parseQuery, renderQuery } from '../../src/store/queries.js';

describe('query shapes: identifiers and list variables', () => {
  let db: DuckSession;
  beforeAll(async () => {
    db = await DuckSession.open({ threads: 1 });
    await db.exec(`CREATE TABLE t AS SELECT range AS a, range * 2 AS b, range * 3 AS c FROM range(4)`);
  });
  afterAll(() => db.close());

  const text = `-- test query
-- idents: src, cols
-- lists: keep
SELECT {{cols}}, sum(COLUMNS(getvariable('keep'))) OVER () FROM {{src}} WHERE a >= $lo`;

  it('declares parameters, identifiers and lists from the text and header', () => {
    const q = parseQuery('t/q', text);
    expect(q.params).toEqual(['lo']);
    expect(q.idents).toEqual(['src', 'cols']);
    expect(q.lists).toEqual(['keep']);
  });

  it('expands identifiers only through quoting, lists comma-separated', () => {
    const q = parseQuery('t/q', text);
    const sql = renderQuery(q, { idents: { src: 't', cols: ['a', 'b'] }, lists: { keep: ['c'] } });
    expect(sql).toContain('SELECT "a", "b", sum(');
    expect(sql).toContain('FROM "t" WHERE');
    expect(() => renderQuery(q, { idents: { src: 't; DROP TABLE t', cols: ['a'] }, lists: { keep: ['c'] } })).toThrow(/refusing identifier/);
    expect(() => renderQuery(q, { idents: { src: 't', cols: [] }, lists: { keep: ['c'] } })).toThrow(/\{\{cols\}\} is empty/);
  });

  it('names missing and unknown identifiers and lists', () => {
    const q = parseQuery('t/q', text);
    expect(() => renderQuery(q, { idents: { src: 't' }, lists: { keep: ['c'] } })).toThrow(/query t\/q: no identifier for \{\{cols\}\}/);
    expect(() => renderQuery(q, { idents: { src: 't', cols: ['a'], other: 'x' }, lists: { keep: ['c'] } })).toThrow(/unknown identifiers other/);
    expect(() => renderQuery(q, { idents: { src: 't', cols: ['a'] } })).toThrow(/no list for keep/);
    expect(() => renderQuery(q, { idents: { src: 't', cols: ['a'] }, lists: { keep: ['c'], more: [] } })).toThrow(/unknown lists more/);
  });

  it('refuses placeholders the header does not declare, and declared ones never used', () => {
    expect(() => parseQuery('t/q', `-- x\n-- idents: a\nSELECT {{a}}, {{b}} FROM t`)).toThrow(/\{\{b\}\} are not declared/);
    expect(() => parseQuery('t/q', `-- x\n-- idents: a, b\nSELECT {{a}} FROM t`)).toThrow(/declared idents b are not used/);
    // a placeholder inside a comment or string literal is text, not a placeholder
    expect(parseQuery('t/q', `-- x {{c}}\nSELECT '{{d}}' AS s`).idents).toEqual([]);
  });

  it('runs with the list bound as a variable, selecting exactly the listed columns', async () => {
    const q = parseQuery('t/q', text);
    const sql = renderQuery(q, { idents: { src: 't', cols: ['a'] }, lists: { keep: ['b', 'c'] } });
    await bindLists(db, q, { lists: { keep: ['b', 'c'] } });
    const rows = await db.all(`${sql} ORDER BY a`, { lo: 2 });
    expect(rows).toEqual([
      { a: '2', b: '10', c: '15' },
      { a: '3', b: '10', c: '15' },
    ]);
  });

  it('binds an empty list, and a list of names is a VARCHAR list', async () => {
    const q = parseQuery('t/q', `-- x\n-- lists: keep\nSELECT len(getvariable('keep'))::INTEGER AS n`);
    await bindLists(db, q, { lists: { keep: [] } });
    expect(await db.all(renderQuery(q, { lists: { keep: [] } }))).toEqual([{ n: 0 }]);
    expect(await db.scalar(`SELECT typeof(getvariable('keep'))`)).toBe('VARCHAR[]');
  });
});
